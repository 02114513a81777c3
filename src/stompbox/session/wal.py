"""The value log: knob turns written ahead of the autosave, so their replies need not wait for it.

A parameter change the session acknowledges is appended to `current.wal` in the data dir (one
JSON line `[seq, instance_id, symbol, value]`, one `write()` to an O_APPEND file: in the kernel,
so it survives kill -9 of any process) before its reply leaves. `current.json`, written in the
background, records the last `seq` it covers; once nothing newer was logged the log is emptied.
At start the session applies the entries newer than what `current.json` covers. Structural
changes still wait for `current.json` itself (autosave.py).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from pathlib import Path

import msgspec

from stompbox.contract.model import Pedalboard
from stompbox.contract.values import shape_value

log = logging.getLogger(__name__)

WAL_FILE = "current.wal"
MAX_WAL = 8 * 1024 * 1024
"""A log this long (the autosave failing for a long time) stops taking entries: replies then
wait for the autosave again, as for any other change."""

Entry = tuple[int, str, str, float]
_decoder = msgspec.json.Decoder(tuple[int, str, str, float])


class ValueLog:
    """`append` entries; a snapshot records `seq` (what it covers) and `size`; `cut(size)`
    once that snapshot is written."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / WAL_FILE
        self.size = 0
        self.seq = 0  # of the newest entry (continues after a restart, see `restore`)

    def append(self, instance_id: str, symbol: str, value: float) -> bool:
        """Log one value; False when it could not be logged (the caller waits for the autosave).

        The file is opened for each entry and closed again: no descriptor stays open for
        writing in the data dir (a data dir remounted read-only must not find it busy)."""
        line = msgspec.json.encode((self.seq + 1, instance_id, symbol, value)) + b"\n"
        if self.size + len(line) > MAX_WAL:
            return False
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                written = os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as exc:
            log.warning("value log: %s", exc)
            return False
        self.size += written
        self.seq += 1
        return written == len(line)

    def cut(self, size: int) -> None:
        """A snapshot taken when the log was `size` bytes long is written: empty the log unless
        newer entries follow (they stay; replay skips what a snapshot covers, by seq)."""
        if size <= 0 or self.size != size:
            return
        try:
            os.truncate(self.path, 0)
            self.size = 0
        except OSError as exc:
            log.warning("value log: cannot empty: %s", exc)

    def restore(self, covered: int) -> list[Entry]:
        """At start: the entries newer than `covered` (the seq `current.json` covers), in order;
        later entries continue the numbering."""
        entries = read_entries(self.path)
        self.seq = max([covered, *(e[0] for e in entries)])
        try:
            self.size = self.path.stat().st_size
        except OSError:
            self.size = 0
        return [e for e in entries if e[0] > covered]


def read_entries(path: Path) -> list[Entry]:
    """The entries of a value log (a torn last line, from a crash mid-write, is skipped)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        log.warning("value log: cannot read %s: %s", path, exc)
        return []
    out: list[Entry] = []
    for line in data.splitlines():
        with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError):
            out.append(_decoder.decode(line))
    return out


def replay_values(board: Pedalboard, entries: list[Entry]) -> int:
    """Apply logged values to `board` (in order; unknown instances or symbols are skipped, the
    values shaped by the one value rule); return how many applied."""
    plugins = {p.instance_id: p for p in board.plugins}
    applied = 0
    for _seq, instance_id, symbol, value in entries:
        plugin = plugins.get(instance_id)
        port = plugin.available_parameters.get(symbol) if plugin is not None else None
        if plugin is None or port is None or not math.isfinite(value):
            continue
        plugin.parameters[symbol] = shape_value(port, value)
        applied += 1
    return applied
