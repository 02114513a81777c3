"""Board switches through the whole stack are gapless: the session wraps the switch in one
bridge transaction, the engine swaps it in as one graph plan, and a sine through a plugin both
boards share never drops out (measured per JACK period)."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from stompbox.zmqservice import RpcClient
from tests.support.blocks import BlockProbe
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"
DELAY = "http://drobilla.net/plugins/mda/Delay"
PLAN = re.compile(r"transaction committed as graph plan (\d+)")


async def jack_port(bridge: RpcClient, address: str) -> str:
    instance_id, symbol = address.split(":", 1)
    state = await bridge.call("state")
    return f"effect_{state['instances'][instance_id]['number']}:{symbol}"


async def two_boards(c: RpcClient) -> tuple[str, str]:
    """A: capture → shared amp → playback, a delay hanging off the amp; B: the same amp, the
    delay gone, another amp after it."""
    await c.call("pedalboard.create", {"name": f"switch A {time.time_ns()}"})
    await c.call("load_plugin", {"uri": AMP, "instance_id": "shared"})
    await c.call("load_plugin", {"uri": DELAY, "instance_id": "tail"})
    await c.call("connect", {"source": "system:capture_1", "target": "shared:input"})
    await c.call("connect", {"source": "shared:output", "target": "system:playback_1"})
    await c.call("connect", {"source": "shared:output", "target": "tail:left_in"})
    a = (await c.call("pedalboard.save"))["id"]
    await c.call("pedalboard.save_as", {"name": f"switch B {time.time_ns()}"})
    await c.call("unload_plugin", {"instance_id": "tail"})
    await c.call("load_plugin", {"uri": AMP, "instance_id": "extra"})
    await c.call("connect", {"source": "shared:output", "target": "extra:input"})
    await c.call("set_parameter", {"instance_id": "extra", "symbol": "gain", "value": -6.0})
    b = (await c.call("pedalboard.save"))["id"]
    return str(a), str(b)


async def test_board_switch_keeps_the_shared_path_playing_in_one_plan(stack: Stack) -> None:
    async with (
        RpcClient(stack.session_rpc, timeout=60.0) as c,
        RpcClient(stack.bridge_rpc, timeout=30.0) as b,
    ):
        a_id, b_id = await two_boards(c)
        await c.call("pedalboard.load", {"id": a_id})
        stats = (await b.call("statistics"))["transactions"]
        assert stats["supported"] is True
        with BlockProbe(stack.jack.name, name=f"switchprobe{time.time_ns()}", channels=1) as probe:
            probe.feed(await jack_port(b, "shared:input"), 0)
            probe.record(await jack_port(b, "shared:output"), 0)
            level, *_ = probe.measure_rms(settle=0.2)
            assert level == pytest.approx(probe.input_rms, rel=0.1)
            log_start = len(stack.children["engine"].log_text(False))
            probe.reset_blocks()
            await asyncio.sleep(0.1)
            for board in (b_id, a_id, b_id):
                result = await c.call("pedalboard.load", {"id": board})
                assert result["pedalboard"]["id"] == board
                await asyncio.sleep(0.15)
            mins, blocks = probe.min_block_rms()
        assert blocks > 10
        # no period of the shared plugin's output fell far below the sine while boards switched
        assert mins[0] > 0.8 * probe.input_rms, (mins, blocks)
        after = (await b.call("statistics"))["transactions"]
        assert after["committed"] - stats["committed"] == 3
        assert after["open"] == 0
        # one graph plan per switch: the three commits published consecutive plans
        plans = [int(m) for m in PLAN.findall(stack.children["engine"].log_text(False)[log_start:])]
        assert len(plans) == 3, plans
        assert plans == list(range(plans[0], plans[0] + 3)), plans
        state = await c.call("state")
        assert {p["instance_id"] for p in state["pedalboard"]["plugins"]} == {"shared", "extra"}


async def test_a_snapshot_burst_is_one_transaction_and_replies_stay_in_order(
    stack: Stack,
) -> None:
    async with (
        RpcClient(stack.session_rpc, timeout=60.0) as c,
        RpcClient(stack.bridge_rpc, timeout=30.0) as b,
    ):
        await c.call("pedalboard.create", {"name": f"burst {time.time_ns()}"})
        await c.call("load_plugin", {"uri": AMP, "instance_id": "burst"})
        before = (await b.call("statistics"))["transactions"]["committed"]
        changes = [{"instance_id": "burst", "symbol": "gain", "value": -float(n)} for n in range(5)]
        changes.insert(2, {"instance_id": "burst", "symbol": "nope", "value": 0.0})
        params = {"parameters": changes, "bypass": [{"instance_id": "burst", "bypassed": True}]}
        applied = await b.call("live", {"method": "apply", "params": params})
        assert applied["values"] == [-0.0, -1.0, None, -2.0, -3.0, -4.0]
        assert applied["bypass"] == [True]
        assert len(applied["errors"]) == 1
        assert (await b.call("statistics"))["transactions"]["committed"] == before + 1
        ref = {"instance_id": "burst", "symbol": "gain"}
        value = await b.call("plugin", {"method": "get_parameter", "params": ref})
        assert value["value"] == -4.0
