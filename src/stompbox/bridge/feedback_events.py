"""Turn engine feedback messages into the bridge's typed events (pure: no I/O)."""

from __future__ import annotations

import re
from collections.abc import Callable

import msgspec

from stompbox.contract.bridge import (
    CpuLoadData,
    DspLoadData,
    EngineFeedback,
    EngineLog,
    EngineParameterChanged,
    MidiMapped,
    OutputChanged,
    PluginDied,
)
from stompbox.contract.events import EventName
from stompbox.contract.live import LiveEvent, MidiControlChange, MidiNote, MidiProgramChange
from stompbox.modhost.feedback import (
    CpuLoadFb,
    DataFinishFb,
    DspLoadFb,
    Feedback,
    LogFb,
    MidiControlChangeFb,
    MidiMappedFb,
    MidiNoteFb,
    MidiProgramChangeFb,
    OutputSetFb,
    ParamSetFb,
    encode_feedback,
)

PLUGIN_DIED = "plugin_died"
_DIED = re.compile(r"effect_([0-9]+) died")

Event = tuple[str, msgspec.Struct]


def _raw(fb: Feedback) -> Event:
    text = encode_feedback(fb).rstrip(b"\0").decode("utf-8", "replace")
    return EventName.ENGINE_FEEDBACK.value, EngineFeedback(text)


def feedback_events(fb: Feedback, id_of: Callable[[int], str | None]) -> list[Event]:
    """The events to publish for one feedback message; `id_of` maps engine number → instance_id.

    Messages about an instance we do not know, and kinds without a typed event, become
    `engine_feedback {text}`; `data_finish` (flow control) publishes nothing.
    """
    if isinstance(fb, DataFinishFb):
        return []
    if isinstance(fb, CpuLoadFb):
        return [(EventName.CPU_LOAD.value, CpuLoadData(fb.avg, fb.max, fb.xruns))]
    if isinstance(fb, DspLoadFb):
        instance_id = id_of(fb.instance)
        if instance_id is None:
            return []  # a plugin the bridge no longer knows: nobody to tell
        return [(EventName.DSP_LOAD.value, DspLoadData(instance_id, fb.micros, fb.percent))]
    if isinstance(fb, LogFb):
        events: list[Event] = [(EventName.ENGINE_LOG.value, EngineLog(fb.level, fb.message))]
        died = _DIED.search(fb.message)
        if died is not None:
            instance_id = id_of(int(died.group(1)))
            if instance_id is not None:
                events.append((PLUGIN_DIED, PluginDied(instance_id)))
        return events
    if isinstance(fb, MidiControlChangeFb):
        cc = MidiControlChange(fb.channel, fb.controller, fb.value)
        return [(LiveEvent.MIDI_CONTROL_CHANGE.value, cc)]
    if isinstance(fb, MidiProgramChangeFb):
        pc = MidiProgramChange(fb.program, fb.channel)
        return [(LiveEvent.MIDI_PROGRAM_CHANGE.value, pc)]
    if isinstance(fb, MidiNoteFb):
        return [(LiveEvent.MIDI_NOTE.value, MidiNote(fb.channel, fb.note, fb.velocity))]
    if isinstance(fb, OutputSetFb | ParamSetFb | MidiMappedFb):
        instance_id = id_of(fb.instance)
        if instance_id is None:
            return [_raw(fb)]
        if isinstance(fb, OutputSetFb):
            data: msgspec.Struct = OutputChanged(instance_id, fb.symbol, fb.value)
            return [(EventName.OUTPUT_CHANGED.value, data)]
        if isinstance(fb, ParamSetFb):
            data = EngineParameterChanged(instance_id, fb.symbol, fb.value)
            return [(EventName.PARAMETER_CHANGED.value, data)]
        data = MidiMapped(
            instance_id, fb.symbol, fb.channel, fb.controller, fb.value, fb.minimum, fb.maximum
        )
        return [(EventName.MIDI_MAPPED.value, data)]
    return [_raw(fb)]
