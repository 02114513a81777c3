"""An engine stalled (SIGSTOP) past the deadline of a bypass or a cable change: the client is told
`timeout`, the engine applies the late request once it runs again, and the session follows it
with the model's state of that item (session/doubt.py) — what the bridge holds and what comes out
of the plugin agree with the model afterwards. The watchdog is off here, so only that rule can
bring them together."""

from __future__ import annotations

import asyncio
import itertools
import math
import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

from stompbox.contract.errors import StompboxError, StompboxTimeoutError
from stompbox.zmqservice import RpcClient
from tests.support.audio import AudioProbe
from tests.support.calls import engine_value, ready_plugin
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

SETTLE = 60.0
AMP_URI = "http://plugin.org.uk/swh-plugins/amp"
COMPRESSOR = "http://calf.sourceforge.net/plugins/MonoCompressor"  # has factory presets
GAIN_DB = -20.0
PLAYBACK = "system:playback_1"
_names = itertools.count()
ENV = {"STOMPBOX_ENGINE_TIMEOUT": "1.5", "STOMPBOX_WATCHDOG_INTERVAL": "0"}


def playback_rms(probe: AudioProbe) -> float:
    """RMS of whatever feeds system:playback_1 now (silence when nothing does)."""
    for port in probe.inputs:
        port.disconnect()
    probe.record_playback()
    return probe.measure_rms(0.3)[0]


async def _settled(session: RpcClient) -> dict[str, Any]:
    """Wait until the session has no re-assert pending; its health statistics."""
    deadline = time.monotonic() + SETTLE
    while True:
        stats: dict[str, Any] = (await session.call("health"))["statistics"]
        if stats.get("structural_reasserter", {}).get("pending", 0) == 0:
            return stats
        assert time.monotonic() < deadline, stats
        await asyncio.sleep(0.2)


async def _stalled(stack: Stack, call: Callable[[], Any]) -> None:
    """Run `call` on a stopped engine (it must time out), then let the engine run again."""
    engine = stack.children["engine"]
    engine.signal(signal.SIGSTOP)
    try:
        with pytest.raises(StompboxTimeoutError):
            await call()
    finally:
        engine.signal(signal.SIGCONT)


async def _amp_on_playback(session: RpcClient, bridge: RpcClient) -> str:
    iid = await ready_plugin(session)
    await session.call("set_parameter", {"instance_id": iid, "symbol": "gain", "value": GAIN_DB})
    await session.call("connect", {"source": f"{iid}:output", "target": PLAYBACK})
    return iid


async def _model(session: RpcClient, iid: str) -> tuple[bool, list[tuple[str, str]]]:
    board = (await session.call("state"))["pedalboard"]
    plugin = next(p for p in board["plugins"] if p["instance_id"] == iid)
    return plugin["enabled"], [(c["source"], c["target"]) for c in board["connections"]]


async def _engine_cables(bridge: RpcClient) -> set[tuple[str, str]]:
    return {(c["source"], c["target"]) for c in await bridge.call("list_connections")}


async def test_a_bypass_during_an_engine_stall_ends_on_the_model_state(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory("session", env=ENV)
    async with (
        RpcClient(stack.session_rpc, timeout=30.0) as session,
        RpcClient(stack.bridge_rpc, timeout=30.0) as bridge,
    ):
        iid = await _amp_on_playback(session, bridge)
        with AudioProbe(stack.jack.name, name=f"bypassprobe{next(_names)}") as probe:
            # the probe stands in for the capture port (through the bridge: plugin ports are
            # inside the engine's one JACK client; the model does not know of it)
            await bridge.call("connect", {"source": probe.out(), "target": f"{iid}:input"})
            quiet = probe.input_rms * 10 ** (GAIN_DB / 20)
            assert await asyncio.to_thread(playback_rms, probe) == pytest.approx(quiet, rel=0.1)

            await _stalled(stack, lambda: session.call("bypass_plugin", _bypass(iid, True)))
            assert (await _model(session, iid))[0] is True  # the model kept it enabled
            stats = await _settled(session)

            assert (await _model(session, iid))[0] is True
            # the engine processes the plugin, as the model says (bypassed it would be dry)
            assert await asyncio.to_thread(playback_rms, probe) == pytest.approx(quiet, rel=0.1)
            assert stats["structural_reasserter"]["reasserted"] >= 1


def _bypass(iid: str, bypassed: bool) -> dict[str, Any]:
    return {"instance_id": iid, "bypassed": bypassed}


async def test_cable_changes_during_an_engine_stall_end_on_the_model_state(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory("session", env=ENV)
    async with (
        RpcClient(stack.session_rpc, timeout=30.0) as session,
        RpcClient(stack.bridge_rpc, timeout=30.0) as bridge,
    ):
        iid = await _amp_on_playback(session, bridge)
        cable = (f"{iid}:output", PLAYBACK)
        with AudioProbe(stack.jack.name, name=f"cableprobe{next(_names)}") as probe:
            await bridge.call("connect", {"source": probe.out(), "target": f"{iid}:input"})
            heard = await asyncio.to_thread(playback_rms, probe)
            assert heard == pytest.approx(probe.input_rms * 10 ** (GAIN_DB / 20), rel=0.1)

            # a disconnect the engine applies late: the model keeps the cable, and so must it
            ports = {"source": cable[0], "target": cable[1]}
            await _stalled(stack, lambda: session.call("disconnect", ports))
            assert cable in (await _model(session, iid))[1]
            await _settled(session)
            assert cable in await _engine_cables(bridge)
            assert await asyncio.to_thread(playback_rms, probe) == pytest.approx(heard, rel=0.1)

            # a connect the engine applies late: the model has no cable, and nor must it
            await session.call("disconnect", ports)
            assert await asyncio.to_thread(playback_rms, probe) == pytest.approx(0.0, abs=1e-4)
            await _stalled(stack, lambda: session.call("connect", ports))
            assert cable not in (await _model(session, iid))[1]
            stats = await _settled(session)
            assert cable not in await _engine_cables(bridge)
            silence = await asyncio.to_thread(playback_rms, probe)
            assert math.isclose(silence, 0.0, abs_tol=1e-4), silence
            assert stats["structural_reasserter"]["reasserted"] >= 2


async def test_a_preset_load_during_an_engine_stall_ends_on_the_model_values(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory("session", env=ENV)
    async with (
        RpcClient(stack.session_rpc, timeout=30.0) as session,
        RpcClient(stack.bridge_rpc, timeout=30.0) as bridge,
    ):
        iid = await ready_plugin(session, COMPRESSOR)
        presets = await session.call("plugin_presets", {"uri": COMPRESSOR})
        assert presets, "the compressor has factory presets"
        board = (await session.call("state"))["pedalboard"]
        model = next(p for p in board["plugins"] if p["instance_id"] == iid)["parameters"]
        preset = {"instance_id": iid, "uri": presets[0]["uri"]}

        await _stalled(stack, lambda: session.call("load_preset", preset))
        await _settled(session)
        board = (await session.call("state"))["pedalboard"]
        after = next(p for p in board["plugins"] if p["instance_id"] == iid)
        assert after["parameters"] == model  # the model kept its values
        held = {s: await engine_value(bridge, iid, s) for s in model}
        assert held == pytest.approx(model, rel=1e-4, abs=1e-6)
        stats = (await session.call("health"))["statistics"]
        assert stats["structural_reasserter"]["reasserted"] >= 1


async def _bridge_load(bridge: RpcClient, instance_id: str) -> Any:
    params = {"uri": AMP_URI, "instance_id": instance_id}
    return await bridge.call("plugin", {"method": "load", "params": params})


async def test_a_plugin_load_during_an_engine_stall_leaves_no_plugin_behind(
    stack_factory: Callable[..., Stack],
) -> None:
    """The add the client was told timed out still runs once the engine does; the bridge
    follows it with `remove N` and keeps N taken until that is answered, so no plugin nobody
    knows keeps running (before: the next plugin given N found a leftover there)."""
    stack = stack_factory("bridge", env=ENV)
    async with RpcClient(stack.bridge_rpc, timeout=30.0) as bridge:
        deadline = time.monotonic() + SETTLE
        while True:  # the catalog may still be scanning
            try:
                await _bridge_load(bridge, "first")
                break
            except StompboxError:
                assert time.monotonic() < deadline, "catalog not ready"
                await asyncio.sleep(0.5)
        await bridge.call("plugin", {"method": "unload", "params": {"instance_id": "first"}})
        await _stalled(stack, lambda: _bridge_load(bridge, "late"))
        while (await bridge.call("statistics"))["plugins"]["late_adds_removed"] < 1:
            assert time.monotonic() < deadline + SETTLE, "the late add was not undone"
            await asyncio.sleep(0.2)
        assert "late" not in (await bridge.call("state"))["instances"]
        await _bridge_load(bridge, "next")  # gets the number the late add had
        stats = await bridge.call("statistics")
        assert stats["plugins"]["stale_numbers"] == 0  # nothing was left on it
