"""Server side of the mod-host protocol: tokenize a command line, check it against the table.

`parse_command(line)` turns one message (without its NUL) into a `ParsedCommand` whose `args`
are converted by the table's argument types, or raises `CommandError` carrying the exact reply
mod-host would send: `not found`, `few arguments`, `many arguments`. Where mod-host is unsafe
stompbox is strict and answers `resp -902` (INVALID_OPERATION): a non-numeric, out-of-range
(outside int32) or non-finite number, a negative count, or a variadic count larger than the
arguments given. A count of 0 is passed through (the engine answers -302 as mod-host does).

Shape of `ParsedCommand.args`: one entry per item of the signature, in wire order. Plain
arguments are `int`, `float` or `str`. A variadic group `{...}` becomes one tuple holding one
entry per repetition; a one-type group gives its values directly, a wider group gives tuples:

    add uri 3                          -> ("uri", 3)
    multi_add 2 u1 1 u2 2              -> (2, (("u1", 1), ("u2", 2)))
    multi_remove 2 1 2                 -> (2, (1, 2))
    multi_activate 1 2 1 2             -> (1, 2, (1, 2))
    multi_param_set gain 0.5 2 1 2     -> ("gain", 0.5, 2, (1, 2))
    params_flush 1 0 1 gain 0.5        -> (1, 0, 1, (("gain", 0.5),))
    multi_params_flush 0 2 1 2 1 g 1   -> (0, 2, (1, 2), 1, (("g", 1.0),))
    cc_map 1 g 0 0 lbl 1 0 2 2 0 dB 2 a 0 b 1
                                       -> (1, "g", 0, 0, "lbl", 1.0, 0.0, 2.0, 2, 0, "dB", 2,
                                           (("a", 0.0), ("b", 1.0)))

The counts stay in `args` so that positions match the reference signatures. For commands
with two counts (`multi_params_flush`, `multi_pre_run`), a second count that is missing is
-902, unless the first count was 0 (then it is taken as 0 so the engine can answer -302).
"""

from __future__ import annotations

import enum
import math
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from .errors import CommandError, ErrorCode

__all__ = [
    "COMMANDS",
    "FEW_ARGUMENTS",
    "MANY_ARGUMENTS",
    "NOT_FOUND",
    "Arg",
    "ArgType",
    "CommandError",
    "CommandSpec",
    "Group",
    "ParsedCommand",
    "encode_raw",
    "encode_resp",
    "looks_foreign",
    "parse_command",
    "tokenize",
]

NOT_FOUND = b"not found\0"
FEW_ARGUMENTS = b"few arguments\0"
MANY_ARGUMENTS = b"many arguments\0"

Value: TypeAlias = str | int | float
Arg: TypeAlias = str | int | float | tuple[Value | tuple[Value, ...], ...]


class ArgType(enum.Enum):
    """Argument types of the signature language (`%i`, `%f`, `%s`, `%n` = count)."""

    INT = "%i"
    FLOAT = "%f"
    STR = "%s"
    COUNT = "%n"


@dataclass(frozen=True, slots=True)
class Group:
    """A variadic group, repeated as many times as the count before it says."""

    types: tuple[ArgType, ...]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command of the table: its name and its signature items.

    `variadic` and `fixed_count` (arguments that must be present: everything before the first
    group) are derived once at construction, since every parsed line needs them.
    """

    name: str
    items: tuple[ArgType | Group, ...]
    variadic: bool = field(init=False)
    fixed_count: int = field(init=False)

    def __post_init__(self) -> None:
        groups = [i for i, item in enumerate(self.items) if isinstance(item, Group)]
        object.__setattr__(self, "variadic", bool(groups))
        object.__setattr__(self, "fixed_count", groups[0] if groups else len(self.items))

    @property
    def signature(self) -> str:
        parts = [self.name]
        for item in self.items:
            if isinstance(item, Group):
                parts.append("{" + " ".join(t.value for t in item.types) + "}")
            else:
                parts.append(item.value)
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    """A command line checked against the table; see the module docstring for `args`."""

    name: str
    args: tuple[Arg, ...]


# Reference §5, in its order: 65 commands including help and quit.
_SIGNATURES = (
    "add %s %i",
    "preload %s %i",
    "remove %i",
    "activate %i %i",
    "multi_add %n {%s %i}",
    "multi_preload %n {%s %i}",
    "multi_remove %n {%i}",
    "multi_activate %i %n {%i}",
    "connect %s %s",
    "connect_safe %s %s",
    "connect_matching %s %s",
    "disconnect %s %s",
    "disconnect_safe %s %s",
    "disconnect_all %s",
    "param_set %i %s %f",
    "param_get %i %s",
    "multi_param_set %s %f %n {%i}",
    "params_flush %i %i %n {%s %f}",
    "multi_params_flush %i %n {%i} %n {%s %f}",
    "pre_run %i %i %n {%s %f}",
    "multi_pre_run %i %n {%i} %n {%s %f}",
    "bypass %i %i",
    "multi_bypass %i %n {%i}",
    "patch_set %i %s %s",
    "patch_get %i %s",
    "licensee %i",
    "preset_load %i %s",
    "preset_save %i %s %s %s",
    "preset_show %s",
    "state_save %s",
    "state_load %s",
    "state_tmpdir %s",
    "bundle_add %s",
    "bundle_remove %s %s",
    "load %s",
    "save %s",
    "monitor %s %i %i",
    "param_monitor %i %s %s %f",
    "monitor_output %i %s",
    "monitor_output_off %i %s",
    "monitor_audio_levels %s %i",
    "monitor_midi_program %i %i",
    "monitor_midi_control %i %i",
    "midi_learn %i %s %f %f",
    "midi_map %i %s %i %i %f %f",
    "midi_unmap %i %s",
    "cv_map %i %s %s %f %f %s",
    "cv_unmap %i %s",
    "cc_map %i %s %i %i %s %f %f %f %i %i %s %n {%s %f}",
    "cc_value_set %i %s %f",
    "cc_unmap %i %s",
    "hmi_map %i %s %i %i %i %i %i %s %f %f %i",
    "hmi_unmap %i %s",
    "set_bpm %f",
    "set_bpb %f",
    "transport %i %f %f",
    "transport_sync %s",
    "cpu_load",
    "max_cpu_load",
    "feature_enable %s %i",
    "output_data_ready",
    "wait_audio_cycle",
    "show_external_ui %i",
    "help",
    "quit",
)


def _parse_signature(signature: str) -> CommandSpec:
    name, *rest = signature.split(" ")
    items: list[ArgType | Group] = []
    group: list[ArgType] | None = None
    for word in rest:
        opens, closes = word.startswith("{"), word.endswith("}")
        arg = ArgType(word.strip("{}"))
        if opens:
            group = []
        if group is not None:
            group.append(arg)
            if closes:
                items.append(Group(tuple(group)))
                group = None
        else:
            items.append(arg)
    return CommandSpec(name, tuple(items))


# Commands of the embedded engine that mod-host does not have (a real mod-host answers
# `not found`, which is how a client discovers them): transactions of graph changes.
_EXTENSION_SIGNATURES = ("transaction_begin", "transaction_commit")
EXTENSIONS: Mapping[str, CommandSpec] = types.MappingProxyType(
    {spec.name: spec for spec in map(_parse_signature, _EXTENSION_SIGNATURES)}
)

COMMANDS: Mapping[str, CommandSpec] = types.MappingProxyType(
    {spec.name: spec for spec in map(_parse_signature, _SIGNATURES)}
)
"""The command table: name → CommandSpec (read-only)."""

_TRAILING = " \t\r\n"


def tokenize(line: str) -> list[str]:
    """Split one command line exactly as mod-host's `strarr_split` (quotes enabled) does.

    Trailing space/tab/CR/LF are trimmed; tokens are split on single spaces (two spaces make an
    empty token); `"..."` groups a token and the quotes are dropped; `\\"` or `""` gives a literal
    `"`. Faithful quirks: a closing quote ends the token (text glued after it is lost), `\\"`
    works outside quotes too, and an unterminated quote runs to the end of the line. Text after
    an embedded NUL is ignored (C string). An empty (or all-whitespace) line gives `[]`.
    """
    line = line.split("\0", 1)[0].rstrip(_TRAILING)
    if not line:
        return []
    if '"' not in line:  # the common case: no quoting, so `\` is an ordinary character too
        return line.split(" ")
    buf = list(line)
    n = len(buf)
    cuts: list[int] = []  # indexes that became a C string terminator
    starts = [0]
    quote = False
    i = 0
    while i < n:
        c = buf[i]
        if c == " " and not quote:
            cuts.append(i)
            starts.append(i + 1)
        elif c == "\\" and i + 1 < n and buf[i + 1] == '"':
            buf[i] = '"'
            i += 1
        elif c == '"':
            if not quote:
                quote = True
            elif i + 1 < n and buf[i + 1] == '"':
                i += 1
            else:
                cuts.append(i)
                quote = False
        i += 1
    tokens: list[str] = []
    ends = iter(sorted(cuts))
    end = next(ends, n)
    for start in starts:
        while end < start:
            end = next(ends, n)
        tokens.append(_drop_quotes(buf[start:end]))
    return tokens


def _drop_quotes(chars: list[str]) -> str:
    """mod-host's `parse_quote`: remove each `"`, skipping the character that follows it."""
    i = 0
    while i < len(chars):
        if chars[i] == '"':
            del chars[i]
        i += 1
    return "".join(chars)


_INT_RE = re.compile(r"[+-]?[0-9]+")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class _Invalid(Exception):
    """Internal: an argument stompbox refuses (answered `resp -902`)."""


def _convert(kind: ArgType, token: str) -> Value:
    if kind is ArgType.STR:
        return token
    if kind is ArgType.FLOAT:
        if not _FLOAT_RE.fullmatch(token):
            raise _Invalid
        value = float(token)
        if not math.isfinite(value):
            raise _Invalid
        return value
    if not _INT_RE.fullmatch(token):
        raise _Invalid
    number = int(token)
    if not _INT_MIN <= number <= _INT_MAX or (kind is ArgType.COUNT and number < 0):
        raise _Invalid
    return number


def _convert_all(spec: CommandSpec, args: list[str]) -> tuple[Arg, ...]:
    values: list[Arg] = []
    pos = 0
    count = 0
    zero_count_seen = False
    for item in spec.items:
        if isinstance(item, Group):
            width = len(item.types)
            if pos + count * width > len(args):
                raise _Invalid
            reps: list[Value | tuple[Value, ...]] = []
            for _ in range(count):
                group = tuple(_convert(t, args[pos + j]) for j, t in enumerate(item.types))
                reps.append(group[0] if width == 1 else group)
                pos += width
            values.append(tuple(reps))
            continue
        if pos >= len(args):  # only a second count can be missing here
            if not zero_count_seen:
                raise _Invalid
            count = 0
            values.append(0)
            continue
        value = _convert(item, args[pos])
        pos += 1
        if item is ArgType.COUNT:
            assert isinstance(value, int)
            count = value
            zero_count_seen = zero_count_seen or value == 0
        values.append(value)
    if pos < len(args):
        raise CommandError(MANY_ARGUMENTS)
    return tuple(values)


def parse_command(line: str) -> ParsedCommand:
    """Check one command line (without NUL) against the table; see the module docstring.

    Raises only `CommandError`; its `.reply` is the exact reply to send (b"" for an empty line,
    which gets no reply).
    """
    tokens = tokenize(line)
    if not tokens:
        raise CommandError(b"")
    spec = COMMANDS.get(tokens[0]) or EXTENSIONS.get(tokens[0])
    if spec is None:
        raise CommandError(NOT_FOUND)
    args = tokens[1:]
    fixed = spec.fixed_count
    if len(args) < fixed:
        raise CommandError(FEW_ARGUMENTS)
    if len(args) > fixed and not spec.variadic:
        raise CommandError(MANY_ARGUMENTS)
    try:
        return ParsedCommand(spec.name, _convert_all(spec, args))
    except _Invalid:
        raise CommandError(encode_resp(ErrorCode.INVALID_OPERATION)) from None


def encode_resp(status: int, extra: float | None = None) -> bytes:
    """`resp <status>` or `resp <status> <%.4f extra>`, NUL-terminated."""
    text = f"resp {int(status)}" if extra is None else f"resp {int(status)} {extra:.4f}"
    return text.encode() + b"\0"


def encode_raw(text: str) -> bytes:
    """A raw-string reply (preset_show Turtle, licensee, or ""), NUL-terminated."""
    if "\0" in text:
        raise ValueError("a raw reply cannot contain NUL")
    return text.encode() + b"\0"


_HTTP_REQUEST = re.compile(
    rb"^(?:GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH|PRI|PROPFIND|MKCOL) [^ ]"
)
_HTTP_VERSION = re.compile(rb" HTTP/[0-9]")
_HEADER = re.compile(
    rb"(?im)^(?:host|origin|referer|user-agent|content-type|content-length|cookie|accept"
    rb"|connection|upgrade|sec-[a-z-]+|transfer-encoding)[ \t]*:"
)
_SNIFF = 8192


def looks_foreign(message: bytes) -> bool:
    """True when one message (a NUL-delimited chunk) is not something a mod-host client sends:
    an HTTP request line or header (a web page's `fetch` to the engine port), a TLS or SSH
    greeting. The engine closes such a connection at once, executing nothing more from it.

    mod-host commands are single-line ASCII words; `cmd1\ncmd2` (answered `many arguments`) is
    still a mod-host message, so a bare newline alone does not count as foreign."""
    head = message[:_SNIFF]
    if _HTTP_REQUEST.match(head) or _HTTP_VERSION.search(head) or _HEADER.search(head):
        return True
    return head[:2] == b"\x16\x03" or head.startswith(b"SSH-")  # TLS ClientHello, SSH banner
