"""Sans-IO codec of the mod-host text protocol: commands, replies, feedback, framing, server.

    commands   client side: one frozen Struct per command, `encode(cmd) -> bytes`
    replies    `parse_reply(cmd, text) -> Ok | Raw`, raising ModHostError / ProtocolError
    feedback   feedback-port messages: `parse_feedback`, `encode_feedback`, `FeedbackParser`
    framing    `NulFramer`: NUL-terminated messages out of arbitrary chunks
    server     server side: `tokenize`, the 65-command table, `parse_command`, `encode_resp`
    errors     `ErrorCode`, `ModHostError`, `ProtocolError`, `CommandError`

Nothing here does I/O: no asyncio, socket or zmq, and nothing else of stompbox is imported.
"""

from .commands import Command, ReplyKind, encode, quote
from .errors import CommandError, ErrorCode, ModHostError, ProtocolError
from .feedback import Feedback, FeedbackParser, encode_feedback, parse_feedback
from .framing import MAX_MESSAGE, NulFramer
from .replies import Ok, Raw, Reply, parse_reply
from .server import COMMANDS, ParsedCommand, encode_raw, encode_resp, parse_command, tokenize

__all__ = [
    "COMMANDS",
    "MAX_MESSAGE",
    "Command",
    "CommandError",
    "ErrorCode",
    "Feedback",
    "FeedbackParser",
    "ModHostError",
    "NulFramer",
    "Ok",
    "ParsedCommand",
    "ProtocolError",
    "Raw",
    "Reply",
    "ReplyKind",
    "encode",
    "encode_feedback",
    "encode_raw",
    "encode_resp",
    "parse_command",
    "parse_feedback",
    "parse_reply",
    "quote",
    "tokenize",
]
