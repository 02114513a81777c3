"""Coalescing of parameter changes and a token bucket: pure bookkeeping, no I/O, no clock.

`Coalescer` keeps at most one call in flight per key (e.g. (instance_id, symbol)); a value
submitted while its key is busy replaces the value parked for that key, so a fast-turning knob
sends its newest value as soon as the previous call returns and never builds a backlog.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TooManyKeys(Exception):
    """More distinct keys in flight than the coalescer allows."""


class Coalescer(Generic[K, V]):
    """Per-key "one in flight, newest parked" bookkeeping.

    `submit(key, value)` returns the value to send now, or None when it was parked behind the
    call in flight for that key; `done(key)` (call it when a key's call returns) returns the
    parked value to send next, or None when the key is idle again.
    """

    def __init__(self, max_keys: int = 64) -> None:
        self.max_keys = max_keys
        self._busy: set[K] = set()
        self._parked: dict[K, V] = {}
        self._stats: Counter[str] = Counter()

    def submit(self, key: K, value: V) -> V | None:
        self._stats["submitted"] += 1
        if key in self._busy:
            if key in self._parked:
                self._stats["coalesced"] += 1
            self._parked[key] = value
            return None
        if len(self._busy) >= self.max_keys:
            self._stats["refused"] += 1
            raise TooManyKeys(f"more than {self.max_keys} parameters changing at once")
        self._busy.add(key)
        self._stats["started"] += 1
        return value

    def done(self, key: K) -> V | None:
        if key in self._parked:
            self._stats["started"] += 1
            return self._parked.pop(key)
        self._busy.discard(key)
        return None

    def busy(self, key: K) -> bool:
        return key in self._busy

    def statistics(self) -> dict[str, Any]:
        """submitted, started (calls made), coalesced (values replaced before sending), refused."""
        return {"in_flight": len(self._busy), "parked": len(self._parked), **dict(self._stats)}


class TokenBucket:
    """Allow `rate` events per second with bursts up to `burst`; time is passed in (seconds)."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._last = now

    def allow(self, now: float) -> bool:
        elapsed = max(0.0, now - self._last)
        self._last = now
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def wait(self, now: float) -> float:
        """Seconds until `allow` succeeds (0 when it would now)."""
        elapsed = max(0.0, now - self._last)
        tokens = min(self.burst, self._tokens + elapsed * self.rate)
        return max(0.0, (1.0 - tokens) / self.rate)
