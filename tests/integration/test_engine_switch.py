"""Transactions: a burst of graph changes is swapped in at one cycle boundary; a plugin kept
across the switch never stops (no period of a continuous signal through it drops out)."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Iterator

import jack
import numpy as np
import pytest

from stompbox.jackd import JackServer
from tests.support.engine import EngineClient, EngineProcess, FeedbackClient

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"
DELAY = "http://drobilla.net/plugins/mda/Delay"


class PeriodMeter:
    """Plays a sine on `out` and keeps the RMS of every period that comes back on `in`.

    It also counts what spoils a measurement without being the engine's doing: JACK xruns and
    cycles this (Python, GIL-bound) client missed, seen as a gap in the frame times of its own
    callbacks; `disturbed` grows with each, so a test can tell a clean window from one where the
    probe itself stumbled."""

    def __init__(self, server: str, amplitude: float = 0.1) -> None:
        self.client = jack.Client("switch-meter", servername=server, no_start_server=True)
        self.out = self.client.outports.register("out")
        self.inp = self.client.inports.register("in")
        self.amplitude = amplitude
        self._phase = 0.0
        self._lock = threading.Lock()
        self.rms: list[float] = []
        self.jumps: list[float] = []  # per period: the largest step between two samples
        self._last = 0.0
        self._next_frame: int | None = None
        self.disturbed = 0
        self.client.set_process_callback(self._process)
        self.client.set_xrun_callback(self._xrun)
        self.client.activate()

    def _xrun(self, _delayed_usecs: float) -> None:
        self.disturbed += 1

    def _process(self, frames: int) -> None:
        start = self.client.last_frame_time
        if self._next_frame is not None and start != self._next_frame:
            self.disturbed += 1  # a cycle went by without this callback
        self._next_frame = start + frames
        step = 2 * math.pi * 440.0 / self.client.samplerate
        phases = self._phase + step * np.arange(frames)
        self.out.get_array()[:] = (self.amplitude * np.sin(phases)).astype(np.float32)
        self._phase = float((self._phase + step * frames) % (2 * math.pi))
        data = self.inp.get_array()
        steps = np.abs(np.diff(np.concatenate(([self._last], data))))
        self._last = float(data[-1]) if frames else self._last
        with self._lock:
            self.rms.append(float(np.sqrt(np.mean(data * data))))
            self.jumps.append(float(steps.max()) if frames else 0.0)

    def take(self) -> list[float]:
        with self._lock:
            out, self.rms, self.jumps = self.rms, [], []
        return out

    def take_jumps(self) -> list[float]:
        with self._lock:
            out, self.rms, self.jumps = self.jumps, [], []
        return out

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


@pytest.fixture
def meter(jack_server: JackServer) -> Iterator[PeriodMeter]:
    m = PeriodMeter(jack_server.name)
    try:
        yield m
    finally:
        m.close()


async def test_switch_in_a_transaction_keeps_the_shared_path_playing(
    client: EngineClient, meter: PeriodMeter
) -> None:
    # board A: meter → amp (kept) → meter, plus a delay hanging off the amp
    assert await client.cmd(f"add {AMP} 0") == "resp 0"
    assert await client.cmd(f"add {DELAY} 1") == "resp 1"
    assert await client.cmd("connect effect_0:output effect_1:left_in") == "resp 0"
    assert await client.cmd(f"connect {meter.out.name} effect_0:input") == "resp 0"
    assert await client.cmd(f"connect effect_0:output {meter.inp.name}") == "resp 0"
    await asyncio.sleep(0.3)
    meter.take()
    # board B: the delay goes, two new plugins come, all in one plan
    burst = [
        "transaction_begin",
        "remove 1",
        f"add {DELAY} 2",
        f"add {AMP} 3",
        "connect effect_0:output effect_2:left_in",
        "connect effect_2:left_out effect_3:input",
        "param_set 3 gain -6",
        "transaction_commit",
    ]
    await client.send_raw(b"".join(line.encode() + b"\0" for line in burst))
    replies = [await client.read_reply() for _ in burst]
    assert replies == ["resp 0", "resp 0", "resp 2", "resp 3"] + ["resp 0"] * 4
    await asyncio.sleep(0.3)
    periods = meter.take()
    expected = meter.amplitude / math.sqrt(2)
    assert len(periods) > 20
    assert min(periods) > 0.9 * expected, "a period of the kept path dropped out"
    assert max(periods) < 1.1 * expected
    assert await client.cmd("transaction_commit") == "resp -902"  # none open


async def test_nothing_changes_before_the_commit(client: EngineClient, meter: PeriodMeter) -> None:
    assert await client.cmd(f"add {AMP} 5") == "resp 5"
    assert await client.cmd(f"connect {meter.out.name} effect_5:input") == "resp 0"
    assert await client.cmd("transaction_begin") == "resp 0"
    assert await client.cmd(f"connect effect_5:output {meter.inp.name}") == "resp 0"
    assert await client.cmd(f"add {AMP} 6") == "resp 6"
    assert await client.cmd("connect effect_6:output effect_5:input") == "resp 0"
    await asyncio.sleep(0.2)
    meter.take()
    await asyncio.sleep(0.1)
    # the outside port is connected, but the plan that feeds it is not in yet: silence
    assert max(meter.take()) < 1e-4
    assert await client.cmd("transaction_commit") == "resp 0"
    await asyncio.sleep(0.2)
    meter.take()
    await asyncio.sleep(0.1)
    assert min(meter.take()) > 0.05


async def test_monitor_audio_levels_reports_peaks(
    client: EngineClient, meter: PeriodMeter, module_engine: EngineProcess
) -> None:
    async with FeedbackClient(module_engine.host, module_engine.feedback_port) as fb:
        assert await client.cmd("output_data_ready") == "resp 0"
        assert await client.cmd(f"add {AMP} 7") == "resp 7"
        assert await client.cmd(f"connect {meter.out.name} effect_7:input") == "resp 0"
        assert await client.cmd("param_set 7 gain -6") == "resp 0"
        assert await client.cmd("monitor_audio_levels effect_7:output 1") == "resp 0"  # inside
        assert await client.cmd(f"monitor_audio_levels {meter.out.name} 1") == "resp 0"  # outside
        seen: dict[int, float] = {}
        while len(seen) < 2:
            for msg in await fb.until(lambda m: m == "data_finish"):
                if msg.startswith("audio_monitor "):
                    _, index, value = msg.split()
                    seen[int(index)] = float(value)
            assert await client.cmd("output_data_ready") == "resp 0"
        assert seen[0] == pytest.approx(meter.amplitude * 10 ** (-6 / 20), rel=0.05)
        assert seen[1] == pytest.approx(meter.amplitude, rel=0.05)
        # off only for the most recently added (LIFO), as mod-host
        assert await client.cmd("monitor_audio_levels effect_7:output 0") == "resp -902"
        assert await client.cmd(f"monitor_audio_levels {meter.out.name} 0") == "resp 0"
        assert await client.cmd("monitor_audio_levels effect_7:output 0") == "resp 0"
        assert await client.cmd("monitor_audio_levels nosuch:port 1") == "resp -205"
        # `remove -1` (a new client) starts without the last client's meters
        assert await client.cmd("monitor_audio_levels effect_7:output 1") == "resp 0"
        assert await client.cmd("remove -1") == "resp 0"
        assert await client.cmd("monitor_audio_levels effect_7:output 0") == "resp -902"


async def test_where_the_output_changes_it_fades_instead_of_cutting(
    client: EngineClient, meter: PeriodMeter
) -> None:
    """Switching between a +6 dB and a -6 dB amp on the way out: a hard cut would step by up to
    1.5x the amplitude between two samples; the fade keeps every step near the sine's own."""
    gains = {10: 6.0, 11: -6.0}
    current = 10
    assert await client.cmd(f"add {AMP} 10") == "resp 10"
    assert await client.cmd("param_set 10 gain 6") == "resp 0"
    assert await client.cmd(f"connect {meter.out.name} effect_10:input") == "resp 0"
    assert await client.cmd(f"connect effect_10:output {meter.inp.name}") == "resp 0"
    await asyncio.sleep(0.3)
    natural = 2 * math.pi * 440 / 48000 * meter.amplitude * 10 ** (6 / 20)  # steepest sine step
    worst: list[float] = []
    for _ in range(18):  # six clean switches: a window the probe stumbled in does not count
        if len(worst) == 6:
            break
        new = 21 - current
        burst = [
            "transaction_begin",
            f"remove {current}",
            f"add {AMP} {new}",
            f"param_set {new} gain {gains[new]}",
            f"connect {meter.out.name} effect_{new}:input",
            f"connect effect_{new}:output {meter.inp.name}",
            "transaction_commit",
        ]
        meter.take_jumps()
        before = meter.disturbed
        await client.send_raw(b"".join(line.encode() + b"\0" for line in burst))
        replies = [await client.read_reply() for _ in burst]
        assert replies[2] == f"resp {new}"
        await asyncio.sleep(0.15)
        jumps = meter.take_jumps()
        if meter.disturbed == before:
            worst.append(max(jumps))
        current = new
    assert len(worst) >= 3, "the probe missed cycles in almost every window"
    # a hard cut steps by more than 3x the sine's own in ~9 of 10 switches
    cuts = [w for w in worst if w >= 3 * natural]
    assert len(cuts) <= 1, f"steps {cuts} (the sine's own {natural:.4f})"


async def test_a_replaced_output_crossfades_without_a_dip(
    client: EngineClient, meter: PeriodMeter
) -> None:
    """Replacing the last plugin by an equal one moves the output to another engine port: the
    old port fades out while the new one fades in (10 ms, both playing), so the sum the meter
    hears keeps its level in every period. A fade-out-then-in would dip two periods to ~58 %."""
    current = 12
    assert await client.cmd(f"add {AMP} {current}") == f"resp {current}"
    assert await client.cmd(f"connect {meter.out.name} effect_{current}:input") == "resp 0"
    assert await client.cmd(f"connect effect_{current}:output {meter.inp.name}") == "resp 0"
    await asyncio.sleep(0.3)
    expected = meter.amplitude / math.sqrt(2)
    lowest: list[float] = []
    for _ in range(12):  # four clean switches: a window the probe stumbled in does not count
        if len(lowest) == 4:
            break
        new = 25 - current
        burst = [
            "transaction_begin",
            f"remove {current}",
            f"add {AMP} {new}",
            f"connect {meter.out.name} effect_{new}:input",
            f"connect effect_{new}:output {meter.inp.name}",
            "transaction_commit",
        ]
        meter.take()
        before = meter.disturbed
        await client.send_raw(b"".join(line.encode() + b"\0" for line in burst))
        replies = [await client.read_reply() for _ in burst]
        assert replies[2] == f"resp {new}"
        await asyncio.sleep(0.2)
        periods = meter.take()
        assert len(periods) > 10
        if meter.disturbed == before:
            lowest.append(min(periods) / expected)
        current = new
    assert len(lowest) >= 2, "the probe missed cycles in almost every window"
    dips = [x for x in lowest if x < 0.9]
    assert len(dips) <= 1, f"lowest period levels {lowest}"
