"""WebSocket messages: validate what a browser sends, encode what it receives.

Limits: a client message is one text frame of at most `MAX_CLIENT_MESSAGE` bytes holding one JSON
object of a known `type`; ids and symbols are 1..`MAX_NAME` characters; values are finite numbers.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import msgspec

from stompbox.contract.errors import StompboxError, ValidationError
from stompbox.contract.rpc import Event

MAX_CLIENT_MESSAGE = 64 * 1024
MAX_NAME = 256
MAX_ECHO = 1024
"""A request echoed in an error reply is cut off (replaced by null) above this encoded size."""

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)]


Id = Annotated[str, msgspec.Meta(max_length=64)]


class SetParameter(
    msgspec.Struct, frozen=True, tag_field="type", tag="set_parameter", omit_defaults=True
):
    instance_id: Name
    symbol: Name
    value: float
    client: Id = ""  # the editing client (its undo history)
    gesture: Id = ""  # values of one gesture (drag start → release) make one undo entry


class Resync(msgspec.Struct, frozen=True, tag_field="type", tag="resync"):
    pass


class Undo(msgspec.Struct, frozen=True, tag_field="type", tag="undo", omit_defaults=True):
    client: Id = ""


class Redo(msgspec.Struct, frozen=True, tag_field="type", tag="redo", omit_defaults=True):
    client: Id = ""


ClientMessage = SetParameter | Resync | Undo | Redo

_decoder = msgspec.json.Decoder(ClientMessage)
_encoder = msgspec.json.Encoder()


class ClientMessageError(ValidationError):
    """A client message was refused; `request` is what the client sent (when it was an object)."""

    def __init__(self, message: str, request: Any = None) -> None:
        super().__init__(message)
        self.request = request


def _echo(data: bytes) -> Any:
    """The client's message as an object to echo back, or None when it is not a small object."""
    if len(data) > MAX_ECHO:
        return None
    try:
        obj = msgspec.json.decode(data)
    except msgspec.DecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def decode_client_message(frame: str | bytes | None) -> ClientMessage:
    """Decode one WebSocket frame from a client, or raise ClientMessageError saying why not."""
    if frame is None:
        raise ClientMessageError("empty frame")
    if isinstance(frame, bytes):
        raise ClientMessageError("binary frames are not accepted; send JSON text")
    data = frame.encode("utf-8", "surrogatepass")
    if len(data) > MAX_CLIENT_MESSAGE:
        raise ClientMessageError(f"message of {len(data)} bytes exceeds {MAX_CLIENT_MESSAGE} bytes")
    try:
        message: ClientMessage = _decoder.decode(data)
    except msgspec.DecodeError as exc:  # includes msgspec.ValidationError
        raise ClientMessageError(f"invalid message: {exc}", _echo(data)) from exc
    if isinstance(message, SetParameter) and not math.isfinite(message.value):
        raise ClientMessageError("value must be a finite number", _echo(data))
    return message


def request_of(message: ClientMessage) -> dict[str, Any]:
    """The wire form of a decoded client message (echoed in error replies)."""
    result: dict[str, Any] = msgspec.to_builtins(message)
    return result


def encode_state(state: Any) -> str:
    return _encoder.encode({"type": "state", "state": state}).decode()


def encode_event(event: Event) -> str:
    return _encoder.encode(
        {
            "type": "event",
            "event": event.event,
            "seq": event.seq,
            "timestamp": event.timestamp,
            "data": event.data,
        }
    ).decode()


def encode_error(error: StompboxError, request: Any = None) -> str:
    """`{"type": "error", "code", "error_type", "message", "request"}` for one refused message."""
    body: dict[str, Any] = {
        "type": "error",
        "code": error.code,
        "error_type": error.type.value,
        "message": error.message,
        "request": request,
    }
    try:
        return _encoder.encode(body).decode()
    except (TypeError, ValueError, OverflowError):
        body["request"] = None
        return _encoder.encode(body).decode()
