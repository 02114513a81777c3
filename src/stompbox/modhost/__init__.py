"""Sans-IO codec of the mod-host text protocol: commands, replies, feedback, framing, server."""

from .errors import CommandError, ErrorCode, ModHostError, ProtocolError
from .framing import MAX_MESSAGE, NulFramer
from .server import ParsedCommand, encode_raw, encode_resp, parse_command, tokenize

__all__ = [
    "MAX_MESSAGE",
    "CommandError",
    "ErrorCode",
    "ModHostError",
    "NulFramer",
    "ParsedCommand",
    "ProtocolError",
    "encode_raw",
    "encode_resp",
    "parse_command",
    "tokenize",
]
