"""The engine client's request pipeline as pure bookkeeping: queued, written, answered in order.

A request waits in the *queue* until the connection has room in its *window* of written but
unanswered requests; then it is written and moves to the *in-flight* FIFO, which replies pop in
order (mod-host answers in order). While a `param_set` to one (instance, symbol) is still queued,
a newer one replaces its value and moves to the back of the queue (so it still runs after any
command submitted before it); every caller of the merged request gets that request's reply.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, deque
from collections.abc import Hashable
from typing import Generic, TypeVar

from stompbox.modhost.commands import Command, ParamSet

W = TypeVar("W")


class Pending(Generic[W]):
    """One request on its way: the command, its wire bytes, everyone waiting for its reply."""

    __slots__ = ("command", "data", "waiters")

    def __init__(self, command: Command, data: bytes, waiter: W) -> None:
        self.command: Command = command
        self.data = data
        self.waiters: list[W] = [waiter]


def coalesce_key(command: Command) -> Hashable | None:
    """Requests with equal keys may merge while queued: param_set per (instance, symbol)."""
    if isinstance(command, ParamSet):
        return (command.instance, command.symbol)
    return None


class RequestQueue(Generic[W]):
    """Queue → in flight → answered; see the module doc. `W` is the caller's waiter type."""

    def __init__(self, window: int = 64) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.window = window
        self._seq = itertools.count()
        self._queued: OrderedDict[int, Pending[W]] = OrderedDict()
        self._slot_of: dict[Hashable, int] = {}
        self._in_flight: deque[Pending[W]] = deque()
        self.coalesced = 0

    def __len__(self) -> int:
        """Requests not yet answered (queued and in flight)."""
        return len(self._queued) + len(self._in_flight)

    @property
    def queued(self) -> int:
        return len(self._queued)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def submit(self, command: Command, waiter: W, data: bytes = b"") -> Pending[W]:
        """Queue `command` (wire form `data`) for `waiter`, merging it into a queued request
        with the same key."""
        key = coalesce_key(command)
        if key is not None:
            slot = self._slot_of.get(key)
            if slot is not None:
                pending = self._queued.pop(slot)
                pending.command = command
                pending.data = data
                pending.waiters.append(waiter)
                self.coalesced += 1
                new_slot = next(self._seq)
                self._queued[new_slot] = pending
                self._slot_of[key] = new_slot
                return pending
        pending = Pending(command, data, waiter)
        slot = next(self._seq)
        self._queued[slot] = pending
        if key is not None:
            self._slot_of[key] = slot
        return pending

    def take(self) -> list[Pending[W]]:
        """Requests to write now (oldest first), as many as the window allows; they are
        in flight from here on."""
        room = self.window - len(self._in_flight)
        out: list[Pending[W]] = []
        while room > 0 and self._queued:
            _, pending = self._queued.popitem(last=False)
            key = coalesce_key(pending.command)
            if key is not None:
                self._slot_of.pop(key, None)
            self._in_flight.append(pending)
            out.append(pending)
            room -= 1
        return out

    def answered(self) -> Pending[W]:
        """The request a reply that just arrived belongs to (the oldest in flight).

        Raises LookupError when nothing is in flight (the peer sent a reply nobody asked for).
        """
        if not self._in_flight:
            raise LookupError("a reply arrived with no request in flight")
        return self._in_flight.popleft()

    def drain(self) -> list[Pending[W]]:
        """Remove and return every request (in flight first, then queued), e.g. on disconnect."""
        out = list(self._in_flight) + list(self._queued.values())
        self._in_flight.clear()
        self._queued.clear()
        self._slot_of.clear()
        return out
