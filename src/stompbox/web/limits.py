"""Bounds on every HTTP connection, below the app: header timeout and size, body size and idle.

uvicorn arms its keep-alive timer only after a response, so a client that connects and sends
nothing, or a header line every few seconds, holds a connection forever (before any token check
on a 0.0.0.0 bind). `BoundedHttpTools` closes a connection whose request head (request line and
headers) is not complete within `HEADER_TIMEOUT` seconds or grows past `MAX_HEAD` bytes.
`BodyLimit` (ASGI middleware) refuses a body over `MAX_BODY` bytes (413: at once for a declared
Content-Length, as soon as the count passes it for a chunked body) and ends a request whose body
stalls for `BODY_IDLE_TIMEOUT` seconds.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .errors import error_json

HEADER_TIMEOUT = 10.0
MAX_HEAD = 32 * 1024
MAX_BODY = 2 * 1024 * 1024
BODY_IDLE_TIMEOUT = 30.0
IDLE_KEEP_ALIVE = 5


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline and a size cap on each request head."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0

    def _arm(self) -> None:
        self._disarm()
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(HEADER_TIMEOUT, self._head_timeout)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # the first request head must arrive in time

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:
            self._arm()

    def _count(self, n: int) -> bool:
        self._head_bytes += n
        if self._head_bytes > MAX_HEAD:
            self._disarm()
            self.send_400_response("Request head too large.")
            return False
        return True

    def on_url(self, url: bytes) -> None:
        if self._count(len(url)):
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._count(len(name) + len(value) + 4):
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()


class BodyLimit:
    """ASGI middleware: 413 for a body over `max_body` (declared, or counted as a chunked body
    arrives: then the app sees a disconnect and whatever it sends is dropped); a body that stalls
    for `idle` seconds ends the request (the app sees a disconnect)."""

    def __init__(
        self, app: ASGIApp, max_body: int = MAX_BODY, idle: float = BODY_IDLE_TIMEOUT
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.idle = idle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_too_large(scope, self.max_body):
            await _too_large(send, self.max_body)
            return
        seen = 0
        started = False  # the app began its response (a 413 can no longer be sent)
        refused = False  # we answered 413: the app's own response is dropped

        async def bounded() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            try:
                async with asyncio.timeout(self.idle):
                    message = await receive()
            except TimeoutError:
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    if not started:
                        refused = True
                        await _too_large(send, self.max_body)
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = True
            await send(message)

        try:
            await self.app(scope, bounded, guarded)
        except Exception:
            if not refused:
                raise  # the app's own failure; after our 413 its complaint about the body is moot


def _declared_too_large(scope: Scope, limit: int) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                return True
            if declared < 0 or declared > limit:
                return True
    return False


async def _too_large(send: Send, limit: int) -> None:
    body = error_json(413, "validation", f"request body larger than {limit} bytes")
    headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
