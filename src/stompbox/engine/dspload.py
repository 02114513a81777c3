"""Per-plugin DSP time: sample the C core's last-cycle run() time, report averages per period.

The C core stores, per instance, how long its last cycle's `run()` took (an atomic the process
thread writes). `DspMeter.sample()` reads it every CPU sample; `report()` gives one `dsp_load
<instance> <µs> <%>` per plugin in the C core (isolated plugins run in their own process and are
not measured), the mean of the samples since the last report, and starts over.
"""

from __future__ import annotations

from collections import defaultdict

from stompbox.modhost.feedback import DspLoadFb

from .boardio import NativePlugin
from .instances import Instance
from .native import NativeEngine


class DspMeter:
    """Sums of sampled DSP times per instance between two reports."""

    def __init__(self) -> None:
        self._sum: defaultdict[int, float] = defaultdict(float)
        self._count: defaultdict[int, int] = defaultdict(int)

    def sample(self, native: NativeEngine, instances: dict[int, Instance]) -> None:
        for number, inst in instances.items():
            if isinstance(inst.proc, NativePlugin):
                self._sum[number] += native.dsp_ns(number) / 1000.0
                self._count[number] += 1

    def report(self, native: NativeEngine, instances: dict[int, Instance]) -> list[DspLoadFb]:
        """The mean DSP time of every plugin still there, in µs and % of the JACK period."""
        rate, frames = native.sample_rate, native.block_size
        period_us = frames * 1e6 / rate if rate and frames else 0.0
        out = []
        for number, total in sorted(self._sum.items()):
            if number not in instances or not self._count[number]:
                continue
            micros = total / self._count[number]
            percent = 100.0 * micros / period_us if period_us else 0.0
            out.append(DspLoadFb(number, round(micros, 3), round(percent, 3)))
        self.clear()
        return out

    def clear(self) -> None:
        self._sum.clear()
        self._count.clear()
