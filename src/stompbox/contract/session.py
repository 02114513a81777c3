"""Typed params, results and event payloads of the session's RPC API (service "session")."""

from __future__ import annotations

import enum
from typing import Any, Self

import msgspec

from .events import EventName
from .history import ClientId, HistoryItem
from .model import Connection, Pedalboard, PluginInstance
from .params import (  # shared request shapes, re-exported
    BufferSize as BufferSize,
    Bypass,
    Done as Done,
    Empty as Empty,
    InstanceRef as InstanceRef,
    LoadPreset as LoadPreset,
    Name,
    PluginUri as PluginUri,
    Ports,
    PresetUri as PresetUri,
    Processing as Processing,
    SavePreset as SavePreset,
    SetParameter as SetParameter,
)
from .stats import SessionStatistics
from .warning import SessionWarningData as SessionWarningData

BypassPlugin = Bypass  # session's name for the same shape
ConnectPorts = Ports

# -- params ---------------------------------------------------------------------------------


class LoadPlugin(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    uri: str
    x: float = 0.0
    y: float = 0.0
    instance_id: str | None = None
    client: ClientId = ""  # who edits (undo history); see contract.history
    splice: Splice | None = None


class Splice(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Wire a new plugin in as one undo entry: cables removed, then cables drawn ("@new:<symbol>"
    names a port of the new plugin)."""

    disconnect: list[Ports] = msgspec.field(default_factory=list)
    connect: list[Ports] = msgspec.field(default_factory=list)


class SetParameters(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    changes: list[SetParameter]


class MovePlugin(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    instance_id: str
    x: float
    y: float


class ListPlugins(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    query: str | None = None
    category: str | None = None


class BoardName(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name


class BoardId(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str


class RenameBoard(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    name: Name


class ListPorts(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    type: str | None = None
    direction: str | None = None


# -- results --------------------------------------------------------------------------------


class ValueResult(msgspec.Struct, frozen=True):
    value: float


class ParameterValues(msgspec.Struct, frozen=True):
    """`set_parameters`: the value each change took, in order."""

    values: list[float]


class LayoutBlock(msgspec.Struct, frozen=True):
    id: str
    x: float
    y: float


class BoardLayout(msgspec.Struct, frozen=True):
    """A board's shape for a thumbnail: block positions and which blocks are wired together."""

    blocks: list[LayoutBlock] = msgspec.field(default_factory=list)
    cables: list[tuple[str, str]] = msgspec.field(default_factory=list)


class BoardSummary(msgspec.Struct, frozen=True):
    id: str
    name: str
    modified_at: str
    plugins: int
    layout: BoardLayout = msgspec.field(default_factory=BoardLayout)


class LoadBoardResult(msgspec.Struct, frozen=True):
    pedalboard: Pedalboard
    missing: list[str]


class PresetSaved(msgspec.Struct, frozen=True):
    uri: str


class EngineStatus(msgspec.Struct, frozen=True):
    connected: bool
    bridge_connected: bool
    instances: int
    replays: int = 0
    reason: str = ""
    processing: bool = True  # global plugin processing (off = plugins output silence)


class BoardPendingData(msgspec.Struct, frozen=True):
    """`board_pending`, and the result of `pedalboard.discard_pending`: what the current board
    keeps pending now (a load could not run it here)."""

    pending_plugins: list[PluginInstance]
    pending_connections: list[Connection]


class SessionState(msgspec.Struct, frozen=True):
    """`state`: the whole model plus the seq of the last event it includes."""

    pedalboard: Pedalboard | None
    seq: int
    engine_connected: bool
    audio: dict[str, Any]
    saved: list[str]
    modified: bool = False  # the dirty flag: the board differs from its saved file
    history: list[HistoryItem] = msgspec.field(default_factory=list)  # newest undo entries
    crashed: list[str] = msgspec.field(default_factory=list)
    """Plugins the engine lost and has not run again yet (their blocks show the crash)."""
    warnings: list[SessionWarningData] = msgspec.field(default_factory=list)
    """The last warnings the session reported (a page opened later still shows them)."""


class WebHealth(msgspec.Struct, frozen=True):
    """The web process's `GET /api/health`: is the session reachable, is the engine up."""

    ok: bool
    session: bool
    engine_connected: bool


class Health(msgspec.Struct, frozen=True):
    ok: bool
    engine_connected: bool
    bridge_connected: bool
    statistics: SessionStatistics | None = None


# -- event payloads (data of the session's PUB events) ----------------------------------------


class ChangeSource(enum.StrEnum):
    SESSION = "session"  # an RPC of the session
    ENGINE = "engine"  # the engine (MIDI learn/map, plugin-initiated)
    PRESET = "preset"
    PEDALBOARD = "pedalboard"


class PluginLoadedData(msgspec.Struct, frozen=True, tag=EventName.PLUGIN_LOADED.value):
    instance_id: str
    uri: str
    name: str
    plugin: PluginInstance


class InstanceData(msgspec.Struct, frozen=True, tag=EventName.PLUGIN_UNLOADED.value):
    instance_id: str


class ParameterChangedData(msgspec.Struct, frozen=True, tag=EventName.PARAMETER_CHANGED.value):
    instance_id: str
    symbol: str
    value: float
    source: ChangeSource = ChangeSource.SESSION


class ConnectionData(msgspec.Struct, frozen=True):
    source: str
    target: str

    @classmethod
    def of(cls, c: Connection) -> Self:
        return cls(c.source, c.target)


class ConnectionCreatedData(ConnectionData, frozen=True, tag=EventName.CONNECTION_CREATED.value):
    pass


class ConnectionRemovedData(ConnectionData, frozen=True, tag=EventName.CONNECTION_REMOVED.value):
    pass


class SessionWarningEvent(SessionWarningData, frozen=True, tag=EventName.SESSION_WARNING.value):
    """The `session_warning` event of one SessionWarningData."""


class PedalboardChangedData(msgspec.Struct, frozen=True, tag=EventName.PEDALBOARD_CHANGED.value):
    id: str
    name: str
    action: str  # created | renamed | saved | saved_as | deleted | modified
    modified: bool = False


class PedalboardLoadedData(msgspec.Struct, frozen=True, tag=EventName.PEDALBOARD_LOADED.value):
    pedalboard: Pedalboard
    missing: list[str]
    reused: int = 0
    modified: bool | None = None  # None: modified when something is missing


class PluginBypassedData(msgspec.Struct, frozen=True, tag=EventName.PLUGIN_BYPASSED.value):
    instance_id: str
    bypassed: bool


class PluginMovedData(msgspec.Struct, frozen=True, tag=EventName.PLUGIN_MOVED.value):
    instance_id: str
    x: float
    y: float


class PluginKnobsData(msgspec.Struct, frozen=True, tag=EventName.PLUGIN_KNOBS.value):
    instance_id: str
    knobs: list[str] | None  # None: the block shows the controls its metadata suggests


class PresetLoadedData(msgspec.Struct, frozen=True, tag=EventName.PRESET_LOADED.value):
    instance_id: str
    uri: str
    parameters: dict[str, float]


class OutputChangedData(msgspec.Struct, frozen=True, tag=EventName.OUTPUT_CHANGED.value):
    instance_id: str
    symbol: str
    value: float


class PluginDiedData(msgspec.Struct, frozen=True, tag=EventName.PLUGIN_DIED.value):
    """`plugin_died`: the engine lost this instance (a crash); the session replays it."""

    instance_id: str
    name: str


class AudioStatusData(msgspec.Struct, frozen=True, tag=EventName.AUDIO_STATUS.value):
    avg: float
    max: float
    xruns: int
