"""Snapshots and setlists on the real stack: recall changes what a real plugin outputs (measured),
a signal through a plugin the snapshot leaves alone has no dropout, REST routes and events."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import httpx
import pytest

from stompbox.zmqservice import RpcClient, Subscriber
from tests.support.blocks import BlockProbe
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"
_names = itertools.count()


async def jack_port(bridge: RpcClient, address: str) -> str:
    instance_id, symbol = address.split(":", 1)
    state = await bridge.call("state")
    return f"effect_{state['instances'][instance_id]['number']}:{symbol}"


async def setup_board(c: RpcClient) -> dict[str, Any]:
    """Two amps wired system:capture_N → amp → system:playback_N, through the session (so the
    model knows the edges): the engine gives each plugin port an outside JACK port aliased
    `effect_N:sym`, which the probe then feeds and records by that alias."""
    result = await c.call("pedalboard.create", {"name": f"snap board {time.time_ns()}"})
    for n, iid in enumerate(("lead", "steady"), start=1):
        await c.call("load_plugin", {"uri": AMP, "instance_id": iid})
        await c.call("connect", {"source": f"system:capture_{n}", "target": f"{iid}:input"})
        await c.call("connect", {"source": f"{iid}:output", "target": f"system:playback_{n}"})
    return dict(result["pedalboard"])


async def test_snapshot_recall_changes_the_output_and_never_drops_the_rest(stack: Stack) -> None:
    async with (
        RpcClient(stack.session_rpc, timeout=30.0) as c,
        RpcClient(stack.bridge_rpc, timeout=30.0) as b,
        Subscriber(stack.session_pub, ["snapshots_changed"]) as events,
        httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as api,
    ):
        await events.wait_connected()
        await setup_board(c)
        set_gain = {"instance_id": "lead", "symbol": "gain"}
        await c.call("set_parameter", {**set_gain, "value": 0.0})
        r = await api.post("/api/snapshots", json={"name": "Clean"})
        assert r.status_code == 200, r.text
        await c.call("set_parameter", {**set_gain, "value": -20.0})
        r = await api.post("/api/snapshots", json={"name": "Quiet", "exclude": ["steady"]})
        assert r.status_code == 200, r.text
        for n in range(6):  # at least 8 named scenes
            r = await api.post("/api/snapshots", json={"name": f"Scene {n + 3}"})
            assert r.status_code == 200, r.text
        listing = (await api.get("/api/snapshots")).json()
        assert len(listing["snapshots"]) == 8
        assert listing["snapshots"][1]["parameters"].keys() == {"lead"}
        event = await asyncio.wait_for(events.__anext__(), 10)
        assert event.event == "snapshots_changed"
        bad = await api.post("/api/snapshots", json={"name": "x", "include": ["nope:gain"]})
        assert bad.status_code == 422
        assert (await api.post("/api/snapshots/40/recall")).status_code == 404

        with BlockProbe(stack.jack.name, name=f"snapprobe{next(_names)}", channels=2) as probe:
            probe.feed(await jack_port(b, "lead:input"), 0)
            probe.record(await jack_port(b, "lead:output"), 0)
            probe.feed(await jack_port(b, "steady:input"), 1)
            probe.record(await jack_port(b, "steady:output"), 1)
            r = await api.post("/api/snapshots/0/recall")
            assert r.status_code == 200, r.text
            assert r.json()["changed"] == 1
            clean, steady = probe.measure_rms(settle=0.2)
            probe.reset_blocks()
            await asyncio.sleep(0.1)
            for index in (1, 0, 1):
                r = await api.post(f"/api/snapshots/{index}/recall")
                assert r.status_code == 200, r.text
                await asyncio.sleep(0.15)
            quiet, _ = probe.measure_rms(settle=0.2)
            mins, blocks = probe.min_block_rms()
        assert clean == pytest.approx(probe.input_rms, rel=0.1)
        assert quiet == pytest.approx(probe.input_rms * 10 ** (-20 / 20), rel=0.1)
        assert steady == pytest.approx(probe.input_rms, rel=0.1)
        assert blocks > 10
        # the unchanged plugin's signal: no period fell silent while the others switched
        assert mins[1] > 0.8 * probe.input_rms, (mins, blocks)
        state = await c.call("state")
        assert state["pedalboard"]["current_snapshot"] == 1
        assert state["pedalboard"]["plugins"][0]["parameters"]["gain"] == -20.0
        # stored in the board file: another board, then this one again
        saved = await c.call("pedalboard.save")
        await c.call("pedalboard.create", {"name": f"elsewhere {time.time_ns()}"})
        back = await c.call("pedalboard.load", {"id": saved["id"]})
        assert [s["name"] for s in back["pedalboard"]["snapshots"]][:2] == ["Clean", "Quiet"]
        assert back["pedalboard"]["schema"] == 2


async def test_setlist_next_and_previous_switch_boards(stack: Stack) -> None:
    async with (
        RpcClient(stack.session_rpc, timeout=30.0) as c,
        httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as api,
    ):
        await setup_board(c)
        await c.call("set_parameter", {"instance_id": "lead", "symbol": "gain", "value": -3.0})
        await c.call("snapshot.save", {"name": "Intro"})
        await c.call("set_parameter", {"instance_id": "lead", "symbol": "gain", "value": 3.0})
        await c.call("snapshot.save", {"name": "Solo"})
        first = await c.call("pedalboard.save")
        second = await c.call("pedalboard.create", {"name": f"second {time.time_ns()}"})
        entries = [
            {"board": first["id"], "snapshot": 0, "note": "in E"},
            {"board": second["pedalboard"]["id"]},
            {"board": first["id"], "snapshot": 1},
        ]
        r = await api.post(
            "/api/setlists", json={"name": f"Gig {time.time_ns()}", "entries": entries}
        )
        assert r.status_code == 200, r.text
        sid = r.json()["id"]
        r = await api.post(f"/api/setlists/{sid}/go/0")
        assert r.status_code == 200, r.text
        assert r.json()["position"] == 0
        board = (await c.call("state"))["pedalboard"]
        assert (board["id"], board["plugins"][0]["parameters"]["gain"]) == (first["id"], -3.0)
        assert (await api.post("/api/setlist/next")).json()["position"] == 1
        assert (await c.call("state"))["pedalboard"]["id"] == second["pedalboard"]["id"]
        assert (await api.post("/api/setlist/next")).json()["position"] == 2
        board = (await c.call("state"))["pedalboard"]
        assert board["plugins"][0]["parameters"]["gain"] == 3.0
        assert (await api.post("/api/setlist/previous")).json()["position"] == 1
        assert (await api.get("/api/setlist")).json()["id"] == sid
        left = (await api.post("/api/setlist/leave")).json()
        assert left["id"] is None
        bad = await api.post("/api/setlists", json={"name": "../evil"})
        assert bad.status_code == 422
        assert (await api.get("/api/setlists/..%2Fx")).status_code in (404, 422)


async def test_load_and_xruns_count_from_the_board_load(stack: Stack) -> None:
    async with (
        RpcClient(stack.session_rpc, timeout=30.0) as c,
        httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as api,
    ):
        board = await setup_board(c)
        deadline = time.monotonic() + 20
        while True:
            stats = (await api.get("/api/load")).json()
            if stats["board"] == board["id"] and stats["seconds"] > 0:
                break
            assert time.monotonic() < deadline, stats
            await asyncio.sleep(0.2)
        assert stats["dsp_load"] >= 0
        assert stats["xruns"] >= 0
        assert stats["xruns_per_minute"] >= 0
