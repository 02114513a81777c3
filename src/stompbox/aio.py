"""Run a process's main coroutine on uvloop, the event loop every stompbox process uses."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on a uvloop loop (libuv: cheaper wake-ups and socket I/O per hop)."""
    return uvloop.run(main)
