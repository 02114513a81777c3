"""ASGI middleware enforcing `access.Access` on every HTTP request and WebSocket handshake."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from .access import COOKIE, Access
from .errors import error_json

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_AGE = 365 * 24 * 3600


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _query_token(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    values = parse_qs(query).get("token")
    return values[0] if values else None


Headers = list[tuple[bytes, bytes]]


async def _respond(send: Send, status: int, body: bytes, headers: Headers) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _refuse(send: Send, status: int, type_: str, message: str) -> None:
    headers = [(b"content-type", b"application/json")]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await _respond(send, status, error_json(status, type_, message), headers)


class AccessMiddleware:
    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            if await self._http_refused(scope, send):
                return
        elif kind == "websocket" and not self._websocket_allowed(scope):
            message = await receive()  # websocket.connect
            if message.get("type") == "websocket.connect":
                await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)

    def _websocket_allowed(self, scope: Scope) -> bool:
        headers = _headers(scope)
        host = headers.get("host", "")
        return (
            self.access.host_ok(host)
            and Access.origin_ok(headers.get("origin"), host)
            and self.access.request_token_ok(headers, _query_token(scope))
        )

    async def _http_refused(self, scope: Scope, send: Send) -> bool:
        headers = _headers(scope)
        host = headers.get("host", "")
        if not self.access.host_ok(host):
            await _refuse(send, 403, "forbidden", f"host {host!r} not allowed")
            return True
        if scope["method"] not in SAFE_METHODS and not Access.origin_ok(
            headers.get("origin"), host
        ):
            await _refuse(send, 403, "forbidden", "cross-origin request refused")
            return True
        if self.access.token is None:
            return False
        token = _query_token(scope)
        if scope["path"] == "/" and token is not None and self.access.token_ok(token):
            cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={MAX_AGE}"
            await _respond(send, 303, b"", [(b"location", b"/"), (b"set-cookie", cookie.encode())])
            return True
        if not self.access.request_token_ok(headers):
            message = "token required: send Authorization: Bearer <token> or open /?token=<token>"
            await _refuse(send, 401, "unauthorized", message)
            return True
        return False
