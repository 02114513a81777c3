"""kill -9 of the session right after an acknowledged knob turn: after the restart the model and
the running engine keep the acknowledged value (the reply left only after the autosave)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from stompbox.zmqservice import RpcClient
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"
TRIES = 3


async def _engine_gain(stack: Stack, iid: str) -> float:
    async with RpcClient(stack.bridge_rpc, timeout=10.0, retries=1) as bridge:
        got: dict[str, Any] = await bridge.call(
            "plugin", {"method": "get_parameter", "params": {"instance_id": iid, "symbol": "gain"}}
        )
    return float(got["value"])


async def _model_gain(stack: Stack, iid: str) -> float:
    async with RpcClient(stack.session_rpc, timeout=10.0, retries=1) as session:
        state = await session.call("state")
    (plugin,) = [p for p in state["pedalboard"]["plugins"] if p["instance_id"] == iid]
    return float(plugin["parameters"]["gain"])


async def test_acknowledged_knob_turn_survives_kill9_of_the_session(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory("session")
    async with RpcClient(stack.session_rpc, timeout=30.0) as session:
        deadline = time.monotonic() + 120
        while True:
            try:
                loaded = await session.call("load_plugin", {"uri": AMP})
                break
            except Exception:
                assert time.monotonic() < deadline, "catalog not ready"
                await asyncio.sleep(0.5)
        iid = str(loaded["instance_id"])
    for i in range(TRIES):
        value = -10.0 + i * 3.25
        async with RpcClient(stack.session_rpc, timeout=30.0) as session:
            await session.call(
                "set_parameter", {"instance_id": iid, "symbol": "gain", "value": value}
            )
        stack.kill("session")  # right after the acknowledgement
        stack.start_one("session")
        deadline = time.monotonic() + 60
        while True:
            try:
                model = await _model_gain(stack, iid)
                engine = await _engine_gain(stack, iid)
                if model == pytest.approx(value) and engine == pytest.approx(value):
                    break
            except Exception:
                model = engine = float("nan")
            assert time.monotonic() < deadline, f"model {model}, engine {engine} != {value}"
            await asyncio.sleep(0.2)
