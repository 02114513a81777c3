"""A knob turn whose outcome is unknown is followed by the model's value, so the engine ends on it.

The rule: the model is the truth. When the engine does not answer a `set_parameter` in time
(stalled; the client was told `timeout`, the model kept its value), the request stays in flight
on the bridge's one ordered engine connection and the engine may still apply it later. So the
session sends the model's value for that control again, under the session lock, on the same
ordered path: whatever the engine does with the late request, this one comes after it. It is
sent again (backing off) while it times out too, and dropped when a newer change of that
control was sent meanwhile (that one's outcome decides), when the plugin is gone, or when the
engine connection is lost (the replay after the reconnect brings the whole board back).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from stompbox.contract.errors import StompboxError, StompboxTimeoutError
from stompbox.contract.stats import ReasserterStatistics

from .plugin_manager import PluginManager

log = logging.getLogger(__name__)

Key = tuple[str, str]
RETRY_MIN = 0.5
RETRY_MAX = 5.0


class Reasserter:
    """Counts the sets sent per control; `unknown(key, n)` after set `n` of `key` timed out."""

    def __init__(
        self,
        plugins: PluginManager,
        mutation: Callable[[], AbstractAsyncContextManager[None]],
    ) -> None:
        self.plugins = plugins
        self.mutation = mutation
        self._sent: dict[Key, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.reasserted = 0

    def count(self, key: Key) -> int:
        """How many sets of `key` left so far."""
        return self._sent.get(key, 0)

    def sent(self, key: Key) -> int:
        """Record one more set of `key` leaving for the bridge (call under the lock)."""
        n = self._sent[key] = self._sent.get(key, 0) + 1
        return n

    def unknown(self, key: Key, n: int) -> None:
        """Set `n` of `key` timed out (or its caller gave up): send the model's value again."""
        if self._sent.get(key) != n:
            return  # a newer set of this control left after it: that one decides
        # a fresh context: not bound by the deadline of the request that timed out
        task = asyncio.get_running_loop().create_task(
            self._reassert(key, n), context=contextvars.Context()
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reassert(self, key: Key, n: int) -> None:
        iid, symbol = key
        delay = RETRY_MIN
        while True:
            try:
                async with self.mutation():
                    plugin = self.plugins.state.find(iid)
                    value = plugin.parameters.get(symbol) if plugin is not None else None
                    if self._sent.get(key) != n or value is None:
                        return
                    n = self.sent(key)
                    sent = asyncio.ensure_future(self.plugins.set_parameter(iid, symbol, value))
                await sent
            except StompboxTimeoutError:
                await asyncio.sleep(delay)  # still stalled: this one is in flight too; again
                delay = min(delay * 2, RETRY_MAX)
                continue
            except StompboxError as exc:  # gone, or no engine: the replay takes over
                log.info("re-asserting %s:%s after a timeout stopped: %s", iid, symbol, exc)
                return
            self.reasserted += 1
            log.warning(
                "%s:%s: the engine did not answer in time; the model's %g was sent again",
                iid,
                symbol,
                value,
            )
            return

    @contextlib.asynccontextmanager
    async def watch(self, key: Key, n: int) -> AsyncIterator[None]:
        """Around awaiting set `n`: a timeout or a cancel (the caller's deadline) leaves its
        outcome unknown."""
        try:
            yield
        except (StompboxTimeoutError, asyncio.CancelledError):
            self.unknown(key, n)
            raise

    async def drain(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def statistics(self) -> ReasserterStatistics:
        return ReasserterStatistics(self.reasserted, len(self._tasks))
