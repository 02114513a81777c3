"""Parse and encode the messages mod-host pushes on its feedback port (reference §6).

`parse_feedback(text)` never raises: a message it does not know, or a known one whose fields do
not parse, comes back as `UnknownFb(text)`. `encode_feedback(fb)` writes floats with `%f` as
mod-host does, so parse → encode reproduces mod-host's bytes. `patch_set` values and `log`
messages are the rest of the line, kept verbatim (spaces and a trailing newline included).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeAlias

import msgspec

from .framing import MAX_MESSAGE, NulFramer

__all__ = [
    "AudioMonitorFb",
    "CpuLoadFb",
    "DataFinishFb",
    "DspLoadFb",
    "Feedback",
    "FeedbackParser",
    "LogFb",
    "MidiControlChangeFb",
    "MidiMappedFb",
    "MidiNoteFb",
    "MidiProgramChangeFb",
    "OutputSetFb",
    "ParamSetFb",
    "ParamStateFb",
    "PatchSetFb",
    "PluginDiedFb",
    "TransportFb",
    "UnknownFb",
    "encode_feedback",
    "parse_feedback",
]


class _Fb(msgspec.Struct, frozen=True, tag=True, tag_field="kind"):
    """Base: `wire_name` starts the message; `rest_last`: the last field takes the rest."""

    wire_name: ClassVar[str]
    rest_last: ClassVar[bool] = False


class ParamSetFb(_Fb, frozen=True):
    wire_name = "param_set"
    instance: int
    symbol: str
    value: float


class ParamStateFb(_Fb, frozen=True):
    wire_name = "param_state"
    instance: int
    symbol: str
    state: int


class OutputSetFb(_Fb, frozen=True):
    wire_name = "output_set"
    instance: int
    symbol: str
    value: float


class AudioMonitorFb(_Fb, frozen=True):
    wire_name = "audio_monitor"
    index: int
    value: float


class PatchSetFb(_Fb, frozen=True):
    wire_name = "patch_set"
    rest_last = True
    instance: int
    property: str
    type: str
    value: str


class MidiMappedFb(_Fb, frozen=True):
    wire_name = "midi_mapped"
    instance: int
    symbol: str
    channel: int
    controller: int
    value: float
    minimum: float
    maximum: float


class MidiControlChangeFb(_Fb, frozen=True):
    wire_name = "midi_control_change"
    channel: int
    controller: int
    value: int


class MidiProgramChangeFb(_Fb, frozen=True):
    wire_name = "midi_program_change"
    program: int
    channel: int


class MidiNoteFb(_Fb, frozen=True):
    """The embedded engine's (not mod-host's, which reports no notes): a note on (velocity > 0)
    or off on a channel enabled with `monitor_midi_program`, for footswitches that send notes."""

    wire_name = "midi_note"
    channel: int
    note: int
    velocity: int


class TransportFb(_Fb, frozen=True):
    wire_name = "transport"
    rolling: bool
    bpb: float
    bpm: float


class CpuLoadFb(_Fb, frozen=True):
    wire_name = "cpu_load"
    avg: float
    max: float
    xruns: int


class PluginDiedFb(_Fb, frozen=True):
    """The embedded engine's (not mod-host's): instance `instance` is gone (its isolated process
    exited with `code`, or the plugin crashed). Sent beside a human-readable `log 3` line; a
    mod-host client that does not know it ignores it (an unknown message)."""

    wire_name = "plugin_died"
    instance: int
    code: int


class DspLoadFb(_Fb, frozen=True):
    """The embedded engine's (not mod-host's): one plugin's DSP time per cycle, averaged over
    the last report period, in µs and in % of the JACK period. A mod-host client that does not
    know it ignores it (an unknown message)."""

    wire_name = "dsp_load"
    instance: int
    micros: float
    percent: float


class LogFb(_Fb, frozen=True):
    wire_name = "log"
    rest_last = True
    level: int
    message: str


class DataFinishFb(_Fb, frozen=True):
    wire_name = "data_finish"


class UnknownFb(_Fb, frozen=True):
    wire_name = ""
    text: str


Feedback: TypeAlias = (
    ParamSetFb
    | ParamStateFb
    | OutputSetFb
    | AudioMonitorFb
    | PatchSetFb
    | MidiMappedFb
    | MidiControlChangeFb
    | MidiProgramChangeFb
    | MidiNoteFb
    | TransportFb
    | CpuLoadFb
    | DspLoadFb
    | PluginDiedFb
    | LogFb
    | DataFinishFb
    | UnknownFb
)

_KNOWN: tuple[type[_Fb], ...] = (
    ParamSetFb,
    ParamStateFb,
    OutputSetFb,
    AudioMonitorFb,
    PatchSetFb,
    MidiMappedFb,
    MidiControlChangeFb,
    MidiProgramChangeFb,
    MidiNoteFb,
    TransportFb,
    CpuLoadFb,
    DspLoadFb,
    PluginDiedFb,
    LogFb,
    DataFinishFb,
)


def _bool(token: str) -> bool:
    return int(token) != 0


_PARSERS: dict[Any, Callable[[str], Any]] = {int: int, float: float, str: str, bool: _bool}


def _field_types(cls: type[_Fb]) -> tuple[Any, ...]:
    return tuple(f.type for f in msgspec.structs.fields(cls))


def parse_feedback(text: str) -> Feedback:
    """One feedback message (without its NUL) → a typed Feedback; never raises."""
    name, _, rest = text.partition(" ")
    cls = _BY_NAME.get(name)
    if cls is None:
        return UnknownFb(text)
    kinds = _TYPES[cls]
    if not kinds:
        return DataFinishFb() if text == name else UnknownFb(text)
    parts = rest.split(" ", len(kinds) - 1) if cls.rest_last else rest.split(" ")
    if len(parts) != len(kinds):
        return UnknownFb(text)
    try:
        values = [_PARSERS[kind](part) for kind, part in zip(kinds, parts, strict=True)]
    except ValueError:
        return UnknownFb(text)
    fb: Feedback = cls(*values)  # type: ignore[assignment]
    return fb


def _format(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:f}"
    return str(value)


def encode_feedback(fb: Feedback) -> bytes:
    """The wire form of one feedback message, NUL-terminated, floats as `%f`."""
    if isinstance(fb, UnknownFb):
        return fb.text.encode() + b"\0"
    words = [fb.wire_name]
    for field, kind in zip(fb.__struct_fields__, _TYPES[type(fb)], strict=True):
        value = getattr(fb, field)
        words.append(_format(float(value) if kind is float else value))
    return " ".join(words).encode() + b"\0"


_BY_NAME: dict[str, type[_Fb]] = {cls.wire_name: cls for cls in _KNOWN}
_TYPES: dict[type[_Fb], tuple[Any, ...]] = {cls: _field_types(cls) for cls in _KNOWN}


class FeedbackParser:
    """Sans-IO feedback stream parser: `feed(bytes)` → the complete messages, parsed.

    Bytes are decoded as UTF-8 with replacement (a plugin's log may not be valid UTF-8).
    Raises `ProtocolError` only for a message over `max_message` bytes (the framer resets).
    """

    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self._framer = NulFramer(max_message)

    def feed(self, data: bytes) -> list[Feedback]:
        return [parse_feedback(m.decode("utf-8", "replace")) for m in self._framer.feed(data)]

    def pending(self) -> bytes:
        return self._framer.pending()
