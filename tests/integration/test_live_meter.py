"""The board's output meter on the real stack: a hidden x42 true-peak meter follows what feeds
system:playback_1 and reads a known level within 1 dB."""

from __future__ import annotations

import asyncio
import itertools
import math
import time

import httpx
import pytest

from stompbox.zmqservice import RpcClient
from tests.support.audio import AudioProbe
from tests.support.calls import metered_amp
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

_names = itertools.count()


async def settled_peak(api: httpx.AsyncClient, expected: float, timeout: float = 20.0) -> float:
    """The meter's peak once it has been within 1 dB of `expected` for five readings."""
    deadline = time.monotonic() + timeout
    streak = 0
    peak = -80.0
    while time.monotonic() < deadline:
        peak = (await api.get("/api/meter")).json()["peak_db"]
        streak = streak + 1 if abs(peak - expected) <= 1.0 else 0
        if streak >= 5:
            return float(peak)
        await asyncio.sleep(0.1)
    raise AssertionError(f"meter at {peak} dB, expected {expected:.2f} ± 1")


async def test_output_meter_reads_a_known_level(stack: Stack) -> None:
    async with (
        RpcClient(stack.bridge_rpc, timeout=30.0) as b,
        httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as api,
    ):
        iid = await metered_amp(api, f"meter board {time.time_ns()}")
        gain = f"/api/pedalboard/plugins/{iid}/parameters/gain"
        try:
            number = (await b.call("state"))["instances"][iid]["number"]
            with AudioProbe(
                stack.jack.name, name=f"meterprobe{next(_names)}", amplitude=0.25
            ) as probe:
                probe.feed(f"effect_{number}:input")
                level = 20 * math.log10(0.25)  # -12.04 dBFS peak
                await settled_peak(api, level)
                await api.put(gain, json={"value": -6.0})
                await settled_peak(api, level - 6.0)
                reading = (await api.get("/api/meter")).json()
                assert reading["hold_db"] >= reading["peak_db"]
                assert reading["clip"] is False
            board = (await api.get("/api/pedalboard")).json()
            assert all(p["instance_id"] != "stompbox-meter" for p in board["plugins"])
        finally:
            stopped = (await api.post("/api/meter/stop")).json()
        assert stopped["active"] is False
        assert "stompbox-meter" not in (await b.call("state"))["instances"]
