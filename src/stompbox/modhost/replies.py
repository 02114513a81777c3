"""Read mod-host's reply to a command: `parse_reply(cmd, text) -> Ok | Raw`, or raise.

Choices, per `cmd.reply_kind`:

* STATUS: `resp n` → `Ok(n)` for n >= 0 (`add` gives the instance number); n < 0 raises
  `ModHostError(n)`.
* VALUE: `resp 0 x` → `Ok(0, x)`; a negative status raises; a missing value is a ProtocolError.
* INVERTED (monitor_output, monitor_output_off, midi_learn, midi_map answer `!result`):
  `resp 1` → `Ok(0)` (plain success); `resp 0` raises `ModHostError(-1)` (INSTANCE_INVALID,
  "failed", since mod-host drops the real code).
* UNMAP (midi_unmap): `resp 1` → `Ok(1)` (a mapping was removed), `resp 0` → `Ok(0)`
  (nothing was mapped, or it failed: mod-host cannot tell us) — never an exception.
* RAW (preset_show, licensee): the text as it is, `Raw("")` included.

For every kind, the bare strings `not found`, `few arguments`, `many arguments` (and the
never-sent `invalid argument`) raise `ModHostError(-902)` carrying the text. Anything else that
does not read as the expected reply raises `ProtocolError`.
"""

from __future__ import annotations

import re
from typing import TypeAlias

import msgspec

from .commands import Command, ReplyKind
from .errors import ErrorCode, ModHostError, ProtocolError

__all__ = ["TEXT_ERRORS", "Ok", "Raw", "Reply", "parse_reply"]

TEXT_ERRORS = frozenset({"not found", "few arguments", "many arguments", "invalid argument"})


class Ok(msgspec.Struct, frozen=True):
    """A `resp` reply: the status (or instance number) and the optional value."""

    value: int = 0
    extra: float | None = None


class Raw(msgspec.Struct, frozen=True):
    """A raw-string reply (preset_show Turtle, licensee)."""

    text: str


Reply: TypeAlias = Ok | Raw

_RESP_RE = re.compile(r"resp (-?[0-9]+)(?: (\S+))?")


def _status(cmd: Command, text: str) -> tuple[int, float | None]:
    match = _RESP_RE.fullmatch(text)
    if match is None:
        raise ProtocolError(f"unexpected reply to {cmd.command}: {text!r}")
    status = int(match.group(1))
    extra: float | None = None
    if match.group(2) is not None:
        try:
            extra = float(match.group(2))
        except ValueError:
            raise ProtocolError(f"unexpected reply to {cmd.command}: {text!r}") from None
    return status, extra


def parse_reply(cmd: Command, text: str) -> Reply:
    """Interpret `text` (one reply, without its NUL) as the answer to `cmd`; see module doc."""
    if text in TEXT_ERRORS:
        raise ModHostError(ErrorCode.INVALID_OPERATION, f"{cmd.command}: {text}")
    kind = cmd.reply_kind
    if kind is ReplyKind.RAW:
        return Raw(text)
    status, extra = _status(cmd, text)
    if status < 0:
        raise ModHostError(status, f"{cmd.command} failed")
    if kind is ReplyKind.STATUS:
        return Ok(status, extra)
    if kind is ReplyKind.VALUE:
        if extra is None or status != 0:
            raise ProtocolError(f"{cmd.command}: expected `resp 0 <value>`, got {text!r}")
        return Ok(0, extra)
    if kind is ReplyKind.INVERTED:
        if status == 1:
            return Ok(0, extra)
        if status == 0:
            raise ModHostError(
                ErrorCode.INSTANCE_INVALID, f"{cmd.command} failed (mod-host answered resp 0)"
            )
        raise ProtocolError(f"{cmd.command}: expected resp 1 or resp 0, got {text!r}")
    # ReplyKind.UNMAP
    if status in (0, 1):
        return Ok(status, extra)
    raise ProtocolError(f"{cmd.command}: expected resp 1 or resp 0, got {text!r}")
