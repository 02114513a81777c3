"""Autosave of the current board to `current.json`: debounced after changes, flushed on shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import msgspec

from stompbox.contract.errors import StompboxError

from .state import SessionState
from .storage import CurrentState, Storage, atomic_write

log = logging.getLogger(__name__)

DEBOUNCE = 0.1
"""Seconds to wait after a change before writing, so a burst of knob turns costs one write."""


class Autosaver:
    """`request()` after each change; `run()` writes at most once per DEBOUNCE; `flush()` now."""

    def __init__(self, state: SessionState, storage: Storage, debounce: float = DEBOUNCE) -> None:
        self.state = state
        self.storage = storage
        self.debounce = debounce
        self.extra: list[tuple[str, Callable[[], bytes | None]]] = []
        """Other files written with the board: (file name, encoder returning None if unchanged)."""
        self._dirty = asyncio.Event()
        self.writes = 0
        self.failures = 0

    def request(self) -> None:
        self._dirty.set()

    def snapshot(self) -> list[tuple[str, bytes]]:
        st = self.state
        files = [
            (
                "current.json",
                msgspec.json.encode(CurrentState(pedalboard=st.board, modified=st.modified)),
            )
        ]
        for name, encode in self.extra:
            data = encode()
            if data is not None:
                files.append((name, data))
        return files

    def _write(self, files: list[tuple[str, bytes]]) -> None:
        self.storage.ensure()
        for name, data in files:
            atomic_write(self.storage.data_dir / name, data)

    async def run(self) -> None:
        while True:
            await self._dirty.wait()
            await asyncio.sleep(self.debounce)
            self._dirty.clear()
            data = self.snapshot()  # encoded on the loop: the model never changes mid-encode
            try:
                await asyncio.to_thread(self._write, data)
                self.writes += 1
            except StompboxError as exc:
                self.failures += 1
                log.error("autosave failed: %s", exc.message)

    def flush(self) -> None:
        """Write now if a change is pending (synchronously: used on shutdown)."""
        if not self._dirty.is_set():
            return
        self._dirty.clear()
        try:
            self._write(self.snapshot())
            self.writes += 1
        except StompboxError as exc:
            self.failures += 1
            log.error("autosave on shutdown failed: %s", exc.message)
