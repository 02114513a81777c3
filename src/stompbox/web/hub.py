"""The WebSocket hub: one Subscriber to the session's events fanned out to every socket's queue.

Each socket has a bounded queue of outgoing texts. An event is encoded once and offered to every
queue without waiting; a newer value of a control whose older value is still queued replaces it
in place (the rule is in outqueue.py), so a slow socket's queue holds about one item per control
and gets the newest values; a queue that is still full (a backlog of structural events) is
emptied and told to fetch a fresh `state` instead. A gap in the events' `seq` (or the session
restarting its numbering) makes every socket fetch a fresh state. A socket skips events already
contained in the last state it sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque

import msgspec

from stompbox.contract import session_api as S
from stompbox.contract.params import Empty
from stompbox.contract.stats import Delivery, HubStatistics
from stompbox.zmqservice.pubsub import Subscriber

from .messages import encode_event, encode_state
from .outqueue import Kind, Outgoing, OutQueue, coalescing_key
from .relay import SessionLink

log = logging.getLogger(__name__)

QUEUE_SIZE = 1024
DELIVERY_SAMPLES = 8192
STATE_TIMEOUT = 10.0


class _Seq(msgspec.Struct):
    seq: int = 0


_seq_decoder = msgspec.json.Decoder(_Seq)

_FETCH = Outgoing(Kind.FETCH_STATE)


class Client:
    """The hub's side of one socket: its bounded, coalescing queue (outqueue.py) and the seq
    its last state covered."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self.out = OutQueue(queue_size)
        self._ready = asyncio.Event()
        self.min_seq = 0
        self.fetch_queued = False
        self.stats: Counter[str] = Counter()

    def _push(self, item: Outgoing) -> bool:
        coalesced = self.out.coalesced
        if not self.out.push(item):
            return False
        if self.out.coalesced != coalesced:
            self.stats["coalesced"] += 1
        self._ready.set()
        return True

    async def get(self) -> Outgoing:
        """The next item to write, waiting for one."""
        while not self.out:
            self._ready.clear()
            await self._ready.wait()
        return self.out.pop()

    def offer(self, item: Outgoing) -> None:
        """Queue an event without waiting (a value replaces its still queued older value); on
        overflow drop the backlog for a fresh state."""
        if not self._push(item):
            self.stats["overflows"] += 1
            self.out.clear()
            self.fetch_queued = False
            self.request_state()

    def request_state(self) -> None:
        """Send a fresh state soon (once: requests while one is queued are merged)."""
        if self.fetch_queued:
            return
        self.fetch_queued = True
        if not self._push(_FETCH):
            self.out.clear()
            self._push(_FETCH)

    def reply(self, text: str) -> None:
        """Queue a reply to this client's own message; dropped (counted) if the queue is full."""
        if not self._push(Outgoing(Kind.REPLY, 0, text)):
            self.stats["replies_dropped"] += 1


class Hub:
    """Relays session events to every registered Client. `run()` pumps until cancelled."""

    def __init__(self, link: SessionLink, subscriber: Subscriber) -> None:
        self.link = link
        self.subscriber = subscriber
        self.clients: set[Client] = set()
        self.last_seq = 0
        self.delivery: deque[float] = deque(maxlen=DELIVERY_SAMPLES)
        """seconds from the hub receiving an event to its text written to a socket"""
        self._stats: Counter[str] = Counter()

    def register(self, client: Client) -> None:
        """Add a socket; it receives a fresh state first, then the events after it."""
        self.clients.add(client)
        client.request_state()

    def unregister(self, client: Client) -> None:
        self.clients.discard(client)
        self._stats.update(client.stats)

    async def run(self) -> None:
        async for event in self.subscriber:
            if self.last_seq and event.seq != self.last_seq + 1:
                self._stats["resyncs"] += 1
                log.info("event seq %d after %d: resync every socket", event.seq, self.last_seq)
                for client in self.clients:
                    client.request_state()
            self.last_seq = event.seq
            self._stats["events"] += 1
            if not self.clients:
                continue
            born = time.perf_counter()
            key = coalescing_key(event.event, event.data)
            item = Outgoing(Kind.EVENT, event.seq, encode_event(event), born, key)
            for client in self.clients:
                client.offer(item)

    async def fetch_state(self) -> tuple[int, str]:
        """(seq, encoded state message) from the session."""
        raw = await self.link.rpc.call_raw(S.STATE, Empty(), timeout=STATE_TIMEOUT)
        seq = _seq_decoder.decode(raw).seq  # the state itself is relayed as the session sent it
        self._stats["states"] += 1
        return seq, encode_state(raw)

    def statistics(self) -> HubStatistics:
        totals = Counter(self._stats)
        for client in self.clients:
            totals.update(client.stats)
        samples = sorted(self.delivery)

        def ms(q: float) -> float | None:
            return round(samples[int(q * (len(samples) - 1))] * 1000, 3) if samples else None

        return HubStatistics(
            clients=len(self.clients),
            last_seq=self.last_seq,
            delivery_ms=Delivery(len(samples), ms(0.5), ms(0.99)),
            subscriber=self.subscriber.statistics(),
            **totals,
        )
