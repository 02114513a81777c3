"""The session's shared state: current board, engine mirror, lock and event sink."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import msgspec

from stompbox.contract.errors import ConflictError, NotFoundError
from stompbox.contract.events import event_name
from stompbox.contract.model import Connection, Pedalboard, PluginInstance
from stompbox.contract.rpc import now_iso
from stompbox.contract.session import SessionWarningData
from stompbox.contract.session_events import SessionEvent

from .bridge_client import BridgeApi
from .doubt import Doubts, NoDoubt

TUNER_ID = "stompbox-tuner"
METER_ID = "stompbox-meter"
HIDDEN_INSTANCES = frozenset({TUNER_ID, METER_ID})  # the live service's, never on a board
PLAYBACK_PREFIX = "system:playback_"


class EventSink(Protocol):
    """Where events go: zmqservice's ZmqService/Publisher, or a list in tests."""

    def publish(self, event: str, data: dict[str, Any] | msgspec.Struct | None = None) -> Any: ...

    @property
    def seq(self) -> int: ...


class EngineInstance(msgspec.Struct):
    """What the engine runs for one instance, as far as the session has been told."""

    uri: str
    parameters: dict[str, float] = msgspec.field(default_factory=dict)
    bypassed: bool | None = None  # None: unknown (adopted after a session restart)


class EngineView:
    """The session's mirror of the engine graph; the board is synced against it by diffs."""

    def __init__(self) -> None:
        self.instances: dict[str, EngineInstance] = {}
        self.connections: set[tuple[str, str]] = set()

    def clear(self) -> None:
        self.instances.clear()
        self.connections.clear()

    def drop_instance(self, instance_id: str) -> None:
        self.instances.pop(instance_id, None)
        prefix = f"{instance_id}:"
        self.connections = {
            c for c in self.connections if not (c[0].startswith(prefix) or c[1].startswith(prefix))
        }


class SessionState:
    """State every service works on. Mutations happen with `lock` held (the session-level lock)."""

    def __init__(self, bridge: BridgeApi, events: EventSink) -> None:
        self.bridge = bridge
        self.events = events
        self.lock = asyncio.Lock()
        self.board: Pedalboard | None = None
        self.modified = False
        self.engine = EngineView()
        self.engine_connected = False
        self.bridge_connected = False
        self.outputs_held = False
        """The tuner mutes the board: its edges into system:playback_* are held off in the engine
        (still in the model); the watchdog does not count them as drift."""
        self.crashed: set[str] = set()
        """Plugins the engine lost (`plugin_died`) and has not run again since (the next replay
        of the board into the engine clears it): a page that loads meanwhile still marks them."""
        self.died_unloaded: deque[str] = deque(maxlen=64)
        """Plugins reported dead before the reply of their load arrived (two sockets: the
        event may overtake the reply); the load marks them crashed when it completes."""
        self.doubt: Doubts | NoDoubt = NoDoubt()
        """Counts structural requests; one that times out is followed by the model's state."""
        self.warnings: list[SessionWarningData] = []
        """The last 20 warnings reported (in `state`: a page opened later still shows them)."""
        self.on_change: Callable[[], None] = lambda: None
        """Called after every model change (the autosaver hooks in here): replies wait for it."""
        self.on_aside: Callable[[], None] = lambda: None
        """Called after a change that rides along with the next write but that no reply waits
        for (the undo entry of a knob turn: the value itself is in the value log)."""
        self.on_value: Callable[[str, str, float], None] = lambda iid, symbol, value: None
        """Called after a parameter value is recorded, right after on_change (the value log)."""

    # -- lookups --------------------------------------------------------------------------

    def require_board(self) -> Pedalboard:
        if self.board is None:
            raise ConflictError("no current pedalboard: create or load one first")
        return self.board

    def instance(self, instance_id: str) -> PluginInstance:
        board = self.require_board()
        for plugin in board.plugins:
            if plugin.instance_id == instance_id:
                return plugin
        raise NotFoundError(f"no plugin instance {instance_id!r}", {"instance_id": instance_id})

    def find(self, instance_id: str) -> PluginInstance | None:
        if self.board is None:
            return None
        for plugin in self.board.plugins:
            if plugin.instance_id == instance_id:
                return plugin
        return None

    def has_connection(self, source: str, target: str) -> bool:
        board = self.require_board()
        return Connection(source, target) in board.connections

    # -- changes --------------------------------------------------------------------------

    def publish(self, event: str, data: msgspec.Struct | dict[str, Any]) -> None:
        """An event not (yet) in the SessionEvent union: by name (contract/session_events.py)."""
        self.events.publish(event, data)

    def publish_event(self, event: SessionEvent) -> None:
        """A typed board event: topic = its tag, data = its fields."""
        self.events.publish(event_name(event), event)

    def changed(self) -> None:
        """Mark the board modified (against its file) and schedule an autosave."""
        if self.board is not None:
            self.board.modified_at = now_iso()
        self.modified = True
        self.on_change()
