"""The watchdog compares values and connections, not only instance sets: a parameter changed and
a cable removed behind the session's back are set back to the model and reported."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from stompbox.zmqservice import RpcClient, Subscriber
from tests.support.calls import engine_value, ready_plugin
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

BOUND = 30.0


async def test_value_and_connection_drift_is_repaired_and_reported(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory("session")
    async with (
        RpcClient(stack.session_rpc, timeout=30.0) as session,
        RpcClient(stack.bridge_rpc, timeout=30.0) as bridge,
        Subscriber(stack.session_pub, ["session_warning"]) as warnings,
    ):
        await warnings.wait_connected()
        iid = await ready_plugin(session)
        await session.call("set_parameter", {"instance_id": iid, "symbol": "gain", "value": -6.5})
        wire = {"source": f"{iid}:output", "target": "system:playback_1"}
        await session.call("connect", wire)
        # drift: the engine changes behind the session's back
        await bridge.call(
            "plugin",
            {
                "method": "set_parameter",
                "params": {"instance_id": iid, "symbol": "gain", "value": 12},
            },
        )
        await bridge.call("disconnect", wire)
        assert await engine_value(bridge, iid) == pytest.approx(12)
        reports: list[str] = []
        t0 = time.monotonic()
        async with asyncio.timeout(BOUND):
            async for event in warnings:
                assert event.data["kind"] == "drift_repaired"
                reports.append(event.data["message"])
                if len(reports) >= 2:
                    break
        assert any("gain" in r for r in reports), reports
        assert any("playback_1" in r for r in reports), reports
        assert await engine_value(bridge, iid) == pytest.approx(-6.5)
        pairs = {(p["source"], p["target"]) for p in await bridge.call("list_connections")}
        assert (wire["source"], wire["target"]) in pairs
        print(f"\ndrift repaired in {time.monotonic() - t0:.1f} s: {reports}")
