"""The session's model: plugin instances, connections and pedalboards (the seed's data structures).

Port addresses in the model are stable across engine restarts: `<instance_id>:<symbol>` for a plugin
port and `system:<port>` for a sound-card port. The bridge translates them to JACK names.
"""

from __future__ import annotations

import msgspec

from .live import MidiBinding, Snapshot
from .plugin import PortInfo

SCHEMA_VERSION = 2
"""2 added snapshots, current_snapshot, midi_bindings and files; schema-1 files load unchanged."""


class PluginInstance(msgspec.Struct, kw_only=True):
    uri: str
    instance_id: str
    name: str
    brand: str = ""
    version: str = ""
    parameters: dict[str, float] = msgspec.field(default_factory=dict)
    ports: dict[str, PortInfo] = msgspec.field(default_factory=dict)  # audio/cv/midi, by symbol
    available_parameters: dict[str, PortInfo] = msgspec.field(default_factory=dict)  # controls
    outputs: dict[str, float] = msgspec.field(default_factory=dict)  # monitored output controls
    x: float = 0.0
    y: float = 0.0
    enabled: bool = True
    preset: str | None = None
    knobs: list[str] | None = None  # the controls shown on the block (None: from its metadata)
    created_at: str = ""


class Connection(msgspec.Struct, frozen=True):
    source: str  # an output port address
    target: str  # an input port address


class Pedalboard(msgspec.Struct, kw_only=True):
    id: str
    name: str
    schema: int = SCHEMA_VERSION
    plugins: list[PluginInstance] = msgspec.field(default_factory=list)
    connections: list[Connection] = msgspec.field(default_factory=list)
    created_at: str = ""
    modified_at: str = ""
    snapshots: list[Snapshot] = msgspec.field(default_factory=list)
    current_snapshot: int | None = None
    midi_bindings: list[MidiBinding] = msgspec.field(default_factory=list)
    files: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)
    """file parameters: instance_id → patch property URI → media file name"""
    pending_plugins: list[PluginInstance] = msgspec.field(default_factory=list)
    """plugins the last load could not run here (not installed, refused): kept, tried again"""
    pending_connections: list[Connection] = msgspec.field(default_factory=list)
    """connections the engine refused (or of a pending plugin): kept, tried again at each load"""
    footswitches: list[str] | None = None
    """the blocks the stage view shows footswitches for (None: every block)"""
