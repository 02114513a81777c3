"""The RPC client: one DEALER socket with many calls in flight, replies matched to calls by id."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar, overload

import msgspec
import zmq
import zmq.asyncio
from zmq.utils.monitor import parse_monitor_message

from stompbox.contract.errors import (
    StompboxConnectionError,
    StompboxError,
    StompboxTimeoutError,
    ValidationError,
    error_from_body,
)
from stompbox.contract.method import Method
from stompbox.contract.rpc import (
    MAX_MESSAGE_BYTES,
    OutgoingRequest,
    decode_any,
    decode_raw_response,
    encode,
)

from . import deadline
from .curve import CurveKeys, secure_client, uses_curve
from .endpoints import check_endpoint, ipc_path
from .sockets import drain, open_monitor, sync_view
from .translate import zmq_errors
from .wire import DELIMITER, outgoing, split_reply

log = logging.getLogger(__name__)

P = TypeVar("P")
R = TypeVar("R")


MAX_RETRY_DELAY = 2.0
"""Cap of the exponential backoff between retries, in seconds."""

_LOST = zmq.EVENT_DISCONNECTED | zmq.EVENT_CONNECT_RETRIED
_MONITORED = _LOST | zmq.EVENT_HANDSHAKE_SUCCEEDED


def _undelivered(message: str, endpoint: str) -> StompboxConnectionError:
    return StompboxConnectionError(message, {"endpoint": endpoint, "delivered": False})


def _was_delivered(exc: StompboxError) -> bool:
    return not (isinstance(exc.data, dict) and exc.data.get("delivered") is False)


class _Call:
    """One call in flight: the future its reply resolves, and its send."""

    __slots__ = ("reply", "send", "strikes")

    def __init__(self, reply: asyncio.Future[Any], send: asyncio.Future[Any]) -> None:
        self.reply = reply
        self.send = send
        self.strikes = 0

    @property
    def sent(self) -> bool:
        send = self.send
        return send.done() and not send.cancelled() and send.exception() is None


class RpcClient:
    """Call methods of the RpcServer at `endpoint`.

    `async with client:` connects (lazily: the server may start later) and starts the client's
    own reader task, which hands each reply to the waiting call by `id`; leaving the block fails
    every pending call with StompboxConnectionError and closes the socket with linger 0.

    Errors: the server's error body is raised as its StompboxError subclass; a call with no
    reply within `timeout` raises StompboxTimeoutError; StompboxConnectionError means the server
    is unreachable (ipc socket file missing, connection refused or lost) — fast, without waiting
    for the timeout where libzmq reports it.

    Retries: a request that was never handed to a connected server (`data["delivered"] is
    False`) is retried up to `retries` times, backing off exponentially from `retry_delay` (at
    most MAX_RETRY_DELAY); a request that may have reached the server is retried after a timeout
    or a lost connection only when the caller passes `idempotent=True`, so a set is never
    applied twice. `timeout` bounds each attempt, not the whole call.

    With `curve` keys and a tcp endpoint the client connects as a CURVE client of the stack's
    server key; a server refusing it (unauthorized key, no CURVE) simply never answers, which
    surfaces as StompboxConnectionError (undelivered) or StompboxTimeoutError. ipc ignores it.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float = 15.0,
        retries: int = 3,
        retry_delay: float = 0.2,
        context: zmq.asyncio.Context | None = None,
        curve: CurveKeys | None = None,
    ) -> None:
        self.endpoint = check_endpoint(endpoint)
        self.curve = uses_curve(self.endpoint, curve)
        self.timeout = timeout
        self.retries = retries
        self.retry_delay = retry_delay
        self._context = context
        self._socket: zmq.asyncio.Socket | None = None
        self._monitor: zmq.asyncio.Socket | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[int, _Call] = {}
        self._ids = itertools.count(1)
        self._connected = False
        self._stats: Counter[str] = Counter()

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._socket is not None:
            raise RuntimeError("RpcClient is already open")
        context = self._context or zmq.asyncio.Context.instance()
        with zmq_errors(f"connect {self.endpoint}"):
            sock = context.socket(zmq.DEALER)
            try:
                sock.setsockopt(zmq.LINGER, 0)
                sock.setsockopt(zmq.IMMEDIATE, 1)
                sock.setsockopt(zmq.RECONNECT_IVL, 100)
                sock.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
                sock.setsockopt(zmq.SNDHWM, 10_000)
                sock.setsockopt(zmq.RCVHWM, 10_000)
                if self.curve is not None:
                    secure_client(sock, self.curve)
                events = open_monitor(sock, _MONITORED)
                sock.connect(self.endpoint)
            except BaseException:
                sock.close(linger=0)
                raise
        self._socket, self._monitor = sock, events
        self._reader = asyncio.create_task(
            self._read(sock, events), name=f"rpc-client {self.endpoint}"
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        self._fail_pending(f"client of {self.endpoint} closed", sent=True, unsent=True)
        sock, monitor = self._socket, self._monitor
        self._socket = self._monitor = None
        if sock is not None:
            with contextlib.suppress(zmq.ZMQError):
                sock.disable_monitor()
            sock.close(linger=0)
        if monitor is not None:
            monitor.close(linger=0)

    @overload
    async def call(
        self,
        method: Method[P, R],
        params: P,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        idempotent: bool | None = None,
        retries: int | None = None,
    ) -> R: ...

    @overload
    async def call(
        self,
        method: str,
        params: dict[str, Any] | msgspec.Struct | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        idempotent: bool | None = None,
        retries: int | None = None,
    ) -> Any: ...

    async def call(
        self,
        method: Method[Any, Any] | str,
        params: Any = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        idempotent: bool | None = None,
        retries: int | None = None,
    ) -> Any:
        """Call `method` and return its result, or raise the server's StompboxError.

        A `Method` (contract/*_api.py) takes its params Struct and returns its result type
        (ValidationError if the result does not fit); `idempotent` defaults to the method's.
        By name (tests, tools): params a mapping or a Struct, the result as builtins.
        `timeout` (default: the client's) bounds each attempt; `retries` (default: the
        client's) bounds retries of undelivered requests, and of timed-out idempotent ones.
        """
        raw = await self._call(method, params, timeout, idempotent, retries)
        if isinstance(method, Method):
            return method.decode_result(raw)
        return decode_any(raw)

    async def call_raw(
        self,
        method: Method[P, R],
        params: P,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        idempotent: bool | None = None,
    ) -> msgspec.Raw:
        """`call`, the result's JSON as it came (a hop that only forwards it: no re-encoding)."""
        return await self._call(method, params, timeout, idempotent, None)

    async def _call(
        self,
        method: Method[Any, Any] | str,
        params: Any,
        timeout: float | None,  # noqa: ASYNC109
        idempotent: bool | None,
        retries: int | None,
    ) -> msgspec.Raw:
        name, label, payload, retry = outgoing(method, params, idempotent)
        attempts = 1 + max(0, self.retries if retries is None else retries)
        for attempt in range(attempts):
            try:
                limit = deadline.within(self.timeout if timeout is None else timeout)
                return await self._call_once(name, label, payload, limit)
            except (StompboxTimeoutError, StompboxConnectionError) as exc:
                retry_safe = retry or not _was_delivered(exc)
                if attempt + 1 >= attempts or not retry_safe:
                    raise
                self._stats["retries"] += 1
                await asyncio.sleep(min(self.retry_delay * (2**attempt), MAX_RETRY_DELAY))
        raise AssertionError("unreachable")

    async def _call_once(
        self,
        method: str,
        label: str,
        params: Any,
        timeout: float,  # noqa: ASYNC109
    ) -> msgspec.Raw:
        """One attempt: send `params` as RPC `method` (`label`: the full name, for errors)."""
        sock = self._socket
        if sock is None or self._reader is None:
            raise StompboxConnectionError(f"client of {self.endpoint} is not open")
        path = None if self._connected else ipc_path(self.endpoint)
        if path is not None and not path.exists():
            self._stats["unreachable"] += 1
            raise _undelivered(f"{self.endpoint} is not running (no socket file)", self.endpoint)
        if timeout <= 0:
            self._stats["timeouts"] += 1
            raise StompboxTimeoutError(
                f"{label} on {self.endpoint}: the caller's deadline has passed",
                {"endpoint": self.endpoint, "method": label, "timeout": 0},
            )
        request_id = next(self._ids)
        try:
            data = encode(OutgoingRequest(request_id, method, params, timeout))
        except (TypeError, ValueError, OverflowError, msgspec.EncodeError) as exc:
            raise ValidationError(f"params of {label} not encodable: {exc}") from exc
        if len(data) > MAX_MESSAGE_BYTES:
            raise ValidationError(f"{label}: request of {len(data)} bytes exceeds the limit")
        reply: asyncio.Future[msgspec.Raw] = asyncio.get_running_loop().create_future()
        self._stats["calls"] += 1
        sent = False
        send: asyncio.Future[Any] = asyncio.ensure_future(sock.send_multipart([DELIMITER, data]))
        self._pending[request_id] = _Call(reply, send)
        try:
            async with asyncio.timeout(timeout):
                if not send.done():
                    await asyncio.wait((send, reply), return_when=asyncio.FIRST_COMPLETED)
                if not send.done():  # the connection failed before the request left
                    send.cancel()
                    reply.result()  # raises the undelivered StompboxConnectionError
                try:
                    send.result()
                except zmq.ZMQError as exc:
                    raise _undelivered(f"send to {self.endpoint}: {exc}", self.endpoint) from exc
                sent = True
                return await reply
        except TimeoutError:
            send.cancel()
            self._stats["timeouts"] += 1
            if not sent:
                raise _undelivered(
                    f"{self.endpoint} not reachable within {timeout:g}s (calling {label})",
                    self.endpoint,
                ) from None
            raise StompboxTimeoutError(
                f"{label} on {self.endpoint}: no reply within {timeout:g}s",
                {"endpoint": self.endpoint, "method": label, "timeout": timeout},
            ) from None
        finally:
            self._pending.pop(request_id, None)

    # -- the reader task ------------------------------------------------------------------

    async def _read(self, sock: zmq.asyncio.Socket, monitor: zmq.asyncio.Socket) -> None:
        """Dispatch replies and connection events until the socket fails or we are cancelled.

        Each socket is read by awaiting one message and then draining what else is ready: a
        zmq.asyncio Poller over both sockets cost ~0.3 ms per reply and woke up when idle.
        """
        try:
            await asyncio.gather(
                self._read_loop(monitor, self._on_monitor_frames),
                self._read_loop(sock, self._on_reply),
            )
        except zmq.ZMQError as exc:
            log.warning("rpc client of %s: socket failed: %s", self.endpoint, exc)
            self._fail_pending(f"{self.endpoint}: {exc}", sent=True, unsent=True)

    @staticmethod
    async def _read_loop(sock: zmq.asyncio.Socket, handle: Callable[[list[bytes]], None]) -> None:
        view = sync_view(sock)
        while True:
            for frames in [await sock.recv_multipart(), *drain(view)]:
                handle(frames)

    def _on_monitor_frames(self, frames: list[bytes]) -> None:
        self._on_monitor(parse_monitor_message(frames))

    def _on_monitor(self, event: Mapping[str, Any]) -> None:
        kind = event["event"]
        if kind == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            self._connected = True
            self._stats["connects"] += 1
        elif kind & _LOST:
            was_connected, self._connected = self._connected, False
            if was_connected:
                self._stats["disconnects"] += 1
            # ZMQ_IMMEDIATE: a request whose send has not completed was never handed to a peer.
            # One whose send completed is on a connection: fail it only if that was lost.
            what = "connection to {} lost" if was_connected else "cannot connect to {}"
            self._fail_pending(what.format(self.endpoint), sent=was_connected, unsent=False)

    def _on_reply(self, frames: list[bytes]) -> None:
        payload = split_reply(frames)
        try:
            if payload is None:
                raise ValidationError("malformed reply frames")
            response = decode_raw_response(payload)
        except StompboxError:
            self._stats["malformed_replies"] += 1
            return
        entry = self._pending.get(response.id) if isinstance(response.id, int) else None
        future = entry.reply if entry is not None else None
        if future is None or future.done():
            self._stats["orphan_replies"] += 1
            return
        if response.error is not None:
            future.set_exception(error_from_body(response.error))
        else:
            future.set_result(response.result)

    def _fail_pending(self, message: str, *, sent: bool, unsent: bool) -> None:
        """Fail pending calls: those already sent if `sent`; unsent ones if `unsent`, else on
        their second connection failure (one failure may be a stale event from before the call).
        """
        for call in self._pending.values():
            if call.reply.done():
                continue
            if call.sent:
                if sent:
                    error = StompboxConnectionError(message, {"endpoint": self.endpoint})
                    call.reply.set_exception(error)
                continue
            call.strikes += 1
            if unsent or call.strikes >= 2:
                call.reply.set_exception(_undelivered(message, self.endpoint))

    def statistics(self) -> dict[str, Any]:
        """Counters: calls, timeouts, retries, connects, disconnects, orphan/malformed replies."""
        return {
            "endpoint": self.endpoint,
            "connected": self._connected,
            "pending": len(self._pending),
            **dict(self._stats),
        }
