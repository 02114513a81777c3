"""Events over PUB/SUB: a Publisher numbering every event, a Subscriber decoding them in order.

Slow joiners: PUB/SUB delivers only what is published after a subscriber's subscription reached
the publisher, and a subscriber that falls HWM messages behind loses events. So a subscriber
(re)joins by first starting its Subscriber, then calling the service's `state` method (full state
plus the last `seq`), then applying only events whose `seq` is greater than that; a gap in `seq`
(see `Subscriber.statistics()["missed"]`) means: call `state` again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self

import msgspec
import zmq
import zmq.asyncio
from zmq.utils.monitor import parse_monitor_message

from stompbox.contract.errors import (
    StompboxConnectionError,
    StompboxError,
    StompboxTimeoutError,
    ValidationError,
)
from stompbox.contract.events import event_data, event_name
from stompbox.contract.rpc import Event, decode_event, encode, now_iso

from .curve import CurveGate, CurveKeys, secure_client, uses_curve
from .endpoints import check_endpoint
from .sockets import bind_server, close_server, open_monitor
from .translate import zmq_errors

log = logging.getLogger(__name__)

PUB_HWM = 100_000


class Publisher:
    """Publish events on a PUB socket bound to `endpoint`; topic frame = event name.

    `publish` is synchronous and never blocks: libzmq drops messages for a subscriber that is
    `PUB_HWM` messages behind (the subscriber sees the gap in `seq`); send failures are counted
    as `dropped` in statistics().

    With `curve` keys and a tcp endpoint only authorized CURVE clients may subscribe (the
    socket then lives in its own ZAP-handling context, see curve.py); ipc ignores `curve`.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        seq: int = 0,
        context: zmq.asyncio.Context | None = None,
        curve: CurveKeys | None = None,
    ) -> None:
        self.endpoint = check_endpoint(endpoint)
        self.curve = uses_curve(self.endpoint, curve)
        self._gate: CurveGate | None = None
        self._seq = seq
        self._context = context
        self._socket: zmq.Socket[bytes] | None = None
        self._stats: Counter[str] = Counter()

    @property
    def seq(self) -> int:
        """The seq of the last event published (0 before the first)."""
        return self._seq

    async def __aenter__(self) -> Self:
        self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        if self._socket is not None:
            raise RuntimeError("Publisher is already open")
        # A plain (synchronous) socket: PUB sends never block, so publish() needs no await.
        self._socket, self._gate, self.endpoint = bind_server(
            self.endpoint,
            lambda context: zmq.Socket(context, zmq.PUB),
            {zmq.SNDHWM: PUB_HWM},
            context=self._context or zmq.asyncio.Context.instance(),
            curve=self.curve,
            what=f"bind {self.endpoint}",
        )

    def close(self) -> None:
        close_server(self._socket, self._gate)
        self._socket, self._gate = None, None

    def publish_event(self, event: msgspec.Struct) -> Event:
        """Publish a typed event (contract/events.py): topic = its tag, data = its fields."""
        return self.publish(event_name(event), event)

    def publish(self, event: str, data: dict[str, Any] | msgspec.Struct | None = None) -> Event:
        """Number, timestamp and send one event; return it. Never blocks. A Struct's tag (a
        typed event's name) is not repeated inside `data`."""
        if not event:
            raise ValidationError("event name must not be empty")
        if isinstance(data, msgspec.Struct):
            data = event_data(data)
        body = {} if data is None else msgspec.to_builtins(data)
        if not isinstance(body, dict):
            raise ValidationError(f"data of event {event} must be a mapping or a Struct")
        self._seq += 1
        message = Event(event=event, seq=self._seq, timestamp=now_iso(), data=body)
        sock = self._socket
        if sock is None:
            self._stats["dropped"] += 1
            return message
        try:
            sock.send_multipart([event.encode(), encode(message)], flags=zmq.NOBLOCK)
            self._stats["published"] += 1
        except zmq.ZMQError as exc:
            self._stats["dropped"] += 1
            log.warning("publisher %s dropped %s #%d: %s", self.endpoint, event, self._seq, exc)
        return message

    def statistics(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "seq": self._seq, **dict(self._stats)}


class Subscriber:
    """Receive events from the Publisher at `endpoint`, only `topics` (exact names; all if empty).

    `async with sub:` connects; `async for event in sub:` yields `contract.rpc.Event`s in order,
    skipping malformed messages (counted). See the module docstring for joining correctly.
    With `curve` keys and a tcp endpoint it connects as a CURVE client (ipc ignores `curve`).
    """

    def __init__(
        self,
        endpoint: str,
        topics: Iterable[str] = (),
        *,
        context: zmq.asyncio.Context | None = None,
        curve: CurveKeys | None = None,
    ) -> None:
        self.endpoint = check_endpoint(endpoint)
        self.curve = uses_curve(self.endpoint, curve)
        self.topics = frozenset(topics)
        self._context = context
        self._socket: zmq.asyncio.Socket | None = None
        self._monitor: zmq.asyncio.Socket | None = None
        self._last_seq = 0
        self._stats: Counter[str] = Counter()

    @property
    def last_seq(self) -> int:
        """The seq of the last event received (0 before the first)."""
        return self._last_seq

    async def __aenter__(self) -> Self:
        if self._socket is not None:
            raise RuntimeError("Subscriber is already open")
        context = self._context or zmq.asyncio.Context.instance()
        with zmq_errors(f"connect {self.endpoint}"):
            sock = context.socket(zmq.SUB)
            try:
                sock.setsockopt(zmq.LINGER, 0)
                sock.setsockopt(zmq.RCVHWM, PUB_HWM)
                sock.setsockopt(zmq.RECONNECT_IVL, 100)
                sock.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
                if self.curve is not None:
                    secure_client(sock, self.curve)
                for topic in self.topics or {""}:
                    sock.setsockopt(zmq.SUBSCRIBE, topic.encode())
                self._monitor = open_monitor(sock, zmq.EVENT_HANDSHAKE_SUCCEEDED)
                sock.connect(self.endpoint)
            except BaseException:
                sock.close(linger=0)
                raise
        self._socket = sock
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._close_monitor()
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None

    def _close_monitor(self) -> None:
        if self._monitor is not None:
            if self._socket is not None:
                with contextlib.suppress(zmq.ZMQError):
                    self._socket.disable_monitor()
            self._monitor.close(linger=0)
            self._monitor = None

    async def wait_connected(self, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        """Wait until the connection to the publisher is up (StompboxTimeoutError if not).

        Events published in the short moment before the subscription reaches the publisher may
        still be missed; that is why joiners call `state` afterwards.
        """
        monitor = self._monitor
        if monitor is None:
            return  # already connected once
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = parse_monitor_message(await monitor.recv_multipart())
                    if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                        break
        except TimeoutError:
            raise StompboxTimeoutError(
                f"no connection to publisher {self.endpoint} within {timeout:g}s"
            ) from None
        except zmq.ZMQError as exc:
            raise StompboxTimeoutError(f"publisher {self.endpoint}: {exc}") from exc
        self._close_monitor()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Event:
        if self._socket is None:
            raise StopAsyncIteration
        return await self.receive()

    async def receive(self) -> Event:
        """The next well-formed event of a subscribed topic (StompboxConnectionError if closed)."""
        while True:
            sock = self._socket
            if sock is None:
                raise StompboxConnectionError(f"subscriber of {self.endpoint} is closed")
            with zmq_errors(f"receive from {self.endpoint}"):
                frames = await sock.recv_multipart()
            event = self._decode(frames)
            if event is not None:
                return event

    def _decode(self, frames: list[bytes]) -> Event | None:
        if len(frames) != 2:
            self._stats["malformed"] += 1
            return None
        try:
            event = decode_event(frames[1])
        except StompboxError:
            self._stats["malformed"] += 1
            return None
        if event.event.encode() != frames[0] or (self.topics and event.event not in self.topics):
            self._stats["filtered" if event.event.encode() == frames[0] else "malformed"] += 1
            return None
        self._stats["received"] += 1
        if not self.topics and self._last_seq and event.seq > self._last_seq + 1:
            self._stats["missed"] += event.seq - self._last_seq - 1
        elif event.seq <= self._last_seq:
            self._stats["restarts"] += 1  # the publisher restarted, numbering from 1 again
        self._last_seq = event.seq
        return event

    def statistics(self) -> dict[str, Any]:
        """Counters: received, missed (seq gaps; all-topics only), malformed, filtered, restarts."""
        return {"endpoint": self.endpoint, "last_seq": self._last_seq, **dict(self._stats)}
