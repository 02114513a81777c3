"""Per-block meters on the real stack: a sine through a gain plugin shows its input and output
peak on the block (dBFS, within 1 dB), and clip once the output goes over 0 dBFS.

The engine meters the plugin's internal ports (`monitor_audio_levels effect_N:input|output`), the
bridge folds the peaks per block, the session adds hold and clip and publishes `block_meters`.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from typing import Any

import httpx
import pytest

from stompbox.zmqservice import RpcClient, Subscriber
from tests.support.audio import AudioProbe
from tests.support.calls import metered_amp
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

_names = itertools.count()


async def settled(
    events: Subscriber, iid: str, want_in: float, want_out: float, timeout: float = 20.0
) -> dict[str, Any]:
    """The block's reading once input and output have been within 1 dB for five events."""
    streak = 0
    last: dict[str, Any] = {}
    try:
        async with asyncio.timeout(timeout):
            while streak < 5:
                event = await events.__anext__()
                if not event.data.get("active"):
                    continue
                block = next((b for b in event.data["blocks"] if b["instance_id"] == iid), None)
                if block is None:
                    continue
                last = block
                ok = abs(block["input_db"] - want_in) <= 1.0
                ok = ok and abs(block["output_db"] - want_out) <= 1.0
                streak = streak + 1 if ok else 0
    except TimeoutError:
        want = f"in {want_in:.2f} out {want_out:.2f}"
        raise AssertionError(f"block meter {last}, expected {want}") from None
    return last


async def test_a_sine_through_a_gain_shows_on_the_block(stack: Stack) -> None:
    async with (
        RpcClient(stack.bridge_rpc, timeout=30.0) as b,
        httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as api,
        Subscriber(stack.session_pub, ["block_meters"]) as events,
    ):
        await events.wait_connected()
        iid = await metered_amp(api, f"block meters {time.time_ns()}")
        gain = f"/api/pedalboard/plugins/{iid}/parameters/gain"
        try:
            number = (await b.call("state"))["instances"][iid]["number"]
            with AudioProbe(
                stack.jack.name, name=f"blockprobe{next(_names)}", amplitude=0.25
            ) as probe:
                probe.feed(f"effect_{number}:input")
                level = 20 * math.log10(0.25)  # -12.04 dBFS peak
                reading = await settled(events, iid, level, level)
                assert reading["input_clip"] is False
                assert reading["output_clip"] is False
                await api.put(gain, json={"value": -6.0})
                reading = await settled(events, iid, level, level - 6.0)
                assert reading["output_hold_db"] >= reading["output_db"]
                await api.put(gain, json={"value": 18.0})  # +5.96 dBFS: over full scale
                reading = await settled(events, iid, level, level + 18.0)
                assert reading["output_clip"] is True
                assert reading["input_clip"] is False
        finally:
            await api.post("/api/meter/stop")
        async with asyncio.timeout(10):  # metering off: an empty, inactive reading
            while (await events.__anext__()).data.get("active"):
                pass
