"""Quarantine: plugins that crashed the engine twice are hosted in their own jalv from then on.

The C core appends the URI of the plugin it was running (or instantiating) when a fatal signal
came to `<cache dir>/engine-crashes`; the next engine reads the file. The record survives
restarts; deleting the file lifts every quarantine.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

CRASHES_TO_ISOLATE = 2
FILE_NAME = "engine-crashes"
MAX_RECORD = 1 << 20  # bytes read of the record


class Quarantine:
    """Which URIs crashed how often; `open()` gives the C core the file to append to."""

    def __init__(self, cache_dir: Path) -> None:
        self.path = cache_dir / FILE_NAME
        self.crashes: collections.Counter[str] = collections.Counter()
        self._fd: int | None = None
        try:
            with self.path.open("rb") as fh:
                text = fh.read(MAX_RECORD).decode(errors="replace")
        except OSError:
            text = ""
        self.crashes.update(line.strip() for line in text.splitlines() if line.strip())
        for uri in self.isolated():
            log.warning("%s crashed the engine %d times: isolated", uri, self.crashes[uri])

    def isolated(self) -> set[str]:
        return {uri for uri, n in self.crashes.items() if n >= CRASHES_TO_ISOLATE}

    def is_isolated(self, uri: str) -> bool:
        return self.crashes.get(uri, 0) >= CRASHES_TO_ISOLATE

    def open(self) -> int | None:
        """The record's file descriptor (append), or None when it cannot be opened."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            log.warning("no crash record (%s): quarantine is off", exc)
            return None
        return self._fd

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
