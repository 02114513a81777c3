"""A structural change whose outcome is unknown is followed by the model's state of that item.

The rule of uncertain.py (the model is the truth), for what is not a knob turn: a bypass, a
cable drawn or removed, a preset load. When the engine does not answer one in time (stalled;
the client was told `timeout`, the model kept its state), the request stays in flight on the
bridge's one ordered engine connection and the engine may still apply it later. So the session
sends the model's state of that item again, under the session lock (awaited under it, so no
newer change overtakes it), on the same ordered path:
the plugin's bypass as the model has it; the cable connected if the model has it, else
disconnected; for a preset load, the model's value of every control of that plugin (the ones
no newer knob turn was sent for since). It is sent again (backing off) while it times out too,
and dropped when a newer change of that item was sent meanwhile (that one's outcome decides),
when the plugin is gone, or when the engine connection is lost (the replay after the reconnect
brings the whole board back).

A preset's own plugin state (files, internal data the plugin restores with it) is not in the
model: a late preset load leaves it in the plugin, with the model's control values on top.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from stompbox.contract.errors import StompboxError, StompboxTimeoutError
from stompbox.contract.model import Connection
from stompbox.contract.stats import ReasserterStatistics

if TYPE_CHECKING:
    from .state import SessionState
    from .uncertain import Reasserter

log = logging.getLogger(__name__)

Item = tuple[str, ...]
"""("bypass", iid) · ("cable", source, target) · ("values", iid)"""
RETRY_MIN = 0.5
RETRY_MAX = 5.0


def bypass_item(instance_id: str) -> Item:
    return ("bypass", instance_id)


def cable_item(source: str, target: str) -> Item:
    return ("cable", source, target)


def values_item(instance_id: str) -> Item:
    return ("values", instance_id)


class NoDoubt:
    """What the services use until the session manager puts a `Doubts` in place (tests)."""

    @contextlib.asynccontextmanager
    async def request(self, item: Item) -> AsyncIterator[None]:
        yield


class Doubts:
    """Counts the structural requests sent per item; a timed-out one is followed up."""

    def __init__(
        self,
        state: SessionState,
        knobs: Reasserter,
        mutation: Callable[[], AbstractAsyncContextManager[None]],
    ) -> None:
        self.state = state
        self.knobs = knobs
        self.mutation = mutation
        self._sent: dict[Item, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.reasserted = 0

    def sent(self, item: Item) -> int:
        """Record one more request of `item` leaving for the bridge (call under the lock)."""
        n = self._sent[item] = self._sent.get(item, 0) + 1
        return n

    @contextlib.asynccontextmanager
    async def request(self, item: Item) -> AsyncIterator[None]:
        """Around sending and awaiting one request of `item` (under the lock): a timeout or a
        cancel (the caller's deadline) leaves its outcome unknown."""
        n = self.sent(item)
        try:
            yield
        except (StompboxTimeoutError, asyncio.CancelledError):
            self.unknown(item, n)
            raise

    def unknown(self, item: Item, n: int) -> None:
        """Request `n` of `item` timed out: send the model's state of it again."""
        if self._sent.get(item) != n:
            return  # a newer request of this item left after it: that one decides
        knobs: dict[str, int] = {}
        if item[0] == "values":
            plugin = self.state.find(item[1])
            symbols = plugin.parameters if plugin is not None else {}
            knobs = {s: self.knobs.count((item[1], s)) for s in symbols}
        # a fresh context: not bound by the deadline of the request that timed out
        task = asyncio.get_running_loop().create_task(
            self._reassert(item, n, knobs), context=contextvars.Context()
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reassert(self, item: Item, n: int, knobs: dict[str, int]) -> None:
        delay = RETRY_MIN
        while True:
            try:
                async with self.mutation():
                    if self._sent.get(item) != n or not self.state.engine_connected:
                        return
                    sent = self._send(item, knobs)
                    if sent is None:
                        return
                    n = self.sent(item)
                    await sent  # under the lock: nothing newer of this item overtakes it
            except StompboxTimeoutError:
                await asyncio.sleep(delay)  # still stalled: this one is in flight too; again
                delay = min(delay * 2, RETRY_MAX)
                continue
            except StompboxError as exc:  # gone, or no engine: the replay takes over
                log.info("re-asserting %s after a timeout stopped: %s", "/".join(item), exc)
                return
            self.reasserted += 1
            log.warning(
                "%s: the engine did not answer in time; the model's state was sent again",
                "/".join(item),
            )
            return

    def _send(self, item: Item, knobs: dict[str, int]) -> Awaitable[None] | None:
        """The request that brings the engine to the model's state of `item` (None: nothing
        to do). Called and awaited under the lock."""
        st = self.state
        kind = item[0]
        if kind == "bypass":
            plugin = st.find(item[1])
            return None if plugin is None else self._bypass(item[1], not plugin.enabled)
        if kind == "cable":
            return self._cable(item[1], item[2])
        if kind == "values":
            return self._values(item[1], knobs)
        return None

    async def _bypass(self, instance_id: str, bypassed: bool) -> None:
        st = self.state
        await st.bridge.bypass(instance_id, bypassed)
        engine = st.engine.instances.get(instance_id)
        if engine is not None:
            engine.bypassed = bypassed
        log.info("%s: bypass %s sent again", instance_id, bypassed)

    def _cable(self, source: str, target: str) -> Awaitable[None] | None:
        st = self.state
        board = st.board
        if board is None:
            return None
        wanted = Connection(source, target) in board.connections
        if wanted and st.outputs_held and target.startswith("system:playback_"):
            return None  # the tuner holds it off; it brings it back when it lets go
        return self._connect(source, target) if wanted else self._disconnect(source, target)

    async def _connect(self, source: str, target: str) -> None:
        await self.state.bridge.connect(source, target)
        self.state.engine.connections.add((source, target))

    async def _disconnect(self, source: str, target: str) -> None:
        await self.state.bridge.disconnect(source, target)
        self.state.engine.connections.discard((source, target))

    def _values(self, instance_id: str, knobs: dict[str, int]) -> Awaitable[None] | None:
        st = self.state
        plugin = st.find(instance_id)
        if plugin is None:
            return None
        send: list[tuple[str, float]] = []
        for symbol, value in plugin.parameters.items():
            key = (instance_id, symbol)
            if self.knobs.count(key) != knobs.get(symbol, 0):
                continue  # a newer turn of this knob left after the preset: it decides
            knobs[symbol] = self.knobs.sent(key)  # supersedes an older knob re-assert
            send.append((symbol, value))
        return self._set_values(instance_id, send) if send else None

    async def _set_values(self, instance_id: str, values: list[tuple[str, float]]) -> None:
        st = self.state
        results = await asyncio.gather(
            *(st.bridge.set_parameter(instance_id, s, v) for s, v in values),
            return_exceptions=True,
        )
        for r in results:
            if isinstance(r, BaseException) and not isinstance(r, StompboxError):
                raise r
        errors = [r for r in results if isinstance(r, StompboxError)]
        engine = st.engine.instances.get(instance_id)
        for (symbol, _), result in zip(values, results, strict=True):
            if engine is not None and isinstance(result, float):
                engine.parameters[symbol] = result
        timeouts = [e for e in errors if isinstance(e, StompboxTimeoutError)]
        if errors:
            raise (timeouts or errors)[0]

    async def drain(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def statistics(self) -> ReasserterStatistics:
        return ReasserterStatistics(self.reasserted, len(self._tasks))
