"""When a hidden instance's monitored output port must be asked for (`monitor_output`) again.

The native engine streams a monitored output port's changes (`output_set` feedback) by itself;
the jalv engine answers one `output_set` per `monitor_output`. Two or more values arriving
between two polls mean the engine streams: polling stops while values keep coming, and starts
again once none came for `STALE` seconds (a silent signal, an engine restart, the jalv engine).
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)

STALE = 0.5


class OutputPoll:
    """Counts `output_set` arrivals between polls; `due()` says whether to poll now."""

    def __init__(self, name: str = "output") -> None:
        self.name = name
        self.streaming = False
        self._since_poll = 0
        self._last = -float("inf")

    def reset(self) -> None:
        """The instance was (re)loaded: poll until it streams again."""
        self.streaming = False
        self._since_poll = 0

    def arrived(self, now: float | None = None) -> None:
        self._last = time.monotonic() if now is None else now
        self._since_poll += 1
        if self._since_poll >= 2 and not self.streaming:
            self.streaming = True
            log.info("%s: the engine streams its values; polling paused", self.name)

    def due(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if self.streaming and now - self._last < STALE:
            return False
        self.streaming = False
        self._since_poll = 0
        return True
