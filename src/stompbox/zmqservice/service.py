"""The seed's ZMQ Service: one named service's RPC server and event publisher, plus its peers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, Self, TypeVar

import msgspec
import zmq.asyncio

from stompbox.contract.method import Method, Route
from stompbox.contract.rpc import Event
from stompbox.settings import Settings

from .client import RpcClient
from .curve import CurveKeys, keys_for, uses_curve
from .endpoints import pub_endpoint, rpc_endpoint
from .pubsub import Publisher, Subscriber
from .server import RpcServer

P = TypeVar("P")
R = TypeVar("R")


class ZmqService:
    """RpcServer + Publisher on the endpoints derived from `name` ("bridge", "session", ...).

    `register` handlers, then `async with service:` (binds both sockets) and `await service.run()`
    (serves until cancelled). `client(other)` and `subscribe(other, topics)` build (unopened)
    peers for another service, configured from the same settings; open them with `async with`.

    Any tcp endpoint (own or peer) requires CURVE: the keys come from `settings.keys_dir`
    (created on first use, see curve.py) and are passed to the sockets on tcp endpoints only.
    """

    def __init__(
        self, name: str, settings: Settings, *, context: zmq.asyncio.Context | None = None
    ) -> None:
        self.name = name
        self.settings = settings
        self._context = context
        self._curve: CurveKeys | None = None
        rpc, pub = rpc_endpoint(name, settings), pub_endpoint(name, settings)
        self.server = RpcServer(rpc, name=name, context=context, curve=self._curve_for(rpc))
        self.publisher = Publisher(pub, context=context, curve=self._curve_for(pub))
        self._stack: AsyncExitStack | None = None

    def _curve_for(self, endpoint: str) -> CurveKeys | None:
        """The stack's CURVE keys (loaded or created once) for a tcp endpoint, else None."""
        if self._curve is None:
            self._curve = keys_for(self.settings.keys_dir, endpoint)
        return uses_curve(endpoint, self._curve)

    def register(self, method: Method[P, R], handler: Callable[[P], Awaitable[R]]) -> None:
        """Serve `method` (see RpcServer.register)."""
        self.server.register(method, handler)

    def add(self, route: Route) -> None:
        """Serve one route of a registration table (see Method.route)."""
        self.server.add(route)

    def publish(self, event: str, data: dict[str, Any] | msgspec.Struct | None = None) -> Event:
        """Publish one event to every subscriber; sync, never blocks (see Publisher.publish)."""
        return self.publisher.publish(event, data)

    def publish_event(self, event: msgspec.Struct) -> Event:
        """Publish a typed event (topic = its tag; see Publisher.publish_event)."""
        return self.publisher.publish_event(event)

    @property
    def seq(self) -> int:
        """The seq of the last event published (what a `state` reply should carry)."""
        return self.publisher.seq

    def client(self, other: str) -> RpcClient:
        """An RpcClient for service `other`, with the settings' timeout and retries."""
        endpoint = rpc_endpoint(other, self.settings)
        return RpcClient(
            endpoint,
            timeout=self.settings.rpc_timeout,
            retries=self.settings.rpc_retries,
            retry_delay=self.settings.rpc_retry_delay,
            context=self._context,
            curve=self._curve_for(endpoint),
        )

    def subscribe(self, other: str, topics: Iterable[str] = ()) -> Subscriber:
        """A Subscriber to service `other`'s events of `topics` (all when empty)."""
        endpoint = pub_endpoint(other, self.settings)
        return Subscriber(endpoint, topics, context=self._context, curve=self._curve_for(endpoint))

    async def __aenter__(self) -> Self:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(self.server)
            await stack.enter_async_context(self.publisher)
            self._stack = stack.pop_all()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()

    async def run(self) -> None:
        """Serve RPC requests until cancelled."""
        await self.server.run()

    @property
    def rpc_endpoint(self) -> str:
        """Where the RPC server listens (the bound address once entered)."""
        return self.server.endpoint

    @property
    def pub_endpoint(self) -> str:
        """Where the publisher publishes (the bound address once entered)."""
        return self.publisher.endpoint

    @property
    def endpoints(self) -> str:
        """`rpc=<endpoint> pub=<endpoint>`, for the "ready" log line."""
        return f"rpc={self.rpc_endpoint} pub={self.pub_endpoint}"

    def statistics(self) -> dict[str, Any]:
        return {"rpc": self.server.statistics(), "pub": self.publisher.statistics()}
