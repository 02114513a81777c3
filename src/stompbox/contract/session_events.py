"""The session's board events as one tagged union: `SessionEvent`, decoded by `SESSION_EVENTS`.

Each member is a frozen Struct whose tag is its event name (contract/events.py); the session
publishes one with `SessionState.publish_event(ParameterChangedData(...))` and a subscriber gets
it back typed with `SESSION_EVENTS.decode(envelope.event, envelope.data)` and `match`es on it.

Not members yet (published by name with a Struct that is also an RPC result, or a dict):
`engine_status` (EngineStatus), `board_pending` (BoardPendingData) and the live events of
contract/live.py (`snapshots_changed`, `snapshot_recalled`, `setlist_changed`,
`midi_bindings_changed`, `midi_learned`, `tuner`, `media_changed`, `meters`, `block_meters`,
`footswitches_changed`).
"""

from __future__ import annotations

from .bridge import DspLoadData
from .events import EventCodec
from .history import HistoryChangedData
from .session import (
    AudioStatusData,
    ConnectionCreatedData,
    ConnectionRemovedData,
    InstanceData,
    OutputChangedData,
    ParameterChangedData,
    PedalboardChangedData,
    PedalboardLoadedData,
    PluginBypassedData,
    PluginDiedData,
    PluginKnobsData,
    PluginLoadedData,
    PluginMovedData,
    PresetLoadedData,
    SessionWarningEvent,
)

SessionEvent = (
    PluginLoadedData
    | InstanceData  # plugin_unloaded
    | ParameterChangedData
    | ConnectionCreatedData
    | ConnectionRemovedData
    | PedalboardChangedData
    | PedalboardLoadedData
    | PluginBypassedData
    | PluginMovedData
    | PluginKnobsData
    | PresetLoadedData
    | OutputChangedData
    | PluginDiedData
    | AudioStatusData
    | DspLoadData  # the bridge's figure, republished as it came
    | HistoryChangedData
    | SessionWarningEvent
)
"""Every board event the session publishes (subscribers `match` on the type)."""

SESSION_EVENTS: EventCodec[SessionEvent] = EventCodec(
    PluginLoadedData,
    InstanceData,
    ParameterChangedData,
    ConnectionCreatedData,
    ConnectionRemovedData,
    PedalboardChangedData,
    PedalboardLoadedData,
    PluginBypassedData,
    PluginMovedData,
    PluginKnobsData,
    PresetLoadedData,
    OutputChangedData,
    PluginDiedData,
    AudioStatusData,
    DspLoadData,
    HistoryChangedData,
    SessionWarningEvent,
)
