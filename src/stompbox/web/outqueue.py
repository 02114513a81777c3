"""One socket's queue of outgoing texts, coalescing latest-value events: pure, no I/O, no clock.

A socket that cannot keep up must get the newest value of each control, never a growing backlog.
So some events are *latest-value* events: each carries the whole current value of one thing (a
control's value, a block's position, the DSP load, the undo history), named by a key
(`coalescing_key`). Every other event is *structural* (a plugin loaded or removed, a board
loaded, a connection made…): the events after it may depend on it.

The rule, for one socket:

- The queue is cut into segments by structural items (structural events, `state`s, and the
  request to fetch one). Only the newest segment is open.
- A latest-value event whose key already has an item queued in the open segment (not yet taken
  by the sender) replaces that item's text in place: the position is the older one's, the value
  is the newer one's. Otherwise it is appended and becomes its key's item in the open segment.
- A structural item is appended and closes the segment: a later value of the same control is
  queued after it, never moved in front of it.

What a client sees then: for each key, values in the order they were published, some skipped,
the last one always delivered; every structural event in order, with each control showing,
around it, values from the same side of it as published. Values of *different* keys may arrive
in another order than their `seq` (a replaced value keeps the older slot), so a client must not
read a jump or a step back in `seq` as a lost event — the hub sends a fresh `state` when it lost
events. The queue holds at most (distinct keys + 1) items per segment; `limit` (the full-queue
resync) is the last resort, for a socket that falls behind on structural events.

Replies to the client's own messages are neither: they never close a segment.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Hashable, Mapping
from typing import Any

LATEST_VALUE: dict[str, tuple[str, ...]] = {
    "parameter_changed": ("instance_id", "symbol"),
    "output_changed": ("instance_id", "symbol"),
    "plugin_moved": ("instance_id",),
    "dsp_load": ("instance_id",),
    "audio_status": (),
    "history_changed": (),  # the whole summary of the current board's history
    "tuner": (),
    "meters": (),
    "block_meters": (),
}
"""Latest-value events: name → the data fields that, with the name, make the coalescing key."""


def coalescing_key(event: str, data: Mapping[str, Any]) -> Hashable | None:
    """The key of a latest-value event, or None for a structural one (or one whose key fields
    are missing or not plain strings: it is then kept in order like a structural event)."""
    fields = LATEST_VALUE.get(event)
    if fields is None:
        return None
    key: list[str] = [event]
    for field in fields:
        value = data.get(field)
        if not isinstance(value, str):
            return None
        key.append(value)
    return tuple(key)


class Kind(enum.Enum):
    EVENT = 1
    STATE = 2  # a state already fetched (text holds it)
    FETCH_STATE = 3  # fetch a fresh state, then send it
    REPLY = 4  # an error reply to this client; dropped rather than queued when the queue is full


class Outgoing:
    """One text to write. The hub offers the same Outgoing to every socket: never mutated."""

    __slots__ = ("born", "key", "kind", "seq", "text")

    def __init__(
        self,
        kind: Kind,
        seq: int = 0,
        text: str = "",
        born: float = 0.0,
        key: Hashable | None = None,
    ) -> None:
        self.kind = kind
        self.seq = seq
        self.text = text
        self.born = born  # time.perf_counter() when the hub received the event
        self.key = key  # coalescing key of a latest-value event, else None


class _Slot:
    """A queued latest-value item: its Outgoing is swapped for a newer one of the same key."""

    __slots__ = ("item",)

    def __init__(self, item: Outgoing) -> None:
        self.item = item


class OutQueue:
    """FIFO of Outgoing with the coalescing rule above; `push` returns False when full."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: deque[Outgoing | _Slot] = deque()
        self._open: dict[Hashable, _Slot] = {}
        self.coalesced = 0
        """values replaced in place before they were written"""

    def __len__(self) -> int:
        return len(self._items)

    def push(self, item: Outgoing) -> bool:
        key = item.key if item.kind is Kind.EVENT else None
        if key is not None:
            slot = self._open.get(key)
            if slot is not None:
                if item.seq >= slot.item.seq:  # a value never goes backwards
                    slot.item = item
                self.coalesced += 1
                return True
        if len(self._items) >= self.limit:
            return False
        if key is not None:
            slot = _Slot(item)
            self._items.append(slot)
            self._open[key] = slot
            return True
        self._items.append(item)
        if item.kind is not Kind.REPLY:
            self._open.clear()  # structural: later values queue after it
        return True

    def pop(self) -> Outgoing:
        """The oldest item (IndexError when empty); a taken item can no longer be replaced."""
        entry = self._items.popleft()
        if isinstance(entry, _Slot):
            item = entry.item
            if self._open.get(item.key) is entry:
                del self._open[item.key]
            return item
        return entry

    def clear(self) -> None:
        self._items.clear()
        self._open.clear()
