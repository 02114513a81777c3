"""An engine stalled past a knob turn's deadline (SIGSTOP): the client is told `timeout`, the
engine applies the late value once it runs again, and the session follows it at once with the
model's value — model, engine and every client agree afterwards. The watchdog is off here, so
only that rule (session/uncertain.py) can bring them together."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable

import pytest

from stompbox.contract.errors import StompboxTimeoutError
from stompbox.zmqservice import RpcClient, Subscriber
from tests.support.calls import engine_value, ready_plugin
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

SETTLE = 60.0


async def _model_gain(session: RpcClient, iid: str) -> float:
    state = await session.call("state")
    plugin = next(p for p in state["pedalboard"]["plugins"] if p["instance_id"] == iid)
    return float(plugin["parameters"]["gain"])


async def _values_seen(events: Subscriber, iid: str) -> list[float]:
    """The gain values `events` delivered so far (it is drained until quiet for 1 s)."""
    seen: list[float] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(1.0):
            async for event in events:
                if event.data["instance_id"] == iid:
                    seen.append(float(event.data["value"]))
    return seen


async def test_a_knob_turn_during_an_engine_stall_ends_on_the_model_value(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory(
        "session", env={"STOMPBOX_ENGINE_TIMEOUT": "1.5", "STOMPBOX_WATCHDOG_INTERVAL": "0"}
    )
    engine = stack.children["engine"]
    async with (
        RpcClient(stack.session_rpc, timeout=30.0) as session,
        RpcClient(stack.bridge_rpc, timeout=30.0) as bridge,
        Subscriber(stack.session_pub, ["parameter_changed"]) as other_client,
    ):
        await other_client.wait_connected()
        iid = await ready_plugin(session)
        await session.call("set_parameter", {"instance_id": iid, "symbol": "gain", "value": -6.5})
        assert await engine_value(bridge, iid) == pytest.approx(-6.5)
        engine.signal(signal.SIGSTOP)
        try:
            with pytest.raises(StompboxTimeoutError):
                await session.call(
                    "set_parameter", {"instance_id": iid, "symbol": "gain", "value": 12}
                )
            assert await _model_gain(session, iid) == pytest.approx(-6.5)
        finally:
            engine.signal(signal.SIGCONT)
        # the engine now runs the late +12 (it was in flight); then the model's value again
        deadline = time.monotonic() + SETTLE
        while True:
            held = await engine_value(bridge, iid)
            if held == pytest.approx(-6.5):
                stats = await session.call("health")
                if stats["statistics"]["reasserter"]["pending"] == 0:
                    break
            assert time.monotonic() < deadline, f"engine stays at {held}"
            await asyncio.sleep(0.2)
        assert await _model_gain(session, iid) == pytest.approx(-6.5)
        assert await engine_value(bridge, iid) == pytest.approx(-6.5)
        assert stats["statistics"]["reasserter"]["reasserted"] >= 1
        seen = await _values_seen(other_client, iid)
        # what the other client was told ends on the model's value, and never said +12
        assert seen[-1] == pytest.approx(-6.5), seen
        assert 12.0 not in seen
