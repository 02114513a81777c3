"""The session manager on the real stack (jackd dummy, embedded engine, bridge, real LV2 plugins).

The seed's four flows (plugin load, pedalboard save/load with audio, connections, events), plus
restarts of the session and of the engine, concurrent clients and bad input.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

import pytest

from stompbox.contract.errors import ConflictError, NotFoundError, ValidationError
from stompbox.zmqservice import RpcClient, Subscriber
from tests.support.audio import AudioProbe
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"  # ports: gain (dB, -70..70), input, output
_names = itertools.count()


def client(rpc: str) -> RpcClient:
    return RpcClient(rpc, timeout=30.0)


async def fresh_board(c: RpcClient) -> dict[str, Any]:
    result = await c.call("pedalboard.create", {"name": f"test board {time.time_ns()}"})
    return dict(result["pedalboard"])


async def until(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll an async predicate until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.1)


async def wire_probe(b: RpcClient, probe: AudioProbe, iid: str) -> None:
    """probe → instance → probe, through the bridge (the engine's plugin ports are internal)."""
    await b.call("connect", {"source": probe.out(), "target": f"{iid}:input"})
    await b.call("connect", {"source": f"{iid}:output", "target": probe.inp()})


async def get_gain(bridge: RpcClient, instance_id: str) -> dict[str, Any]:
    params = {"instance_id": instance_id, "symbol": "gain"}
    return dict(await bridge.call("plugin", {"method": "get_parameter", "params": params}))


def params_of(state: dict[str, Any], instance_id: str) -> dict[str, float]:
    for plugin in state["pedalboard"]["plugins"]:
        if plugin["instance_id"] == instance_id:
            return dict(plugin["parameters"])
    raise KeyError(instance_id)


async def test_plugin_load_workflow(stack: Stack) -> None:
    async with client(stack.session_rpc) as c, client(stack.bridge_rpc) as b:
        await fresh_board(c)
        plugin = await c.call("load_plugin", {"uri": AMP, "x": 100, "y": 50})
        iid = plugin["instance_id"]
        assert plugin["uri"] == AMP
        assert set(plugin["ports"]) == {"input", "output"}
        assert "gain" in plugin["available_parameters"]
        assert (plugin["x"], plugin["y"]) == (100, 50)
        assert iid in (await b.call("state"))["instances"]
        assert (await c.call("set_parameter", {"instance_id": iid, "symbol": "gain", "value": -6}))[
            "value"
        ] == -6
        got = await get_gain(b, iid)
        assert got["value"] == pytest.approx(-6)
        await c.call("bypass_plugin", {"instance_id": iid, "bypassed": True})
        await c.call("move_plugin", {"instance_id": iid, "x": 1, "y": 2})
        current = await c.call("pedalboard.current")
        (mine,) = current["plugins"]
        assert (mine["enabled"], mine["x"], mine["parameters"]["gain"]) == (False, 1, -6)
        await c.call("unload_plugin", {"instance_id": iid})
        assert iid not in (await b.call("state"))["instances"]
        assert (await c.call("pedalboard.current"))["plugins"] == []


async def test_connection_management(stack: Stack) -> None:
    async with client(stack.session_rpc) as c, client(stack.bridge_rpc) as b:
        await fresh_board(c)
        a1 = (await c.call("load_plugin", {"uri": AMP}))["instance_id"]
        a2 = (await c.call("load_plugin", {"uri": AMP}))["instance_id"]
        chain = [
            ("system:capture_1", f"{a1}:input"),
            (f"{a1}:output", f"{a2}:input"),
            (f"{a2}:output", "system:playback_1"),
        ]
        for source, target in chain:
            assert await c.call("connect", {"source": source, "target": target}) == {
                "source": source,
                "target": target,
            }
        engine = {(x["source"], x["target"]) for x in await b.call("list_connections")}
        assert set(chain) <= engine
        bad = [
            (f"{a1}:output", f"{a2}:output", "output→output"),
            (f"{a1}:input", f"{a2}:input", "input→input"),
            (f"{a1}:gain", f"{a2}:input", "control port"),
            (f"{a1}:nope", f"{a2}:input", "unknown port"),
            ("system:nope", f"{a2}:input", "unknown system port"),
        ]
        for source, target, message in bad:
            with pytest.raises(ValidationError, match=message):
                await c.call("connect", {"source": source, "target": target})
        with pytest.raises(ConflictError, match="already connected"):
            await c.call("connect", {"source": f"{a1}:output", "target": f"{a2}:input"})
        with pytest.raises(NotFoundError):
            await c.call("connect", {"source": "ghost:output", "target": f"{a2}:input"})
        await c.call("disconnect", {"source": f"{a1}:output", "target": f"{a2}:input"})
        engine = {(x["source"], x["target"]) for x in await b.call("list_connections")}
        assert (f"{a1}:output", f"{a2}:input") not in engine
        with pytest.raises(NotFoundError):
            await c.call("disconnect", {"source": f"{a1}:output", "target": f"{a2}:input"})
        await c.call("unload_plugin", {"instance_id": a1})
        board = await c.call("pedalboard.current")
        assert board["connections"] == [{"source": f"{a2}:output", "target": "system:playback_1"}]


MEASUREMENTS = ("audio_status", "output_changed", "history_changed", "dsp_load")
"""Events beside the edits: load figures and meters on their own clock, the history after each."""


async def test_event_propagation(stack: Stack) -> None:
    async with Subscriber(stack.session_pub) as sub, client(stack.session_rpc) as c:
        await sub.wait_connected()
        await fresh_board(c)
        start = (await c.call("state"))["seq"]
        iid = (await c.call("load_plugin", {"uri": AMP}))["instance_id"]
        await c.call("set_parameter", {"instance_id": iid, "symbol": "gain", "value": 3})
        await c.call("connect", {"source": "system:capture_1", "target": f"{iid}:input"})
        await c.call("bypass_plugin", {"instance_id": iid, "bypassed": True})
        await c.call("move_plugin", {"instance_id": iid, "x": 7, "y": 8})
        await c.call("unload_plugin", {"instance_id": iid})
        end = (await c.call("state"))["seq"]
        seen: list[Any] = []
        async with asyncio.timeout(20):
            async for ev in sub:
                if ev.seq > start:
                    seen.append(ev)
                if ev.seq >= end:
                    break
        assert [e.seq for e in seen] == list(range(start + 1, end + 1))
        mine = [
            e
            for e in seen
            if e.event not in MEASUREMENTS  # these come when they come
        ]
        assert [e.event for e in mine] == [
            "plugin_loaded",
            "parameter_changed",
            "connection_created",
            "plugin_bypassed",
            "plugin_moved",
            "connection_removed",
            "plugin_unloaded",
        ]
        assert mine[0].data["instance_id"] == iid
        assert mine[1].data == {"instance_id": iid, "symbol": "gain", "value": 3.0,
                                "source": "session"}  # fmt: skip
        assert mine[2].data == {"source": "system:capture_1", "target": f"{iid}:input"}
        assert mine[3].data == {"instance_id": iid, "bypassed": True}


async def test_bad_input_is_refused_and_changes_nothing(stack: Stack) -> None:
    async with client(stack.session_rpc) as c:
        await fresh_board(c)
        iid = (await c.call("load_plugin", {"uri": AMP}))["instance_id"]
        before = await c.call("pedalboard.current")
        bad: list[tuple[str, dict[str, Any], type[Exception], str]] = [
            ("set_parameter", {"instance_id": iid, "symbol": "gain", "value": 1e6}, ValidationError,
             r"out of range \[-70, 70\]"),
            ("set_parameter", {"instance_id": iid, "symbol": "nope", "value": 1}, ValidationError,
             "unknown parameter symbol"),
            ("set_parameter", {"instance_id": iid, "symbol": "gain", "value": "x"}, ValidationError,
             "invalid params"),
            ("set_parameter", {"instance_id": "ghost", "symbol": "gain", "value": 1}, NotFoundError,
             "ghost"),
            ("load_plugin", {"uri": "http://example.org/not-installed"}, NotFoundError, ""),
            ("load_plugin", {"uri": AMP, "instance_id": "../../x"}, ValidationError, ""),
            ("pedalboard.load", {"id": "../../etc/passwd"}, ValidationError, ""),
            ("pedalboard.create", {"name": "a\x00b"}, ValidationError, "control"),
            ("pedalboard.create", {"name": "x" * 101}, ValidationError, "100"),
            ("audio.set_buffer_size", {"size": 1000}, ValidationError, "power of two"),
            ("move_plugin", {"instance_id": iid, "x": "left", "y": 0}, ValidationError, ""),
        ]  # fmt: skip
        for method, params, exc, message in bad:
            with pytest.raises(exc, match=message or None):
                await c.call(method, params)
        assert await c.call("pedalboard.current") == before


async def test_pedalboard_save_load_with_audio(stack: Stack) -> None:
    async with client(stack.session_rpc) as c, client(stack.bridge_rpc) as b:
        board = await fresh_board(c)
        iid = (await c.call("load_plugin", {"uri": AMP, "instance_id": "gain_stage"}))[
            "instance_id"
        ]
        await c.call("set_parameter", {"instance_id": iid, "symbol": "gain", "value": -12})
        await c.call("connect", {"source": f"{iid}:output", "target": "system:playback_1"})
        await c.call("pedalboard.save")
        with AudioProbe(stack.jack.name, name=f"sprobe{next(_names)}") as probe:
            await wire_probe(b, probe, iid)
            (before,) = probe.measure_rms()
            probe.disconnect_all()
            await fresh_board(c)  # another board: the amp goes away
            assert iid not in (await b.call("state"))["instances"]
            result = await c.call("pedalboard.load", {"id": board["id"]})
            assert result["missing"] == []
            assert result["pedalboard"]["plugins"][0]["parameters"]["gain"] == -12
            await wire_probe(b, probe, iid)
            (after,) = probe.measure_rms()
        expected = probe.input_rms * 10 ** (-12 / 20)
        assert before == pytest.approx(expected, rel=0.1)
        assert after == pytest.approx(before, rel=0.05)
        listing = {x["id"]: x for x in await c.call("pedalboard.list")}
        assert listing[board["id"]]["plugins"] == 1


async def test_concurrent_clients_keep_one_final_state(stack: Stack) -> None:
    async with client(stack.session_rpc) as c, client(stack.bridge_rpc) as b:
        await fresh_board(c)
        iids = [(await c.call("load_plugin", {"uri": AMP}))["instance_id"] for _ in range(2)]

        async def worker(n: int) -> None:
            async with client(stack.session_rpc) as mine:
                for k in range(10):
                    value = float(-60 + (n * 10 + k) % 120)
                    change = {"instance_id": iids[n % 2], "symbol": "gain", "value": value}
                    await mine.call("set_parameter", change)

        await asyncio.gather(*(worker(n) for n in range(20)))
        state = await c.call("state")
        for iid in iids:
            model = params_of(state, iid)["gain"]
            engine = await get_gain(b, iid)
            assert engine["value"] == pytest.approx(model)


async def test_session_restart_restores_and_replays(stack_factory: Callable[..., Stack]) -> None:
    s = stack_factory("session")
    async with client(s.session_rpc) as c:
        iid = (await c.call("load_plugin", {"uri": AMP, "instance_id": "keep"}))["instance_id"]
        await c.call("set_parameter", {"instance_id": iid, "symbol": "gain", "value": -9})
        await c.call("connect", {"source": f"{iid}:output", "target": "system:playback_1"})
    s.restart("session")
    async with client(s.session_rpc) as c, client(s.bridge_rpc) as b:
        state = await c.call("state")
        assert params_of(state, "keep")["gain"] == -9
        assert state["pedalboard"]["connections"] == [
            {"source": "keep:output", "target": "system:playback_1"}
        ]
        assert "keep" in (await b.call("state"))["instances"]
        got = await get_gain(b, "keep")
        assert got["value"] == pytest.approx(-9)
        engine = {(x["source"], x["target"]) for x in await b.call("list_connections")}
        assert ("keep:output", "system:playback_1") in engine


async def test_engine_restart_replays_the_board(stack_factory: Callable[..., Stack]) -> None:
    s = stack_factory("session")
    async with client(s.session_rpc) as c, client(s.bridge_rpc) as b:
        await c.call("load_plugin", {"uri": AMP, "instance_id": "survivor"})
        await c.call("set_parameter", {"instance_id": "survivor", "symbol": "gain", "value": 5})
        await c.call("connect", {"source": "survivor:output", "target": "system:playback_1"})
        s.kill("engine")

        async def down() -> bool:
            return not (await c.call("engine.status"))["connected"]

        await until(down)
        s.start_one("engine")

        async def replayed() -> bool:
            status = await c.call("engine.status")
            instances = (await b.call("state"))["instances"]
            if not (await b.call("state"))["engine_connected"]:
                return False  # the bridge knows no connections of an engine it is not connected to
            wired = {(x["source"], x["target"]) for x in await b.call("list_connections")}
            return bool(
                status["connected"]
                and "survivor" in instances
                and ("survivor:output", "system:playback_1") in wired
            )

        try:
            await until(replayed, 60)
        except AssertionError:
            print(s.logs())
            raise
        got = await get_gain(b, "survivor")
        assert got["value"] == pytest.approx(5)
        engine = {(x["source"], x["target"]) for x in await b.call("list_connections")}
        assert ("survivor:output", "system:playback_1") in engine
        state = await c.call("state")
        assert state["engine_connected"]
        assert params_of(state, "survivor")["gain"] == 5
