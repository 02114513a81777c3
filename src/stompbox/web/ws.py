"""One WebSocket at `/ws`: its send loop (state, then events) and its receive loop (requests).

Client messages are validated (`messages.py`); `set_parameter` goes through a per-socket
Coalescer (one session call in flight per (instance_id, symbol), newer values replace the parked
one); `resync` asks for a fresh state. A bad message gets an error reply (at most
`ERROR_RATE`/s, the rest dropped) and never closes the socket.

Per-socket rate limits keep one client from slowing the others: at most `RESYNC_RATE` fresh
states per second (more `resync`s get a rate-limit error), and at most `CALL_RATE` session calls
per second for parameter changes (a faster client's values are coalesced, newest wins).
"""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.websockets import WebSocket

from stompbox.contract import session_api as S
from stompbox.contract.errors import ResourceError, StompboxError, ValidationError
from stompbox.contract.history import EditParameter, HistoryRequest

from .coalesce import Coalescer, TokenBucket, TooManyKeys
from .hub import Client, Hub
from .messages import (
    ClientMessageError,
    Redo,
    Resync,
    SetParameter,
    Undo,
    decode_client_message,
    encode_error,
    request_of,
)
from .outqueue import Kind
from .relay import SessionLink

log = logging.getLogger(__name__)

SEND_TIMEOUT = 10.0
STATE_RETRY_DELAY = 1.0
ERROR_RATE = 50.0
ERROR_BURST = 100.0
MAX_KEYS_IN_FLIGHT = 64
YIELD_EVERY = 32
RESYNC_RATE = 1.0
RESYNC_BURST = 3.0
CALL_RATE = 120.0
CALL_BURST = 60.0

Key = tuple[str, str]


class _Closed(Exception):
    """The socket is gone: end this socket's task group."""


class SocketSession:
    """Serves one accepted WebSocket until it closes."""

    def __init__(self, ws: WebSocket, hub: Hub, link: SessionLink) -> None:
        self.ws = ws
        self.hub = hub
        self.link = link
        self.client = Client()
        self.coalescer: Coalescer[Key, SetParameter] = Coalescer(MAX_KEYS_IN_FLIGHT)
        loop = asyncio.get_running_loop()
        self._clock = loop.time
        self._errors = TokenBucket(ERROR_RATE, ERROR_BURST, loop.time())
        self._resyncs = TokenBucket(RESYNC_RATE, RESYNC_BURST, loop.time())
        self._calls = TokenBucket(CALL_RATE, CALL_BURST, loop.time())
        self._tg: asyncio.TaskGroup | None = None

    async def run(self) -> None:
        self.hub.register(self.client)
        try:
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                tg.create_task(self._send_loop())
                await self._receive_loop()
                raise _Closed
        except* _Closed:
            pass
        finally:
            self.hub.unregister(self.client)

    # -- outgoing -------------------------------------------------------------------------

    async def _send(self, text: str) -> None:
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                await self.ws.send_text(text)
        except Exception as exc:  # disconnects surface as several types; all mean "gone"
            raise _Closed from exc

    async def _send_loop(self) -> None:
        client = self.client
        while True:
            item = await client.get()
            if item.kind is Kind.EVENT:
                if item.seq <= client.min_seq:
                    continue
                text = item.text
            elif item.kind is Kind.FETCH_STATE:
                client.fetch_queued = False
                try:
                    client.min_seq, text = await self.hub.fetch_state()
                except StompboxError as exc:
                    await self._send(encode_error(exc, {"type": "resync"}))
                    await asyncio.sleep(STATE_RETRY_DELAY)
                    client.request_state()
                    continue
            elif item.kind is Kind.STATE:
                client.min_seq = item.seq
                text = item.text
            else:
                text = item.text
            await self._send(text)
            client.stats["sent"] += 1
            if item.kind is Kind.EVENT:
                self.hub.delivery.append(time.perf_counter() - item.born)

    def _error(self, error: StompboxError, request: object) -> None:
        if self._errors.allow(self._clock()):
            self.client.reply(encode_error(error, request))
        else:
            self.client.stats["errors_dropped"] += 1

    # -- incoming -------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        received = 0
        while True:
            received += 1
            if received % YIELD_EVERY == 0:
                # buffered frames are received without suspending: let the calls and the sender run
                await asyncio.sleep(0)
            frame = await self.ws.receive()
            if frame["type"] == "websocket.disconnect":
                return
            self.client.stats["received"] += 1
            text = frame.get("text")
            try:
                message = decode_client_message(text if text is not None else frame.get("bytes"))
            except ClientMessageError as exc:
                self.client.stats["refused"] += 1
                self._error(exc, exc.request)
                continue
            if isinstance(message, Resync):
                if self._resyncs.allow(self._clock()):
                    self.client.request_state()
                else:
                    self.client.stats["resyncs_limited"] += 1
                    limited = ResourceError(f"at most {RESYNC_RATE:g} resync per second")
                    self._error(limited, {"type": "resync"})
            elif isinstance(message, Undo | Redo):
                assert self._tg is not None
                self._tg.create_task(self._history_call(message))
            else:
                self._set_parameter(message)

    def _set_parameter(self, message: SetParameter) -> None:
        key = (message.instance_id, message.symbol)
        try:
            first = self.coalescer.submit(key, message)
        except TooManyKeys as exc:
            self._error(ValidationError(str(exc)), request_of(message))
            return
        if first is not None:
            assert self._tg is not None
            self._tg.create_task(self._parameter_calls(key, first))

    async def _history_call(self, message: Undo | Redo) -> None:
        """`undo`/`redo`: the outcome reaches every browser as `history_changed`; errors here."""
        method = S.HISTORY_UNDO if isinstance(message, Undo) else S.HISTORY_REDO
        try:
            await self.link.call(method, HistoryRequest(message.client))
        except StompboxError as exc:
            self._error(exc, request_of(message))

    async def _parameter_calls(self, key: Key, message: SetParameter | None) -> None:
        """Send this key's value, then whatever newer value was parked meanwhile, until idle."""
        while message is not None:
            while not self._calls.allow(self._clock()):
                self.client.stats["calls_paced"] += 1
                # until the next token, not a whole 1/CALL_RATE: newer values park meanwhile
                await asyncio.sleep(self._calls.wait(self._clock()))
            params = EditParameter(
                key[0], key[1], message.value, client=message.client, gesture=message.gesture
            )
            try:
                await self.link.call(S.SET_PARAMETER, params)
            except StompboxError as exc:
                self._error(exc, request_of(message))
            message = self.coalescer.done(key)
