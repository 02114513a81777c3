"""The one connection to the engine (mod-host protocol): pipelined commands, feedback, reconnects.

`EngineClient.run()` connects the command port, then the feedback port (mod-host blocks in
accept() on feedback once a command client is in), sends `output_data_ready`, calls
`on_connected()`, and serves until either socket closes; then every pending request fails with
StompboxConnectionError, `on_disconnected(reason)` is called and it reconnects with backoff,
forever. `request(cmd)` queues a command and returns its parsed reply; requests are written
without waiting for earlier replies (up to `window` in flight) and matched to replies in order.
Commands that never reply (help, save, load, quit) have no Struct and so cannot be sent.

With `token_path` (the embedded engine), each connection first sends `stompbox_auth <token>`
on both ports, the token read from that 0600 file at every connect; the engine's `resp 0` to it
is taken before any request's reply. Without it (a real mod-host) nothing extra is sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from stompbox.contract.errors import (
    ResourceError,
    StompboxConnectionError,
    StompboxError,
    StompboxTimeoutError,
    ValidationError,
)
from stompbox.contract.stats import EngineLinkStatistics
from stompbox.modhost.commands import Add, Command, OutputDataReady, PresetLoad, encode
from stompbox.modhost.errors import ModHostError, ProtocolError
from stompbox.modhost.feedback import DataFinishFb, Feedback, FeedbackParser
from stompbox.modhost.framing import NulFramer
from stompbox.modhost.replies import Reply, parse_reply
from stompbox.zmqservice import deadline

from .errors import from_modhost
from .writequeue import RequestQueue

log = logging.getLogger(__name__)

Waiter = asyncio.Future[Reply] | None
SLOW_COMMANDS = (Add, PresetLoad)
SLOW_TIMEOUT_FACTOR = 3.0
MAX_PENDING = 10_000
"""Requests queued or in flight at most; more is refused with ResourceError (bounded queue)."""
BACKOFF_MIN = 0.1
BACKOFF_MAX = 2.0
AUTH_COMMAND = b"stompbox_auth"


class _Stream(asyncio.Protocol):
    """Hands received bytes and the end of the connection to the client."""

    def __init__(self, on_data: Callable[[bytes], None], on_lost: Callable[[str], None]) -> None:
        self._on_data = on_data
        self._on_lost = on_lost

    def data_received(self, data: bytes) -> None:
        self._on_data(data)

    def eof_received(self) -> bool | None:
        self._on_lost("engine closed the connection")
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._on_lost(f"connection lost: {exc}" if exc else "engine closed the connection")


class _Link:
    """The two transports of one connection and its parsers; `lost` resolves with a reason."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.command: asyncio.Transport | None = None
        self.feedback: asyncio.Transport | None = None
        self.framer = NulFramer()
        self.fb_parser = FeedbackParser()
        self.lost: asyncio.Future[str] = loop.create_future()
        self.auth_pending = False  # the engine's reply to stompbox_auth is still to come
        self.early = bytearray()  # command-port bytes received before the link became current

    def close(self) -> None:
        for t in (self.command, self.feedback):
            if t is not None:
                t.abort()


class EngineClient:
    """Client of a mod-host-compatible engine at host:port (+ feedback_port); see module doc."""

    def __init__(
        self,
        host: str,
        port: int,
        feedback_port: int,
        *,
        timeout: float,
        on_feedback: Callable[[Feedback], None],
        on_connected: Callable[[], Awaitable[None]],
        on_disconnected: Callable[[str], None],
        window: int = 64,
        token_path: Path | None = None,
    ) -> None:
        self.host, self.port, self.feedback_port = host, port, feedback_port
        self.timeout = timeout
        self._on_feedback = on_feedback
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._token_path = token_path
        self._queue: RequestQueue[Waiter] = RequestQueue(window)
        self._link: _Link | None = None
        self._connected = False
        self._flush_scheduled = False
        self._connected_event = asyncio.Event()
        self._stats: Counter[str] = Counter()

    @property
    def connected(self) -> bool:
        """Connected and set up (`on_connected()` done): what others should see. Requests are
        accepted a little earlier, from `on_connected()` itself."""
        return self._connected and self._connected_event.is_set()

    async def wait_connected(self) -> None:
        await self._connected_event.wait()

    # -- requests -------------------------------------------------------------------------

    async def request(self, cmd: Command, timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        """Send `cmd` and return its reply; contract errors for refusals, timeouts, no engine."""
        try:
            data = encode(cmd)
        except (ValueError, TypeError) as exc:
            raise ValidationError(f"{cmd.command}: {exc}") from exc
        if not self._connected:
            raise StompboxConnectionError(
                f"engine not connected ({self.host}:{self.port})", {"engine_connected": False}
            )
        if len(self._queue) >= MAX_PENDING:
            self._stats["refused"] += 1
            raise ResourceError(f"{MAX_PENDING} engine requests pending; try again later")
        if timeout is None:
            slow = isinstance(cmd, SLOW_COMMANDS)
            timeout = self.timeout * (SLOW_TIMEOUT_FACTOR if slow else 1.0)
        timeout = deadline.within(timeout)  # never longer than the RPC caller still waits
        if timeout <= 0:
            self._stats["timeouts"] += 1
            raise StompboxTimeoutError(f"{cmd.command}: the caller's deadline has passed")
        fut: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._queue.submit(cmd, fut, data)
        self._stats["requests"] += 1
        self._schedule_flush()
        try:
            async with asyncio.timeout(timeout):
                return await fut
        except TimeoutError:
            # the request stays in flight so later replies still match their requests
            self._stats["timeouts"] += 1
            raise StompboxTimeoutError(
                f"engine did not answer {cmd.command} within {timeout:g} s"
            ) from None
        except ModHostError as exc:
            raise from_modhost(exc, cmd.command) from None

    def send_nowait(self, cmd: Command) -> None:
        """Queue a command whose reply nobody awaits (output_data_ready; an expired commit)."""
        self._queue.submit(cmd, None, encode(cmd))
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        link = self._link
        if link is None or link.command is None or not self._connected:
            return
        batch = self._queue.take()
        if batch:
            link.command.write(b"".join([p.data for p in batch]))
            self._stats["writes"] += 1
            self._stats["written"] += len(batch)

    # -- receiving ------------------------------------------------------------------------

    def _on_command_data(self, link: _Link, data: bytes) -> None:
        if link is not self._link:
            if not link.lost.done() and self._link is None:
                link.early += data  # (the auth reply) while _open() still connects the feedback
            return
        try:
            messages = link.framer.feed(data)
            if messages and link.auth_pending:
                answer = messages.pop(0)
                link.auth_pending = False
                if answer != b"resp 0":
                    self._lose(link, f"the engine refused our token: {answer[:40]!r}")
                    return
            for raw in messages:
                pending = self._queue.answered()
                self._stats["replies"] += 1
                result: Reply | BaseException
                try:
                    result = parse_reply(pending.command, raw.decode("utf-8", "replace"))
                except ModHostError as exc:
                    result = exc
                for fut in pending.waiters:
                    if fut is None or fut.done():
                        continue
                    if isinstance(result, BaseException):
                        fut.set_exception(result)
                    else:
                        fut.set_result(result)
        except (ProtocolError, LookupError) as exc:
            self._lose(link, f"protocol error on the command port: {exc}")
            return
        if messages and self._queue.queued:
            self._schedule_flush()

    def _on_feedback_data(self, link: _Link, data: bytes) -> None:
        if link is not self._link:
            return
        try:
            items = link.fb_parser.feed(data)
        except ProtocolError as exc:
            self._lose(link, f"protocol error on the feedback port: {exc}")
            return
        for fb in items:
            self._stats["feedback"] += 1
            if isinstance(fb, DataFinishFb):
                self.send_nowait(OutputDataReady())
                continue
            try:
                self._on_feedback(fb)
            except Exception:
                log.exception("feedback handler failed on %r", fb)

    def _lose(self, link: _Link, reason: str) -> None:
        """End `link` (once): fail every pending request and wake run()."""
        if link.lost.done():
            return
        if link is self._link:
            self._connected = False
            self._connected_event.clear()
            error = StompboxConnectionError(f"engine connection lost: {reason}")
            for pending in self._queue.drain():
                for fut in pending.waiters:
                    if fut is not None and not fut.done():
                        fut.set_exception(error)
        link.close()
        link.lost.set_result(reason)

    # -- connection life cycle ------------------------------------------------------------

    def _auth_line(self) -> bytes | None:
        """`stompbox_auth <token>` NUL, or None without a token path; OSError if unreadable."""
        if self._token_path is None:
            return None
        token = self._token_path.read_text().strip()
        if not token or not token.isalnum():
            raise OSError(f"no usable engine token in {self._token_path}")
        return AUTH_COMMAND + b" " + token.encode() + b"\0"

    async def _open(self) -> _Link:
        loop = asyncio.get_running_loop()
        link = _Link(loop)
        auth = self._auth_line()
        try:
            async with asyncio.timeout(self.timeout):
                link.command, _ = await loop.create_connection(
                    lambda: _Stream(
                        lambda d: self._on_command_data(link, d), lambda r: self._lose(link, r)
                    ),
                    self.host,
                    self.port,
                )
                if auth is not None:
                    link.auth_pending = True
                    link.command.write(auth)
                link.feedback, _ = await loop.create_connection(
                    lambda: _Stream(
                        lambda d: self._on_feedback_data(link, d), lambda r: self._lose(link, r)
                    ),
                    self.host,
                    self.feedback_port,
                )
                if auth is not None:
                    link.feedback.write(auth)
        except BaseException:
            link.close()
            raise
        return link

    async def run(self) -> None:
        """Stay connected until cancelled, reconnecting with backoff (0.1 s doubling to 2 s)."""
        backoff = BACKOFF_MIN
        failures = 0
        while True:
            try:
                link = await self._open()
            except (OSError, TimeoutError) as exc:
                failures += 1
                if failures == 1 or failures % 50 == 0:
                    log.info("engine %s:%d not reachable (%s); retrying", self.host, self.port, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            failures, backoff = 0, BACKOFF_MIN
            reason = await self._serve(link)
            self._stats["disconnects"] += 1
            log.warning("engine disconnected: %s", reason)
            self._on_disconnected(reason)
            await asyncio.sleep(BACKOFF_MIN)

    async def _serve(self, link: _Link) -> str:
        self._link = link
        self._connected = True
        self._stats["connects"] += 1
        if link.early:
            early, link.early = bytes(link.early), bytearray()
            self._on_command_data(link, early)
        try:
            self.send_nowait(OutputDataReady())
            try:
                await self._on_connected()
            except StompboxError as exc:
                self._lose(link, f"set-up after connecting failed: {exc}")
            if not link.lost.done():
                self._connected_event.set()
                log.info("engine connected at %s:%d", self.host, self.port)
            return await asyncio.shield(link.lost)  # a cancel must not cancel `lost` itself
        finally:
            if not link.lost.done():
                self._lose(link, "bridge shutting down")
            self._link = None

    def statistics(self) -> EngineLinkStatistics:
        return EngineLinkStatistics(
            connected=self._connected,
            queued=self._queue.queued,
            in_flight=self._queue.in_flight,
            coalesced=self._queue.coalesced,
            **self._stats,
        )
