"""The caller's deadline, carried through every hop: an RPC request says how long its caller
still waits; the server runs the handler inside that deadline, and every call the handler makes
(to another service, to the engine) waits at most what is left of it.

A contextvar holds the deadline (a `time.monotonic()` instant) of the request a task serves;
only remaining seconds cross the wire, since clocks of two hosts do not compare.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("stompbox_deadline", default=None)

MAX_REPLY_MARGIN = 0.05
"""A server keeps up to this much (or a tenth of a short deadline) of its caller's time for
its own reply to travel back, so a hop that gives up still answers before the caller does."""


def for_handler(timeout: float | None) -> float | None:
    """The part of a caller's `timeout` a handler may spend (see MAX_REPLY_MARGIN)."""
    if timeout is None:
        return None
    return timeout - min(MAX_REPLY_MARGIN, 0.1 * max(0.0, timeout))


def remaining() -> float | None:
    """Seconds left until the current request's deadline (may be ≤ 0), or None without one."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def within(limit: float) -> float:
    """`limit`, cut to what is left of the current deadline (never below zero)."""
    left = remaining()
    return limit if left is None else max(0.0, min(limit, left))


@contextlib.contextmanager
def scope(seconds: float | None) -> Iterator[None]:
    """Run the block under a deadline `seconds` from now (None: keep the current one). A
    nested scope can only shorten the deadline, never extend it."""
    if seconds is None:
        yield
        return
    new = time.monotonic() + max(0.0, seconds)
    current = _deadline.get()
    token = _deadline.set(new if current is None else min(current, new))
    try:
        yield
    finally:
        _deadline.reset(token)
