"""Transactions of graph changes: discovered per engine connection, plain commands without them.

The embedded engine answers `transaction_begin`/`transaction_commit` (every graph change in
between is swapped in at one cycle boundary); a real mod-host answers `not found`. `probe()` runs
once per connection (begin then commit: an empty transaction changes nothing) and caches the
answer until `reset()`. `begin()`/`commit()` then send the commands only where the engine has
them, so callers wrap a burst the same way on both. A transaction left open (its caller vanished)
is committed after `LIMIT` seconds, so the engine never stays frozen on an old plan.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from stompbox.contract.errors import EngineError, StompboxError
from stompbox.modhost import commands as mh
from stompbox.modhost.errors import ErrorCode

from .engine_client import EngineClient

log = logging.getLogger(__name__)

LIMIT = 60.0
"""Seconds after the last begin() until open transactions are committed anyway."""


class Transactions:
    """Begin/commit bookkeeping for one EngineClient; see the module doc."""

    def __init__(self, engine: EngineClient) -> None:
        self.engine = engine
        self.supported: bool | None = None  # None: not probed on this connection yet
        self.open = 0
        self.committed = 0
        self._expiry: asyncio.TimerHandle | None = None

    async def probe(self) -> bool:
        """Ask the engine (once per connection) whether it takes transactions."""
        if self.supported is None:
            try:
                await self.engine.request(mh.TransactionBegin())
            except EngineError as exc:
                data = exc.data if isinstance(exc.data, dict) else {}
                if data.get("engine_code") != ErrorCode.INVALID_OPERATION:
                    raise
                self.supported = False
            else:
                await self.engine.request(mh.TransactionCommit())
                self.supported = True
            log.info("engine transactions: %s", "yes" if self.supported else "no (plain commands)")
        return self.supported

    def reset(self) -> None:
        """A new (or no) engine connection: forget the answer and every open transaction."""
        self.supported = None
        self.open = 0
        self._cancel_expiry()

    async def begin(self) -> bool:
        """Open a transaction (nested ones count); False when the engine has none."""
        if not await self.probe():
            return False
        await self.engine.request(mh.TransactionBegin())
        self.open += 1
        self._cancel_expiry()
        self._expiry = asyncio.get_running_loop().call_later(LIMIT, self._expire)
        return True

    async def commit(self) -> None:
        """Close the innermost open transaction (nothing when none is open)."""
        if self.open == 0:
            return
        self.open -= 1
        if self.open == 0:
            self._cancel_expiry()
        await self.engine.request(mh.TransactionCommit())
        self.committed += 1

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[bool]:
        """`async with t.batch():` the commands inside reach the audio at one cycle boundary.

        A begin or commit that fails (the engine went away) is logged, not raised: the commands
        inside report their own outcomes."""
        try:
            began = await self.begin()
        except StompboxError as exc:
            log.warning("transaction_begin failed, sending plain commands: %s", exc)
            began = False
        try:
            yield began
        finally:
            if began:
                try:
                    await self.commit()
                except StompboxError as exc:
                    log.warning("transaction_commit failed: %s", exc)

    def _expire(self) -> None:
        self._expiry = None
        if self.open:
            log.warning("%d engine transaction(s) open for %g s: committing them", self.open, LIMIT)
        while self.open:
            self.open -= 1
            if self.engine.connected:
                self.engine.send_nowait(mh.TransactionCommit())

    def _cancel_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
