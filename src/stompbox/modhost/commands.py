"""Client side of the mod-host protocol: one frozen Struct per command and `encode(cmd)`.

Fields are in wire order. `encode` writes `bool` as 1/0, `int` in decimal, `float` with
`repr` (shortest text that round-trips), `str` quoted when needed (see `quote`), and a tuple
field as its length followed by its flattened items (`MultiAdd(items=(("u", 1),))` →
`multi_add 1 u 1`). Each class has `command` (the wire name) and `reply_kind`, which tells
`replies.parse_reply` how to read the answer.
"""

from __future__ import annotations

import enum
import math
from typing import ClassVar, TypeAlias

import msgspec

__all__ = [
    "Activate",
    "Add",
    "BundleAdd",
    "BundleRemove",
    "Bypass",
    "Command",
    "Connect",
    "CpuLoad",
    "Disconnect",
    "DisconnectAll",
    "FeatureEnable",
    "Licensee",
    "MaxCpuLoad",
    "MidiLearn",
    "MidiMap",
    "MidiUnmap",
    "MonitorAudioLevels",
    "MonitorMidiProgram",
    "MonitorOutput",
    "MonitorOutputOff",
    "MultiAdd",
    "MultiParamSet",
    "MultiRemove",
    "OutputDataReady",
    "ParamGet",
    "ParamSet",
    "PatchGet",
    "PatchSet",
    "Preload",
    "PresetLoad",
    "PresetSave",
    "PresetShow",
    "Remove",
    "ReplyKind",
    "SetBpb",
    "SetBpm",
    "Transport",
    "TransportSync",
    "WaitAudioCycle",
    "encode",
    "quote",
]


class ReplyKind(enum.Enum):
    """How a command's reply reads (see `replies.parse_reply`)."""

    STATUS = "status"  # resp <n>: n < 0 is an error code, n >= 0 a value (add: the instance)
    VALUE = "value"  # resp 0 <%.4f>: param_get, cpu_load, max_cpu_load
    INVERTED = "inverted"  # resp 1 is success, resp 0 failure: monitor_output, midi_learn, ...
    UNMAP = "unmap"  # midi_unmap: resp 1 removed, resp 0 nothing was mapped (not an error)
    RAW = "raw"  # a raw string, no `resp`: preset_show (Turtle or ""), licensee


class _Cmd(msgspec.Struct, frozen=True):
    command: ClassVar[str]
    reply_kind: ClassVar[ReplyKind] = ReplyKind.STATUS


# --- plugin life cycle ----------------------------------------------------------------------
class Add(_Cmd, frozen=True):
    command = "add"
    uri: str
    instance: int


class Preload(_Cmd, frozen=True):
    command = "preload"
    uri: str
    instance: int


class Remove(_Cmd, frozen=True):
    command = "remove"
    instance: int


class Activate(_Cmd, frozen=True):
    command = "activate"
    instance: int
    active: bool


class MultiAdd(_Cmd, frozen=True):
    command = "multi_add"
    items: tuple[tuple[str, int], ...]  # (uri, instance) pairs


class MultiRemove(_Cmd, frozen=True):
    command = "multi_remove"
    instances: tuple[int, ...]


# --- connections ----------------------------------------------------------------------------
class Connect(_Cmd, frozen=True):
    command = "connect"
    a: str
    b: str


class Disconnect(_Cmd, frozen=True):
    command = "disconnect"
    a: str
    b: str


class DisconnectAll(_Cmd, frozen=True):
    command = "disconnect_all"
    port: str


# --- parameters -----------------------------------------------------------------------------
class Bypass(_Cmd, frozen=True):
    command = "bypass"
    instance: int
    bypassed: bool


class ParamSet(_Cmd, frozen=True):
    command = "param_set"
    instance: int
    symbol: str
    value: float


class ParamGet(_Cmd, frozen=True):
    command = "param_get"
    reply_kind = ReplyKind.VALUE
    instance: int
    symbol: str


class MultiParamSet(_Cmd, frozen=True):
    command = "multi_param_set"
    symbol: str
    value: float
    instances: tuple[int, ...]


class PatchSet(_Cmd, frozen=True):
    command = "patch_set"
    instance: int
    property: str
    value: str


class PatchGet(_Cmd, frozen=True):
    command = "patch_get"
    instance: int
    property: str = ""  # "" asks for every property


class Licensee(_Cmd, frozen=True):
    command = "licensee"
    reply_kind = ReplyKind.RAW
    instance: int


# --- presets and bundles --------------------------------------------------------------------
class PresetLoad(_Cmd, frozen=True):
    command = "preset_load"
    instance: int
    uri: str


class PresetSave(_Cmd, frozen=True):
    command = "preset_save"
    instance: int
    label: str
    bundle_dir: str
    filename: str


class PresetShow(_Cmd, frozen=True):
    command = "preset_show"
    reply_kind = ReplyKind.RAW
    uri: str


class BundleAdd(_Cmd, frozen=True):
    command = "bundle_add"
    path: str


class BundleRemove(_Cmd, frozen=True):
    command = "bundle_remove"
    path: str
    resource: str = ""


# --- monitoring and MIDI --------------------------------------------------------------------
class MonitorOutput(_Cmd, frozen=True):
    command = "monitor_output"
    reply_kind = ReplyKind.INVERTED
    instance: int
    symbol: str


class MonitorOutputOff(_Cmd, frozen=True):
    command = "monitor_output_off"
    reply_kind = ReplyKind.INVERTED
    instance: int
    symbol: str


class MonitorAudioLevels(_Cmd, frozen=True):
    command = "monitor_audio_levels"
    port: str
    enable: bool


class MonitorMidiProgram(_Cmd, frozen=True):
    command = "monitor_midi_program"
    channel: int
    enable: bool


class MidiLearn(_Cmd, frozen=True):
    command = "midi_learn"
    reply_kind = ReplyKind.INVERTED
    instance: int
    symbol: str
    minimum: float
    maximum: float


class MidiMap(_Cmd, frozen=True):
    command = "midi_map"
    reply_kind = ReplyKind.INVERTED
    instance: int
    symbol: str
    channel: int
    cc: int
    minimum: float
    maximum: float


class MidiUnmap(_Cmd, frozen=True):
    command = "midi_unmap"
    reply_kind = ReplyKind.UNMAP
    instance: int
    symbol: str


# --- transport and host ---------------------------------------------------------------------
class SetBpm(_Cmd, frozen=True):
    command = "set_bpm"
    bpm: float


class SetBpb(_Cmd, frozen=True):
    command = "set_bpb"
    bpb: float


class Transport(_Cmd, frozen=True):
    command = "transport"
    rolling: bool
    bpb: float
    bpm: float


class TransportSync(_Cmd, frozen=True):
    command = "transport_sync"
    mode: str  # none | link | midi


class CpuLoad(_Cmd, frozen=True):
    command = "cpu_load"
    reply_kind = ReplyKind.VALUE


class MaxCpuLoad(_Cmd, frozen=True):
    command = "max_cpu_load"
    reply_kind = ReplyKind.VALUE


class FeatureEnable(_Cmd, frozen=True):
    command = "feature_enable"
    name: str
    value: int


class OutputDataReady(_Cmd, frozen=True):
    command = "output_data_ready"


class WaitAudioCycle(_Cmd, frozen=True):
    command = "wait_audio_cycle"


# --- extensions of the embedded engine (a real mod-host answers `not found`) -----------------
class TransactionBegin(_Cmd, frozen=True):
    command = "transaction_begin"


class TransactionCommit(_Cmd, frozen=True):
    command = "transaction_commit"


Command: TypeAlias = (
    Add
    | Preload
    | Remove
    | Activate
    | MultiAdd
    | MultiRemove
    | Connect
    | Disconnect
    | DisconnectAll
    | Bypass
    | ParamSet
    | ParamGet
    | MultiParamSet
    | PatchSet
    | PatchGet
    | Licensee
    | PresetLoad
    | PresetSave
    | PresetShow
    | BundleAdd
    | BundleRemove
    | MonitorOutput
    | MonitorOutputOff
    | MonitorAudioLevels
    | MonitorMidiProgram
    | MidiLearn
    | MidiMap
    | MidiUnmap
    | SetBpm
    | SetBpb
    | Transport
    | TransportSync
    | CpuLoad
    | MaxCpuLoad
    | FeatureEnable
    | OutputDataReady
    | WaitAudioCycle
    | TransactionBegin
    | TransactionCommit
)

_NEEDS_QUOTES = frozenset(' "\t\r\n')


def quote(token: str) -> str:
    """Write `token` so mod-host's tokenizer gives it back unchanged.

    Plain tokens go as they are; an empty token or one with a space, quote, tab, CR or LF is
    wrapped in `"..."` with each `"` written `\\"`. Raises ValueError for a NUL, and for a token
    that needs quotes and ends in a backslash (mod-host has no way to write it: `\\"` would
    escape the closing quote).
    """
    if "\0" in token:
        raise ValueError(f"a token cannot contain NUL: {token!r}")
    if token and _NEEDS_QUOTES.isdisjoint(token):
        return token
    if token.endswith("\\"):
        raise ValueError(f"mod-host cannot receive a quoted token ending in '\\': {token!r}")
    return '"' + token.replace('"', '\\"') + '"'


def _word(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"mod-host cannot take a non-finite number: {value!r}")
        return repr(value)
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"cannot encode {type(value).__name__} {value!r}")


def _words(value: object, out: list[str]) -> None:
    if isinstance(value, tuple):
        for item in value:
            _words(item, out)
    else:
        out.append(_word(value))


def encode(cmd: Command) -> bytes:
    """The wire form of `cmd`, ending in one NUL."""
    words = [cmd.command]
    for name in cmd.__struct_fields__:
        value = getattr(cmd, name)
        if isinstance(value, tuple):
            words.append(str(len(value)))
        _words(value, words)
    return " ".join(words).encode() + b"\0"
