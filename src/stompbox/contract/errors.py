"""The one error tree of stompbox and its wire form.

    StompboxError                 code  type
    ├── ValidationError            422  validation   bad shape, bad value, unknown symbol
    ├── NotFoundError              404  not_found    unknown method, instance, board, plugin
    ├── ConflictError              409  conflict     name taken, duplicate connection
    ├── ResourceError              507  resource     plugin cannot load, disk full, read-only
    ├── StompboxTimeoutError       504  timeout      a peer did not answer in time
    ├── StompboxConnectionError    503  connection   a peer is unreachable or went away
    ├── EngineError                502  engine       the engine answered a mod-host error code
    └── InternalError              500  internal     a bug: a handler raised something unexpected

Each class maps to exactly one wire `code`/`type`; `ErrorBody` is what travels in an RPC reply
and in HTTP error bodies (`{code, type, message, data}`).
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

import msgspec


class ErrorType(enum.StrEnum):
    VALIDATION = "validation"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RESOURCE = "resource"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    ENGINE = "engine"
    INTERNAL = "internal"


class ErrorBody(msgspec.Struct, frozen=True, omit_defaults=True):
    code: int
    type: ErrorType
    message: str
    data: Any = None


class StompboxError(Exception):
    """Base of every error stompbox raises on purpose."""

    code: ClassVar[int] = 500
    type: ClassVar[ErrorType] = ErrorType.INTERNAL

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    def to_body(self) -> ErrorBody:
        return ErrorBody(code=self.code, type=self.type, message=self.message, data=self.data)


class ValidationError(StompboxError):
    code = 422
    type = ErrorType.VALIDATION


class NotFoundError(StompboxError):
    code = 404
    type = ErrorType.NOT_FOUND


class ConflictError(StompboxError):
    code = 409
    type = ErrorType.CONFLICT


class ResourceError(StompboxError):
    code = 507
    type = ErrorType.RESOURCE


class StompboxTimeoutError(StompboxError):
    code = 504
    type = ErrorType.TIMEOUT


class StompboxConnectionError(StompboxError):
    code = 503
    type = ErrorType.CONNECTION


class EngineError(StompboxError):
    """The engine refused a command; `engine_code` is the mod-host error number."""

    code = 502
    type = ErrorType.ENGINE

    def __init__(self, message: str, engine_code: int, data: Any = None) -> None:
        super().__init__(message, data if data is not None else {"engine_code": engine_code})
        self.engine_code = engine_code


class InternalError(StompboxError):
    code = 500
    type = ErrorType.INTERNAL


_BY_TYPE: dict[ErrorType, type[StompboxError]] = {
    cls.type: cls
    for cls in (
        ValidationError,
        NotFoundError,
        ConflictError,
        ResourceError,
        StompboxTimeoutError,
        StompboxConnectionError,
        InternalError,
    )
}


def error_from_body(body: ErrorBody) -> StompboxError:
    """Rebuild the exception a peer raised from its wire form."""
    if body.type is ErrorType.ENGINE:
        code = body.data.get("engine_code", 0) if isinstance(body.data, dict) else 0
        return EngineError(body.message, int(code), body.data)
    return _BY_TYPE.get(body.type, InternalError)(body.message, body.data)
