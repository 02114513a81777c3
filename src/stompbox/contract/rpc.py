"""The RPC envelope and event envelope, and their decoding into typed values.

Request `{"id", "method", "params"}` → Response `{"id", "result"}` or `{"id", "error": ErrorBody}`.
Event    `{"event", "seq", "timestamp", "data"}`, published with topic = event name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec

from .errors import ErrorBody, ValidationError

T = TypeVar("T")

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
"""Largest RPC request any stompbox server accepts; larger ones get a validation error."""
MAX_REPLY_BYTES = 64 * 1024 * 1024
"""Largest reply or event a stompbox client takes. Replies and events come from our own
servers, and their size follows from our caps, not from a caller: a board of 200 plugins (the
cap) of the largest installed plugin, LSP's multiband dynamics processor with 1,082 ports, is
about 40 MiB of state with each port's metadata. At 4 MiB, 21 such plugins made a board no
client could load any more (`session.state` and `pedalboard_loaded` were refused)."""


class Request(msgspec.Struct, frozen=True, omit_defaults=True):
    id: int | str
    method: str
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    timeout: float | None = None
    """Seconds the caller still waits for the reply: the server's work and every call it makes
    on the way fit within it (zmqservice/deadline.py). None: the server's own limits apply."""


class Response(msgspec.Struct, frozen=True, omit_defaults=True):
    id: int | str | None
    result: Any = None
    error: ErrorBody | None = None


class Event(msgspec.Struct, frozen=True):
    event: str
    seq: int
    timestamp: str
    data: dict[str, Any]


class DecodeError(ValidationError):
    """Bytes from a peer were not a valid message of the expected shape."""


_encoder = msgspec.json.Encoder()
_request_decoder = msgspec.json.Decoder(Request)
_response_decoder = msgspec.json.Decoder(Response)
_event_decoder = msgspec.json.Decoder(Event)


def encode(obj: Any) -> bytes:
    return _encoder.encode(obj)


def _decode(
    decoder: msgspec.json.Decoder[T], data: bytes, what: str, limit: int = MAX_MESSAGE_BYTES
) -> T:
    if len(data) > limit:
        raise DecodeError(f"{what} larger than {limit} bytes")
    try:
        return decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise DecodeError(f"malformed {what}: {exc}") from exc
    except RecursionError as exc:  # msgspec gives up on very deep nesting of `Any` fields
        raise DecodeError(f"malformed {what}: nested too deeply") from exc


def decode_request(data: bytes) -> Request:
    return _decode(_request_decoder, data, "request")


def decode_response(data: bytes) -> Response:
    return _decode(_response_decoder, data, "response", MAX_REPLY_BYTES)


def decode_event(data: bytes) -> Event:
    return _decode(_event_decoder, data, "event", MAX_REPLY_BYTES)


def convert_params(params: Any, type_: type[T]) -> T:
    """Turn a request's `params` into the handler's typed params, or raise ValidationError."""
    try:
        return msgspec.convert(params, type_)
    except msgspec.ValidationError as exc:
        raise ValidationError(f"invalid params: {exc}") from exc


def to_builtins(obj: Any) -> Any:
    return msgspec.to_builtins(obj)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
