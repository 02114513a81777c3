"""Autosave of the current board to `current.json`: debounced after changes, durable before an
acknowledgement, retried after a failure, flushed on shutdown.

Durability is "ack after autosave" with group commit: a request handler that changed the board
awaits `settled()` before its reply leaves, which skips the debounce and waits for the write that
contains the change; every change made meanwhile rides along in the same write. So an
acknowledged change survives kill -9 of the session, or of any process: a reply waits for the
atomic rename of the written files (their data is in the kernel then), not for the disk; the
fsyncs that make them survive a power cut follow at once, off the reply's path (on this
machine's disk they cost milliseconds per knob turn). A failed write (disk full, read-only) does
not hold replies back: it is reported (`failing`, a `session_warning` event) and retried with
backoff until it succeeds, and once more at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import msgspec

from stompbox.contract.errors import StompboxError

from .state import SessionState
from .storage import CurrentState, Storage, atomic_write, sync_file
from .wal import ValueLog

log = logging.getLogger(__name__)

DEBOUNCE = 0.1
"""Seconds to wait after a change before writing, so a burst of changes costs one write."""
LOGGED_DEBOUNCE = 2.0
"""Seconds to wait instead when every change since the last write is in the value log (knob
turns): a gesture then costs one write of the board every 2 s, not ten a second, each with
its fsyncs (an SD card's wear, a core's share under a knob flood)."""
RETRY_MIN = 0.5
RETRY_MAX = 10.0
SETTLE_TIMEOUT = 5.0
"""At most this long a reply waits for its autosave (a stuck disk must not stall the stack)."""


class Autosaver:
    """`request()` after each change; `run()` writes; `settled()` waits for the write of every
    change requested so far; `flush()` writes now (shutdown)."""

    def __init__(
        self,
        state: SessionState,
        storage: Storage,
        debounce: float = DEBOUNCE,
        on_failure: Callable[[str], None] | None = None,
        logged_debounce: float = LOGGED_DEBOUNCE,
    ) -> None:
        self.state = state
        self.storage = storage
        self.debounce = debounce
        self.logged_debounce = max(debounce, logged_debounce)
        self.on_failure = on_failure
        self.extra: list[tuple[str, Callable[[], bytes | None]]] = []
        """Other files written with the board: (file name, encoder returning None if unchanged)."""
        self._dirty = asyncio.Event()
        self._unlogged = asyncio.Event()  # a change not in the value log is waiting
        self._check_scheduled = False
        self._urgent = asyncio.Event()
        self._written = asyncio.Condition()
        self._unsynced = asyncio.Event()
        self._written_files: list[tuple[str, bytes]] = []
        self.requested = 0  # generation of the newest change
        self.saved = 0  # generation contained in the last successful write
        self.attempted = 0  # generation of the last write attempt (successful or not)
        self.values = ValueLog(storage.data_dir)
        self.logged = 0  # every change up to this generation is in current.json or the log
        self.writes = 0
        self.failures = 0
        self.failing = ""  # the last error while writes fail; "" once one succeeds
        self.aside = False  # a change no reply waits for is not written yet (request_aside)

    def request(self) -> None:
        self.requested += 1
        self._dirty.set()
        if not self._check_scheduled:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # (no loop: flush-only use, as at shutdown and in tests)
                return
            self._check_scheduled = True
            loop.call_soon(self._check_logged)

    def _check_logged(self) -> None:
        """After the step that made a change: was it written ahead (a knob turn logs its value
        right after requesting)? If not, a long wait for the snapshot is cut short."""
        self._check_scheduled = False
        if self.logged < self.requested:
            self._unlogged.set()

    def request_aside(self) -> None:
        """A change for the next write that no reply waits for (`settled` ignores it)."""
        self.aside = True
        self._dirty.set()

    def log_value(self, instance_id: str, symbol: str, value: float) -> None:
        """A parameter value just changed (the newest generation): write it ahead in the value
        log, so a reply to it need not wait for current.json — if every older change is durable
        already; else its reply waits for the write as any other."""
        generation = self.requested
        if max(self.saved, self.logged) >= generation - 1 and self.values.append(
            instance_id, symbol, value
        ):
            self.logged = generation

    def snapshot(self) -> list[tuple[str, bytes]]:
        st = self.state
        files = [
            (
                "current.json",
                msgspec.json.encode(
                    CurrentState(pedalboard=st.board, modified=st.modified, log_seq=self.values.seq)
                ),
            )
        ]
        for name, encode in self.extra:
            data = encode()
            if data is not None:
                files.append((name, data))
        return files

    def _write(self, files: list[tuple[str, bytes]], sync: bool = True) -> None:
        self.storage.ensure()
        for name, data in files:
            atomic_write(self.storage.data_dir / name, data, sync=sync)

    def _sync(self, files: list[tuple[str, bytes]]) -> None:
        for name, _ in files:
            sync_file(self.storage.data_dir / name)

    async def settled(self) -> None:
        """Return once every change requested before this call is written (or its write was
        tried and failed: then the failure is reported and retried in the background)."""
        target = self.requested
        if max(self.saved, self.logged) >= target:
            return  # written, or written ahead in the value log
        if self.attempted >= target or self.failing:
            return  # nothing to wait for, or writes fail now: replies must not stall on them
        self._urgent.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SETTLE_TIMEOUT), self._written:
                await self._written.wait_for(lambda: self.attempted >= target)

    async def _pause(self, seconds: float, also: asyncio.Event | None = None) -> None:
        """Sleep up to `seconds`, cut short when a reply waits for the write (or `also`)."""
        events = [e for e in (self._urgent, also) if e is not None]
        if any(e.is_set() for e in events):
            return
        waits = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    async def run(self) -> None:
        """Write changes (replies wait for these) and, beside it, sync them to the disk."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._sync_loop(), name="autosave sync")
            await self._write_loop()

    async def _sync_loop(self) -> None:
        """fsync what was written, coalescing: one sync covers every write made during it."""
        while True:
            await self._unsynced.wait()
            self._unsynced.clear()
            files = self._written_files
            with contextlib.suppress(StompboxError):  # a failing disk fails the next write
                await asyncio.to_thread(self._sync, files)

    async def _write_loop(self) -> None:
        retry = RETRY_MIN
        while True:
            await self._dirty.wait()
            await self._pause(self.debounce)
            if self.logged >= self.requested and not self._unlogged.is_set():
                # only logged values (and aside changes) are waiting: they can wait longer
                await self._pause(self.logged_debounce - self.debounce, self._unlogged)
            self._unlogged.clear()
            self._dirty.clear()
            self._urgent.clear()
            generation = self.requested
            data = self.snapshot()  # encoded on the loop: the model never changes mid-encode
            log_size = self.values.size  # the value log up to here is in this snapshot
            self.aside = False
            try:
                await asyncio.to_thread(self._write, data, False)
            except StompboxError as exc:
                self.aside = True
                self._failed(exc.message)
                self._dirty.set()  # keep it pending: retried below, and by flush() at shutdown
                await self._done(generation)
                await asyncio.sleep(retry)
                retry = min(retry * 2, RETRY_MAX)
                continue
            retry = RETRY_MIN
            self.writes += 1
            self.saved = max(self.saved, generation)
            self.values.cut(log_size)
            if self.failing:
                log.info("autosave works again")
            self.failing = ""
            await self._done(generation)  # replies leave now; the disk catches up beside
            self._written_files = data
            self._unsynced.set()

    async def _done(self, generation: int) -> None:
        async with self._written:
            self.attempted = max(self.attempted, generation)
            self._written.notify_all()

    def _failed(self, message: str) -> None:
        self.failures += 1
        first = not self.failing
        self.failing = message
        log.error("autosave failed (will retry): %s", message)
        if first and self.on_failure is not None:
            self.on_failure(message)

    @property
    def pending(self) -> bool:
        return self.saved < self.requested or self.aside

    def flush(self) -> None:
        """Write now if a change is not saved yet (synchronously: used on shutdown)."""
        if not self.pending:
            return
        self._dirty.clear()
        generation = self.requested
        log_size = self.values.size
        try:
            self._write(self.snapshot())
            self.aside = False
        except StompboxError as exc:
            self.failures += 1
            self.failing = exc.message
            log.error("autosave on shutdown failed: %s", exc.message)
            return
        self.writes += 1
        self.saved = generation
        self.attempted = max(self.attempted, generation)
        self.values.cut(log_size)
