"""Pure framing rules of the RPC sockets: split frames, salvage ids, build replies (no I/O)."""

from __future__ import annotations

from typing import Any

import msgspec

from stompbox.contract.errors import StompboxError, ValidationError
from stompbox.contract.method import Method
from stompbox.contract.rpc import MAX_MESSAGE_BYTES, OutgoingAction, Response, encode

DELIMITER = b""
"""The empty frame between the routing identity and the payload (what REQ and our DEALER send)."""


class _IdOnly(msgspec.Struct):
    id: int | str | None = None


_id_decoder = msgspec.json.Decoder(_IdOnly)


def split_request(frames: list[bytes]) -> tuple[bytes | None, bytes | StompboxError]:
    """Split frames a ROUTER received into (identity, payload) or (identity, error to reply).

    A well-formed request is `[identity, b"", payload]`. The identity is None only when no frame
    arrived at all, in which case nothing can be answered.
    """
    if not frames:
        return None, ValidationError("empty message")
    identity = frames[0]
    if len(frames) != 3 or frames[1] != DELIMITER:
        return identity, ValidationError(
            f"malformed request: expected [b'', payload] frames, got {len(frames) - 1} frame(s)"
        )
    payload = frames[2]
    if len(payload) > MAX_MESSAGE_BYTES:
        return identity, ValidationError(
            f"request of {len(payload)} bytes exceeds the limit of {MAX_MESSAGE_BYTES} bytes"
        )
    return identity, payload


def salvage_id(payload: bytes) -> int | str | None:
    """The `id` of a request that failed to decode as a whole, when its JSON still carries one."""
    try:
        return _id_decoder.decode(payload).id
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def error_reply(request_id: int | str | None, error: StompboxError) -> bytes:
    return encode(Response(id=request_id, error=error.to_body()))


def result_reply(request_id: int | str | None, result: Any) -> bytes:
    """Encode a result reply; raises TypeError/msgspec errors if `result` is not encodable."""
    return encode(Response(id=request_id, result=result))


def split_reply(frames: list[bytes]) -> bytes | None:
    """The payload of a reply a DEALER received (`[b"", payload]`), or None if malformed."""
    if len(frames) == 2 and frames[0] == DELIMITER:
        return frames[1]
    return None


def outgoing(
    method: Method[Any, Any] | str, params: Any, idempotent: bool | None
) -> tuple[str, str, Any, bool]:
    """(RPC method on the wire, full name for errors, params to encode, retry-safe) of a call.

    A Method's params Struct goes as it is (inside `{"method", "params"}` for an envelope
    method); a call by name takes a mapping or a Struct, made builtins here.
    """
    if isinstance(method, Method):
        name, inner = method.wire
        payload = params if inner is None else OutgoingAction(inner, params)
        return name, method.name, payload, method.idempotent if idempotent is None else idempotent
    try:
        payload = {} if params is None else msgspec.to_builtins(params)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"params of {method} not encodable: {exc}") from exc
    if not isinstance(payload, dict):
        raise ValidationError(f"params of {method} must be a mapping or a Struct")
    return method, method, payload, bool(idempotent)
