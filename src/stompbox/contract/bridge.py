"""Typed params, results and event payloads of the bridge's RPC API (service "bridge").

Envelope methods `plugin` and `audio` carry `{"method", "params"}` (the seed's action mapping);
the inner params are converted to the Structs below by the bridge. Port addresses are
`<instance_id>:<symbol>` for plugin ports and `system:<port>` for sound-card ports.
"""

from __future__ import annotations

import enum
from typing import Any, TypeAlias

import msgspec

from .events import EventCodec, EventName
from .live import BlockLevels, MidiControlChange, MidiNote, MidiProgramChange
from .params import (  # shared request shapes, re-exported
    BufferSize as BufferSize,
    Bypass as Bypass,
    Done as Done,
    Empty as Empty,
    InstanceRef as InstanceRef,
    LoadPreset as LoadPreset,
    PluginUri as PluginUri,
    Ports as Ports,
    PresetUri as PresetUri,
    Processing as Processing,
    SavePreset as SavePreset,
    SetParameter as SetParameter,
)
from .plugin import PluginInfo

# -- envelope -------------------------------------------------------------------------------


class Action(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Params of the `plugin` and `audio` envelope methods."""

    method: str
    params: dict[str, Any] = msgspec.field(default_factory=dict)


# -- plugin.* params ------------------------------------------------------------------------


class PluginList(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    query: str | None = None
    category: str | None = None
    audio_inputs: int | None = None
    audio_outputs: int | None = None


class PluginLoad(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    uri: str
    instance_id: str | None = None


class GetParameter(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    instance_id: str
    symbol: str


class MonitorOutput(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    instance_id: str
    symbol: str
    enable: bool = True


# -- live.* params -------------------------------------------------------------------------


class PatchSet(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    instance_id: str
    property: str  # a patch:writable property URI
    path: str  # an absolute file path (the session sends only media-library files)


class MidiMonitor(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    channel: int
    enable: bool = True


# -- connections and audio.* params ---------------------------------------------------------


class JackPortType(enum.StrEnum):
    AUDIO = "audio"
    MIDI = "midi"


class PortDirection(enum.StrEnum):
    INPUT = "input"
    OUTPUT = "output"


class ListPorts(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    type: JackPortType | None = None
    direction: PortDirection | None = None


# -- results --------------------------------------------------------------------------------


class Pong(msgspec.Struct, frozen=True):
    ok: bool = True


class InstanceEntry(msgspec.Struct, frozen=True, omit_defaults=True):
    number: int
    uri: str
    latency: int | None = None  # frames the plugin reports (lv2:latency), once it did


class BridgeState(msgspec.Struct, frozen=True):
    instances: dict[str, InstanceEntry]
    engine_connected: bool


class Loaded(msgspec.Struct, frozen=True):
    instance_id: str
    number: int
    plugin: PluginInfo


class Value(msgspec.Struct, frozen=True):
    value: float


class PresetParameters(msgspec.Struct, frozen=True):
    parameters: dict[str, float]


class PresetSaved(msgspec.Struct, frozen=True):
    uri: str


class AudioStatus(msgspec.Struct, frozen=True):
    sample_rate: int
    buffer_size: int
    dsp_load: float
    xruns: int
    running: bool
    processing: bool = True  # what the bridge last set with audio.processing


class ProcessingState(msgspec.Struct, frozen=True):
    """audio.processing result."""

    processing: bool


class TransactionPhase(enum.Enum):
    BEGIN = "begin"
    COMMIT = "commit"


class Transaction(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """plugin.transaction params: the session marks where a board switch begins and ends; the
    graph changes in between reach the engine's audio at one cycle boundary (when it can)."""

    phase: TransactionPhase


class TransactionState(msgspec.Struct, frozen=True):
    """plugin.transaction result: whether the engine takes transactions (else plain commands),
    and how many transactions are open after this call."""

    engine: bool
    open: int


class PortEntry(msgspec.Struct, frozen=True):
    name: str  # an address: `<instance_id>:<symbol>` or `system:<port>`
    type: JackPortType
    direction: PortDirection
    system: bool


class CpuLoad(msgspec.Struct, frozen=True):
    load: float


class ConnectionEntry(msgspec.Struct, frozen=True):
    source: str  # output port address
    target: str  # input port address


# -- events (the bridge's PUB events: tag = event name; the data is the other fields) --------


class EngineConnected(msgspec.Struct, frozen=True, tag=EventName.ENGINE_CONNECTED.value):
    """The engine (re)connected and was cleared: the session replays its board."""


class EngineDisconnected(msgspec.Struct, frozen=True, tag=EventName.ENGINE_DISCONNECTED.value):
    reason: str


class OutputChanged(msgspec.Struct, frozen=True, tag=EventName.OUTPUT_CHANGED.value):
    instance_id: str
    symbol: str
    value: float


class EngineParameterChanged(msgspec.Struct, frozen=True, tag=EventName.PARAMETER_CHANGED.value):
    instance_id: str
    symbol: str
    value: float
    source: str = "engine"


class CpuLoadData(msgspec.Struct, frozen=True, tag=EventName.CPU_LOAD.value):
    avg: float
    max: float
    xruns: int


class PluginLatency(msgspec.Struct, frozen=True, tag=EventName.PLUGIN_LATENCY.value):
    """`plugin_latency` event: the latency a plugin reports (lv2:latency port) changed."""

    instance_id: str
    frames: int


class DspLoadData(msgspec.Struct, frozen=True, tag=EventName.DSP_LOAD.value):
    """`dsp_load` event (bridge and session alike): one plugin's mean DSP time per JACK cycle
    over the last 0.5 s, in µs and in % of the period."""

    instance_id: str
    micros: float
    percent: float


class EngineLog(msgspec.Struct, frozen=True, tag=EventName.ENGINE_LOG.value):
    level: int
    message: str


class MidiMapped(msgspec.Struct, frozen=True, tag=EventName.MIDI_MAPPED.value):
    instance_id: str
    symbol: str
    channel: int
    controller: int
    value: float
    minimum: float
    maximum: float


class EngineFeedback(msgspec.Struct, frozen=True, tag=EventName.ENGINE_FEEDBACK.value):
    text: str


class PluginDied(msgspec.Struct, frozen=True, tag=EventName.PLUGIN_DIED.value):
    """The engine lost this instance (its process or plugin crashed), from the engine's own
    `plugin_died` feedback message, not from log text."""

    instance_id: str
    code: int = 0  # the isolated process's exit code, when there was one


BridgeEvent: TypeAlias = (
    EngineConnected
    | EngineDisconnected
    | OutputChanged
    | EngineParameterChanged
    | CpuLoadData
    | DspLoadData
    | EngineLog
    | MidiMapped
    | EngineFeedback
    | PluginDied
    | MidiControlChange
    | MidiProgramChange
    | MidiNote
    | BlockLevels
    | PluginLatency
)
"""Every event the bridge publishes (subscribers `match` on the type)."""

BRIDGE_EVENTS: EventCodec[BridgeEvent] = EventCodec(
    EngineConnected,
    EngineDisconnected,
    OutputChanged,
    EngineParameterChanged,
    CpuLoadData,
    DspLoadData,
    EngineLog,
    MidiMapped,
    EngineFeedback,
    PluginDied,
    MidiControlChange,
    MidiProgramChange,
    MidiNote,
    BlockLevels,
    PluginLatency,
)
