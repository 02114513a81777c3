"""The RPC server: a ROUTER socket answering `{"id","method","params"}` requests concurrently."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, Self, TypeVar

import msgspec
import zmq
import zmq.asyncio

from stompbox.contract.errors import (
    InternalError,
    NotFoundError,
    StompboxError,
    StompboxTimeoutError,
)
from stompbox.contract.method import Method, Route
from stompbox.contract.rpc import (
    MAX_MESSAGE_BYTES,
    Response,
    decode_action,
    decode_request,
    encode,
)

from . import deadline
from .curve import CurveGate, CurveKeys, uses_curve
from .endpoints import check_endpoint
from .sockets import bind_server, close_server, drain, sync_view
from .translate import zmq_errors
from .wire import DELIMITER, error_reply, result_reply, salvage_id, split_request

log = logging.getLogger(__name__)

P = TypeVar("P")
R = TypeVar("R")

Handler = Callable[[Any], Awaitable[Any]]
"""`async def handler(params) -> result`; result must be msgspec-encodable."""

MAX_CONCURRENT_HANDLERS = 256
ZMQ_MAX_FRAME = 4 * MAX_MESSAGE_BYTES
"""libzmq drops a peer sending a larger frame; up to this size we answer with a validation error."""
SEND_TIMEOUT = 5.0


def _error_reply(request_id: int | str | None, error: StompboxError) -> bytes:
    try:
        return error_reply(request_id, error)
    except (TypeError, ValueError, msgspec.EncodeError):  # `data` was not encodable: drop it
        body = msgspec.structs.replace(error.to_body(), data=None)
        return encode(Response(id=request_id, error=body))


class RpcServer:
    """Serve registered async handlers on a ROUTER socket bound to `endpoint`.

    Use `async with server:` (binds) then `await server.run()` (serves until cancelled). Each
    request runs in its own task of run()'s TaskGroup; at most `max_concurrency` run at once and
    the socket is not read while that many are busy. Replies go out one at a time under a lock.
    A request that cannot be parsed gets a validation error (with its id when one can be read),
    an unknown method gets not_found, a handler's StompboxError its own body and any other
    exception an internal error (logged with its traceback); the server keeps serving.

    With `curve` keys and a tcp endpoint the socket is a CURVE server admitting only clients
    whose public key is authorized (see curve.py); it then runs in its own context (the ZAP
    handler's), not `context`. ipc endpoints ignore `curve`.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        name: str,
        max_concurrency: int = MAX_CONCURRENT_HANDLERS,
        context: zmq.asyncio.Context | None = None,
        curve: CurveKeys | None = None,
    ) -> None:
        self.endpoint = check_endpoint(endpoint)
        self.name = name
        self.curve = uses_curve(self.endpoint, curve)
        self._gate: CurveGate | None = None
        self._methods: dict[str, Route] = {}
        """full method name (`plugin.load` for an envelope method) → its route"""
        self._envelopes: set[str] = set()
        self._context = context
        self._socket: zmq.asyncio.Socket | None = None
        self._send_lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(max_concurrency)
        self._max_concurrency = max_concurrency
        self._in_flight = 0
        self._stats: Counter[str] = Counter()

    # -- registration ---------------------------------------------------------------------

    def register(self, method: Method[P, R], handler: Callable[[P], Awaitable[R]]) -> None:
        """Serve `method` with `handler`; its params arrive decoded into `method.params`."""
        self.add(method.route(handler))

    def add(self, route: Route) -> None:
        """Serve one route of a registration table (see Method.route)."""
        method = route.method
        action, inner = method.wire
        if method.name in self._methods or (inner is None and action in self._envelopes):
            raise ValueError(f"method {method.name!r} registered twice on {self.name}")
        if inner is not None:
            if action in self._methods:
                raise ValueError(f"{action!r} is both a method and an envelope on {self.name}")
            self._envelopes.add(action)
        self._methods[method.name] = route

    def add_all(self, routes: Iterable[Route]) -> None:
        for route in routes:
            self.add(route)

    @property
    def methods(self) -> list[str]:
        return sorted(self._methods)

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._socket is not None:
            raise RuntimeError("RpcServer is already open")
        self._socket, self._gate, self.endpoint = bind_server(
            self.endpoint,
            lambda context: context.socket(zmq.ROUTER),
            {zmq.MAXMSGSIZE: ZMQ_MAX_FRAME, zmq.RCVHWM: 10_000, zmq.SNDHWM: 10_000},
            context=self._context or zmq.asyncio.Context.instance(),
            curve=self.curve,
            what=f"{self.name}: bind {self.endpoint}",
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        close_server(self._socket, self._gate)
        self._socket, self._gate = None, None

    # -- serving --------------------------------------------------------------------------

    async def run(self) -> None:
        """Receive and answer requests until cancelled."""
        sock = self._socket
        if sock is None:
            raise RuntimeError("RpcServer.run() outside `async with server:`")
        view = sync_view(sock)
        async with asyncio.TaskGroup() as tg:
            while True:
                with zmq_errors(f"{self.name}: receive"):
                    # Await one message, then take whatever else is ready. (An awaited
                    # `sock.poll()` here woke ~500 times a second on an idle socket once it
                    # had received anything: 14% CPU per idle server with pyzmq 27.)
                    batch = [await sock.recv_multipart(), *drain(view)]
                for frames in batch:
                    self._stats["received"] += 1
                    identity, payload = split_request(frames)
                    if isinstance(payload, StompboxError):
                        self._stats["malformed"] += 1
                        if identity is not None:
                            await self._send(identity, error_reply(None, payload))
                        continue
                    await self._slots.acquire()  # bounded: stop reading while all slots are busy
                    tg.create_task(self._serve(identity or b"", payload))

    async def _serve(self, identity: bytes, payload: bytes) -> None:
        self._in_flight += 1
        self._stats["max_in_flight"] = max(self._stats["max_in_flight"], self._in_flight)
        try:
            reply = await self._dispatch(payload)
            await self._send(identity, reply)
        except Exception:  # never let one request take the TaskGroup (the server) down
            log.exception("%s: failed to answer a request", self.name)
            self._stats["answer_failed"] += 1
        finally:
            self._in_flight -= 1
            self._slots.release()

    async def _dispatch(self, payload: bytes) -> bytes:
        """Run one request to its reply bytes; every failure becomes an error reply."""
        request_id: int | str | None = None
        method = "?"
        try:
            request = decode_request(payload)
            request_id, method = request.id, request.method
            raw = request.params
            if method in self._envelopes:
                action = decode_action(raw)
                method, raw = f"{method}.{action.method}", action.params
            route = self._methods.get(method)
            if route is None or (route.method.envelope and raw is request.params):
                raise NotFoundError(f"{self.name} has no method {method!r}", {"method": method})
            params = route.method.decode_params(raw)
            with deadline.scope(deadline.for_handler(request.timeout)):
                result = await route.handler(params)
            try:
                reply = result_reply(request_id, result)
            except (TypeError, ValueError, msgspec.EncodeError) as exc:
                raise InternalError(f"{method}: result not encodable: {exc}") from exc
            self._stats["ok"] += 1
            return reply
        except StompboxError as exc:
            error: StompboxError = exc
        except TimeoutError as exc:  # a handler's own asyncio.timeout() expired
            error = StompboxTimeoutError(f"{method} timed out {exc}".strip())
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # the server is shutting down
            log.warning("%s: handler for %r was cancelled", self.name, method)
            error = InternalError(f"{method} was cancelled")
        except Exception as exc:
            log.exception("%s: handler for %r raised", self.name, method)
            error = InternalError(f"{method} failed: {type(exc).__name__}: {exc}")
        if request_id is None:
            request_id = salvage_id(payload)
            self._stats["malformed"] += 1
        self._stats[f"error.{error.type.value}"] += 1
        return _error_reply(request_id, error)

    async def _send(self, identity: bytes, reply: bytes) -> None:
        sock = self._socket
        if sock is None:
            return
        try:
            async with self._send_lock, asyncio.timeout(SEND_TIMEOUT):
                await sock.send_multipart([identity, DELIMITER, reply])
            self._stats["replied"] += 1
        except (zmq.ZMQError, TimeoutError) as exc:
            self._stats["send_failed"] += 1
            log.warning("%s: could not send a reply: %s", self.name, exc)

    def statistics(self) -> dict[str, Any]:
        """Counters for health checks: received, replied, ok, error.<type>, malformed, in flight."""
        return {
            "endpoint": self.endpoint,
            "methods": len(self._methods),
            "in_flight": self._in_flight,
            "max_concurrency": self._max_concurrency,
            **dict(self._stats),
        }
