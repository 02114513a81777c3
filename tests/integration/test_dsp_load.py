"""Per-plugin DSP time: the engine reports `dsp_load <instance> <µs> <%>` every 0.5 s while the
cpu-load feature is on; through the bridge and the session it arrives as a typed `dsp_load`
event per board instance. A heavy plugin (an oversampled amp simulation) reports more than a
light one (a gain)."""

from __future__ import annotations

import asyncio
import time

import pytest

from stompbox.zmqservice import RpcClient, Subscriber
from tests.support.engine import EngineClient, EngineProcess, FeedbackClient
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

LIGHT = "http://plugin.org.uk/swh-plugins/amp"
HEAVY = "http://guitarix.sourceforge.net/plugins/gx_amp#GUITARIX"


async def test_the_engine_reports_each_plugins_dsp_time(module_engine: EngineProcess) -> None:
    async with (
        EngineClient(module_engine.host, module_engine.port) as client,
        FeedbackClient(module_engine.host, module_engine.feedback_port) as fb,
    ):
        assert await client.cmd("output_data_ready") == "resp 0"
        assert await client.cmd(f"add {LIGHT} 30") == "resp 30"
        assert await client.cmd(f"add {HEAVY} 31") == "resp 31"
        assert await client.cmd("feature_enable cpu-load 1") == "resp 0"
        loads: dict[int, tuple[float, float]] = {}
        async with asyncio.timeout(20):
            while len(loads) < 2:
                for msg in await fb.until(lambda m: m == "data_finish"):
                    if msg.startswith("dsp_load "):
                        _, inst, micros, percent = msg.split()
                        loads[int(inst)] = (float(micros), float(percent))
                assert await client.cmd("output_data_ready") == "resp 0"
        assert await client.cmd("feature_enable cpu-load 0") == "resp 0"
        assert await client.cmd("remove -1") == "resp 0"
    (light_us, light_pct), (heavy_us, heavy_pct) = loads[30], loads[31]
    assert heavy_us > light_us >= 0.0, loads  # (the clock has µs steps: a gain may read 0)
    assert heavy_pct > light_pct >= 0.0, loads
    # µs and % agree: % of one JACK period (the test server's: 64..4096 frames at 48 kHz)
    period_us = 100.0 * heavy_us / heavy_pct
    assert period_us * 1.01 >= 64 / 48000 * 1e6
    assert period_us <= 4096 / 48000 * 1e6 * 1.01


async def test_the_session_publishes_dsp_load_per_block(stack: Stack) -> None:
    async with (
        RpcClient(stack.session_rpc, timeout=60.0) as c,
        Subscriber(stack.session_pub, ["dsp_load"]) as events,
    ):
        await events.wait_connected()
        await c.call("pedalboard.create", {"name": f"dsp {time.time_ns()}"})
        await c.call("load_plugin", {"uri": LIGHT, "instance_id": "light"})
        await c.call("load_plugin", {"uri": HEAVY, "instance_id": "heavy"})
        seen: dict[str, float] = {}
        async with asyncio.timeout(20):
            while len(seen) < 2:
                event = await events.__anext__()
                assert event.event == "dsp_load"
                assert set(event.data) == {"instance_id", "micros", "percent"}
                seen[event.data["instance_id"]] = event.data["percent"]
        assert seen["heavy"] > seen["light"], seen
