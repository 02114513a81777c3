"""Plugin latency: which output port reports it, and the last value each instance reported.

A plugin reports its latency (in frames) on an output control port designated `lv2:latency`
or marked `lv2:reportsLatency`. The bridge monitors that port on load (`monitor_output`, which
a real mod-host answers the same way) and keeps the value from the `output_set` feedback.
"""

from __future__ import annotations

from stompbox.contract.plugin import Direction, PluginInfo, PortType
from stompbox.modhost.feedback import OutputSetFb


def latency_symbol(plugin: PluginInfo) -> str | None:
    """The symbol of the plugin's latency output port, or None."""
    for port in plugin.ports:
        if (
            port.designation == "latency"
            and port.type is PortType.CONTROL
            and port.direction is Direction.OUTPUT
        ):
            return port.symbol
    return None


class Latencies:
    """engine number → reported latency in frames. Pure bookkeeping, no I/O."""

    def __init__(self) -> None:
        self._symbols: dict[int, str] = {}
        self._frames: dict[int, int] = {}

    def watch(self, number: int, symbol: str) -> None:
        self._symbols[number] = symbol
        self._frames.pop(number, None)

    def forget(self, number: int) -> None:
        self._symbols.pop(number, None)
        self._frames.pop(number, None)

    def clear(self) -> None:
        self._symbols.clear()
        self._frames.clear()

    def get(self, number: int) -> int | None:
        return self._frames.get(number)

    def observe(self, fb: OutputSetFb) -> int | None:
        """The new latency when `fb` changed a watched instance's latency, else None."""
        if self._symbols.get(fb.instance) != fb.symbol:
            return None
        frames = max(0, round(fb.value))
        if self._frames.get(fb.instance) == frames:
            return None
        self._frames[fb.instance] = frames
        return frames
