"""Shared helpers of the session unit tests (an event recorder and a ready session)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from stompbox.contract.bridge import BRIDGE_EVENTS, BridgeEvent
from stompbox.contract.events import event_data
from stompbox.session.fake_bridge import FakeBridge
from stompbox.session.session_manager import SessionManager
from stompbox.session.storage import Storage


class Recorder:
    """An EventSink that keeps every event as (seq, name, data-as-builtins)."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str, Any]] = []
        self._seq = 0

    def publish(self, event: str, data: dict[str, Any] | msgspec.Struct | None = None) -> None:
        self._seq += 1
        if isinstance(data, msgspec.Struct):
            data = event_data(data)  # as the Publisher sends it: the tag is the event's name
        self.events.append((self._seq, str(event), msgspec.to_builtins(data)))

    @property
    def seq(self) -> int:
        return self._seq

    def names(self, *, history: bool = False) -> list[str]:
        """Event names in order (`history_changed`, published beside every edit, only if asked)."""
        return [e[1] for e in self.events if history or e[1] != "history_changed"]

    def of(self, name: str) -> list[Any]:
        return [e[2] for e in self.events if e[1] == name]

    def clear(self) -> None:
        self.events.clear()


async def make_session(
    data_dir: Path, bridge: FakeBridge | None = None, *, auto_create: bool = True
) -> tuple[SessionManager, FakeBridge, Recorder]:
    bridge = bridge or FakeBridge()
    events = Recorder()
    manager = SessionManager(bridge, events, Storage(data_dir), auto_create=auto_create)
    manager.restore()
    await manager.connect_engine()
    return manager, bridge, events


def bridge_event(name: str, data: dict[str, Any]) -> BridgeEvent:
    """A bridge event as the session's subscriber decodes it from the wire."""
    event = BRIDGE_EVENTS.decode(name, data)
    assert event is not None, name
    return event
