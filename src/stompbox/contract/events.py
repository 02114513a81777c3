"""Names of every event stompbox publishes (topic = name)."""

from __future__ import annotations

import enum


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
    # published by the bridge
    ENGINE_CONNECTED = "engine_connected"
    ENGINE_DISCONNECTED = "engine_disconnected"
    ENGINE_FEEDBACK = "engine_feedback"  # raw feedback the bridge has no typed event for
    ENGINE_LOG = "engine_log"
    CPU_LOAD = "cpu_load"
    DSP_LOAD = "dsp_load"  # one plugin's DSP time per cycle (the embedded engine only)
    PLUGIN_LATENCY = "plugin_latency"  # a plugin's reported latency (frames) changed
    MIDI_MAPPED = "midi_mapped"
