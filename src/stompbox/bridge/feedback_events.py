"""Turn engine feedback messages into the bridge's typed events (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Callable

from stompbox.contract.bridge import (
    BridgeEvent,
    CpuLoadData,
    DspLoadData,
    EngineFeedback,
    EngineLog,
    EngineParameterChanged,
    MidiMapped,
    OutputChanged,
    PluginDied,
)
from stompbox.contract.live import MidiControlChange, MidiNote, MidiProgramChange
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
    PluginDiedFb,
    encode_feedback,
)


def _raw(fb: Feedback) -> EngineFeedback:
    return EngineFeedback(encode_feedback(fb).rstrip(b"\0").decode("utf-8", "replace"))


def feedback_events(fb: Feedback, id_of: Callable[[int], str | None]) -> list[BridgeEvent]:
    """The typed events to publish for one feedback message; `id_of` maps engine number →
    instance_id.

    Messages about an instance we do not know, and kinds without a typed event, become
    `EngineFeedback(text)`; `data_finish` (flow control) publishes nothing. A plugin's death
    is the engine's own `plugin_died` message (its `log` line is only for people).
    """
    match fb:
        case DataFinishFb():
            return []
        case CpuLoadFb():
            return [CpuLoadData(fb.avg, fb.max, fb.xruns)]
        case LogFb():
            return [EngineLog(fb.level, fb.message)]
        case MidiControlChangeFb():
            return [MidiControlChange(fb.channel, fb.controller, fb.value)]
        case MidiProgramChangeFb():
            return [MidiProgramChange(fb.program, fb.channel)]
        case MidiNoteFb():
            return [MidiNote(fb.channel, fb.note, fb.velocity)]
        case DspLoadFb() | PluginDiedFb():
            instance_id = id_of(fb.instance)
            if instance_id is None:
                return []  # a plugin the bridge no longer knows: nobody to tell
            if isinstance(fb, PluginDiedFb):
                return [PluginDied(instance_id, fb.code)]
            return [DspLoadData(instance_id, fb.micros, fb.percent)]
        case OutputSetFb() | ParamSetFb() | MidiMappedFb():
            instance_id = id_of(fb.instance)
            if instance_id is None:
                return [_raw(fb)]
            if isinstance(fb, OutputSetFb):
                return [OutputChanged(instance_id, fb.symbol, fb.value)]
            if isinstance(fb, ParamSetFb):
                return [EngineParameterChanged(instance_id, fb.symbol, fb.value)]
            return [
                MidiMapped(
                    instance_id,
                    fb.symbol,
                    fb.channel,
                    fb.controller,
                    fb.value,
                    fb.minimum,
                    fb.maximum,
                )
            ]
    return [_raw(fb)]
