"""Error codes of the mod-host protocol and the exceptions the codec raises.

Exception
├── ModHostError(code)    the host refused a command: a negative status, an inverted-status
│                         failure, or a bare `not found`/`few arguments`/`many arguments`
├── ProtocolError         the peer broke the protocol: a reply or message we cannot parse,
│                         or a message larger than the framing guard allows
└── CommandError(reply)   (server side) a command line the host must refuse; `.reply` holds
                          the exact NUL-terminated bytes to send back (empty: send nothing)
"""

from __future__ import annotations

import enum


class ErrorCode(enum.IntEnum):
    """Every status code of mod-host's effects.h (reference §4)."""

    SUCCESS = 0
    INSTANCE_INVALID = -1
    INSTANCE_ALREADY_EXISTS = -2
    INSTANCE_NON_EXISTS = -3
    INSTANCE_UNLICENSED = -4
    LV2_INVALID_URI = -101
    LV2_INSTANTIATION = -102
    LV2_INVALID_PARAM_SYMBOL = -103
    LV2_INVALID_PRESET_URI = -104
    LV2_CANT_LOAD_STATE = -105
    JACK_CLIENT_CREATION = -201
    JACK_CLIENT_ACTIVATION = -202
    JACK_CLIENT_DEACTIVATION = -203
    JACK_PORT_REGISTER = -204
    JACK_PORT_CONNECTION = -205
    JACK_PORT_DISCONNECTION = -206
    JACK_VALUE_OUT_OF_RANGE = -207
    ASSIGNMENT_ALREADY_EXISTS = -301
    ASSIGNMENT_INVALID_OP = -302
    ASSIGNMENT_LIST_FULL = -303
    ASSIGNMENT_FAILED = -304
    ASSIGNMENT_UNUSED = -305
    CONTROL_CHAIN_UNAVAILABLE = -401
    ABLETON_LINK_UNAVAILABLE = -402
    HMI_UNAVAILABLE = -403
    EXTERNAL_UI_UNAVAILABLE = -404
    MEMORY_ALLOCATION = -901
    INVALID_OPERATION = -902


def code_name(code: int) -> str:
    """The effects.h name of `code`, or `UNKNOWN` for a code outside the table."""
    try:
        return ErrorCode(code).name
    except ValueError:
        return "UNKNOWN"


class ModHostError(Exception):
    """The host answered a command with an error; `.code` is the mod-host status."""

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code = int(code)
        self.name = code_name(self.code)
        self.message = message if message is not None else self.name
        super().__init__(f"{self.name} ({self.code}): {self.message}")

    def __reduce__(self) -> tuple[type[ModHostError], tuple[int, str]]:
        return (type(self), (self.code, self.message))


class ProtocolError(Exception):
    """Bytes that break the protocol: an unparseable reply, an oversized message."""


class CommandError(Exception):
    """A command line the server must refuse; `.reply` is the exact wire reply (b"" = none)."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        super().__init__(reply.rstrip(b"\0").decode("utf-8", "replace") or "<no reply>")

    def __reduce__(self) -> tuple[type[CommandError], tuple[bytes]]:
        return (type(self), (self.reply,))
