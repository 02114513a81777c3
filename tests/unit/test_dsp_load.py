"""Per-plugin DSP time, pure parts: the engine's meter averages samples into `dsp_load` lines; the
session passes `dsp_load` on for instances of its board only, and ignores bad data."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from stompbox.contract.errors import ValidationError
from stompbox.engine.boardio import NativePlugin
from stompbox.engine.dspload import DspMeter
from stompbox.engine.instances import Instance
from stompbox.engine.native import NativeEngine
from stompbox.modhost.feedback import DspLoadFb
from stompbox.session.fake_bridge import AMP

from .test_session_support import bridge_event, make_session


class Clock:
    """Stands in for the C core: a settable last-cycle DSP time per instance."""

    sample_rate = 48000
    block_size = 480  # a 10 ms period

    def __init__(self) -> None:
        self.ns: dict[int, int] = {}

    def dsp_ns(self, number: int) -> int:
        return self.ns.get(number, 0)


class Hosted:
    """An instance as the meter sees it: only `proc` (in the C core, or a jalv)."""

    def __init__(self, native: bool = True) -> None:
        self.proc = NativePlugin.__new__(NativePlugin) if native else object()


def instance(native: bool = True) -> Instance:
    return cast(Instance, Hosted(native))


def test_the_meter_reports_the_mean_per_plugin_in_us_and_percent() -> None:
    clock = Clock()
    native = cast(NativeEngine, clock)
    instances: dict[int, Any] = {1: instance(), 2: instance(), 3: instance(native=False)}
    meter = DspMeter()
    for heavy_ns in (900_000, 1_100_000):
        clock.ns = {1: 10_000, 2: heavy_ns, 3: 5_000_000}
        meter.sample(native, instances)
    report = meter.report(native, instances)
    # the isolated plugin (its own process) is not measured
    assert report == [DspLoadFb(1, 10.0, 0.1), DspLoadFb(2, 1000.0, 10.0)]
    assert meter.report(native, instances) == []  # starts over
    meter.sample(native, instances)
    del instances[2]  # removed before the report
    assert [fb.instance for fb in meter.report(native, instances)] == [1]


async def test_the_session_passes_dsp_load_on_for_its_board(tmp_path: Path) -> None:
    m, _bridge, events = await make_session(tmp_path)
    await m.load_plugin(AMP, instance_id="amp")
    events.clear()
    assert m.control.on_dsp_load(
        bridge_event("dsp_load", {"instance_id": "amp", "micros": 12.5, "percent": 0.5})
    )
    assert events.of("dsp_load") == [{"instance_id": "amp", "micros": 12.5, "percent": 0.5}]
    assert not m.control.on_dsp_load(
        bridge_event("dsp_load", {"instance_id": "ghost", "micros": 1.0, "percent": 0.1})
    )
    with pytest.raises(ValidationError):  # refused where the subscriber decodes it
        bridge_event("dsp_load", {"instance_id": "amp", "micros": "x", "percent": 0.1})
    assert len(events.of("dsp_load")) == 1
