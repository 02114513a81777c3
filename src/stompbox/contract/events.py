"""Names of every event stompbox publishes (topic = name), and the typed-event codec.

A typed event is a frozen msgspec Struct whose `tag` is its event name (`PluginDied`,
tag "plugin_died"); each publisher declares the union of its events and an `EventCodec` for it
(contract/bridge.py `BridgeEvent`). On the wire the envelope is unchanged —
`{"event": <tag>, "seq", "timestamp", "data": <the other fields>}` — so the tag is not repeated
inside `data`; `event_data` and `EventCodec.decode` convert between the two.
"""

from __future__ import annotations

import enum
from typing import Any, Generic, TypeVar

import msgspec

from .errors import ValidationError

T = TypeVar("T")


def event_name(event: msgspec.Struct) -> str:
    """The event name of a typed event (its Struct tag)."""
    tag = type(event).__struct_config__.tag
    if not isinstance(tag, str):
        raise TypeError(f"{type(event).__name__} is not a typed event (no str tag)")
    return tag


def event_data(event: msgspec.Struct) -> dict[str, Any]:
    """The `data` of an event's envelope: its fields as builtins under their wire names (a
    field renamed for the wire keeps that name), without the tag of a typed event."""
    data: dict[str, Any] = msgspec.to_builtins(event)
    config = type(event).__struct_config__
    if config.tag is not None and config.tag_field is not None:
        data.pop(config.tag_field, None)
    return data


class EventCodec(Generic[T]):
    """Decode one publisher's events: event name + data → the union member, typed."""

    def __init__(self, *types: type[Any]) -> None:
        self.types: dict[str, type[Any]] = {}
        for cls in types:
            tag = cls.__struct_config__.tag
            if not isinstance(tag, str) or tag in self.types:
                raise ValueError(f"{cls.__name__}: each event needs its own str tag")
            self.types[tag] = cls

    def decode(self, name: str, data: Any) -> T | None:
        """The typed event, None for a name this publisher does not declare (a newer peer), or
        ValidationError when the data does not fit the declared shape."""
        cls = self.types.get(name)
        if cls is None:
            return None
        try:
            event: T = msgspec.convert(data, cls)
        except msgspec.ValidationError as exc:
            raise ValidationError(f"event {name}: {exc}") from exc
        return event


class EventName(enum.StrEnum):
    # the seed's
    PLUGIN_LOADED = "plugin_loaded"
    PLUGIN_UNLOADED = "plugin_unloaded"
    PARAMETER_CHANGED = "parameter_changed"
    CONNECTION_CREATED = "connection_created"
    CONNECTION_REMOVED = "connection_removed"
    PEDALBOARD_CHANGED = "pedalboard_changed"
    # ours
    PEDALBOARD_LOADED = "pedalboard_loaded"
    PLUGIN_BYPASSED = "plugin_bypassed"
    PLUGIN_MOVED = "plugin_moved"
    PLUGIN_KNOBS = "plugin_knobs"  # the controls a block shows changed (a user's choice)
    PRESET_LOADED = "preset_loaded"
    OUTPUT_CHANGED = "output_changed"
    AUDIO_STATUS = "audio_status"
    ENGINE_STATUS = "engine_status"
    SESSION_WARNING = "session_warning"  # {"kind", "message"}: drift repaired, autosave failing…
    PLUGIN_DIED = "plugin_died"  # an instance crashed in the engine (the session replays it)
    HISTORY_CHANGED = "history_changed"  # undo/redo history of the current board
    BOARD_PENDING = "board_pending"  # what the current board keeps pending changed
    # published by the bridge
    ENGINE_CONNECTED = "engine_connected"
    ENGINE_DISCONNECTED = "engine_disconnected"
    ENGINE_FEEDBACK = "engine_feedback"  # raw feedback the bridge has no typed event for
    ENGINE_LOG = "engine_log"
    CPU_LOAD = "cpu_load"
    DSP_LOAD = "dsp_load"  # one plugin's DSP time per cycle (the embedded engine only)
    PLUGIN_LATENCY = "plugin_latency"  # a plugin's reported latency (frames) changed
    MIDI_MAPPED = "midi_mapped"
