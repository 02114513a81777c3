"""Map every error to an HTTP response with the body `{code, type, message, data?}`.

Session errors keep their code as the status (validation 422, not_found 404, conflict 409,
resource 507, timeout 504, connection 503, engine 502, internal 500); request validation errors
answer 422 in the same shape; HTTP-level refusals (unknown path 404, wrong method 405,
unauthorized 401, forbidden 403) use the status as code and a matching type.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from stompbox.contract.errors import ErrorType, InternalError, StompboxError

log = logging.getLogger(__name__)

_HTTP_TYPES = {
    400: ErrorType.VALIDATION.value,
    401: "unauthorized",
    403: "forbidden",
    404: ErrorType.NOT_FOUND.value,
    405: "method_not_allowed",
    413: ErrorType.VALIDATION.value,
    415: ErrorType.VALIDATION.value,
    422: ErrorType.VALIDATION.value,
}


def error_json(code: int, type_: str, message: str, data: Any = None) -> bytes:
    body: dict[str, Any] = {"code": code, "type": type_, "message": message}
    if data is not None:
        body["data"] = data
    try:
        return msgspec.json.encode(body)
    except (TypeError, ValueError, OverflowError):
        body.pop("data", None)
        return msgspec.json.encode(body)


def error_response(
    code: int, type_: str, message: str, data: Any = None, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        error_json(code, type_, message, data),
        status_code=code,
        media_type="application/json",
        headers=headers,
    )


def stompbox_error_response(exc: StompboxError) -> Response:
    return error_response(exc.code, exc.type.value, exc.message, exc.data)


def _jsonable_errors(errors: Any) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        out.append(
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return out


async def _on_stompbox_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StompboxError)
    return stompbox_error_response(exc)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _jsonable_errors(exc.errors())
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"])
    message = f"{where}: {first['msg']}" if where else str(first["msg"])
    return error_response(422, ErrorType.VALIDATION.value, message, {"errors": errors})


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = exc.status_code
    type_ = _HTTP_TYPES.get(code, ErrorType.INTERNAL.value if code >= 500 else "http")
    headers = dict(exc.headers) if exc.headers else None
    return error_response(code, type_, str(exc.detail), headers=headers)


async def _on_any_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error in %s %s", request.method, request.url.path)
    error = InternalError(f"{type(exc).__name__}: {exc}")
    return stompbox_error_response(error)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StompboxError, _on_stompbox_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_any_error)
