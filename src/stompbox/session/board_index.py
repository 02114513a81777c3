"""The pedalboard index: each saved board's summary, re-read only when its file changed.

Listing boards and checking that a name is free (every create, save-as and rename) used to
decode every board file on the event loop. The index keeps one `BoardSummary` per file with
the file's identity (inode, size, mtime): a listing is a directory scan and one `stat` per
file, and only a file that changed (written by us, or copied in by hand) is decoded again.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from pathlib import Path

from stompbox.contract.errors import NotFoundError, ResourceError, ValidationError
from stompbox.contract.model import Pedalboard
from stompbox.contract.session import BoardLayout, BoardSummary, LayoutBlock

Stamp = tuple[int, int, int]
FILE_RE = re.compile(r"([a-z0-9-]{1,64})\.json")


def layout_of(board: Pedalboard) -> BoardLayout:
    """Block positions and block-to-block cables (system ports left out), for a thumbnail."""
    blocks = [LayoutBlock(p.instance_id, p.x, p.y) for p in board.plugins]
    pairs = {
        (c.source.partition(":")[0], c.target.partition(":")[0])
        for c in board.connections
        if not c.source.startswith("system:") and not c.target.startswith("system:")
    }
    return BoardLayout(blocks, sorted(pairs))


def summarize(board: Pedalboard) -> BoardSummary:
    plugins = len(board.plugins)
    return BoardSummary(board.id, board.name, board.modified_at, plugins, layout_of(board))


def _stamp(st: os.stat_result) -> Stamp:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class BoardIndex:
    """Summaries of the `<id>.json` files in `folder`; `load(id)` decodes one board."""

    def __init__(self, folder: Path, load: Callable[[str], Pedalboard]) -> None:
        self.folder = folder
        self._load = load
        self._entries: dict[str, tuple[Stamp, BoardSummary | None]] = {}
        self.decoded = 0  # files decoded so far (statistics, tests)

    def summaries(self) -> list[BoardSummary]:
        """Every readable board's summary, by id (a broken file is left out, as in listings)."""
        seen: dict[str, Stamp] = {}
        try:
            with os.scandir(self.folder) as it:
                for entry in it:
                    match = FILE_RE.fullmatch(entry.name)
                    if match is not None:
                        with contextlib.suppress(OSError):
                            seen[match[1]] = _stamp(entry.stat())
        except FileNotFoundError:
            seen = {}
        except OSError as exc:
            raise ResourceError(f"cannot list pedalboards: {exc.strerror or exc}") from exc
        for gone in set(self._entries) - set(seen):
            del self._entries[gone]
        out: list[BoardSummary] = []
        for board_id in sorted(seen):
            cached = self._entries.get(board_id)
            if cached is None or cached[0] != seen[board_id]:
                cached = self._entries[board_id] = (seen[board_id], self._read(board_id))
            if cached[1] is not None:
                out.append(cached[1])
        return out

    def _read(self, board_id: str) -> BoardSummary | None:
        self.decoded += 1
        try:
            return summarize(self._load(board_id))
        except (ValidationError, NotFoundError, ResourceError):
            return None

    def saved(self, board: Pedalboard) -> None:
        """`board` was just written: take its summary without reading the file back."""
        try:
            stamp = _stamp(os.stat(self.folder / f"{board.id}.json"))
        except OSError:
            self._entries.pop(board.id, None)
            return
        self._entries[board.id] = (stamp, summarize(board))

    def forget(self, board_id: str) -> None:
        self._entries.pop(board_id, None)

    def name_taken(self, name: str, except_id: str | None = None) -> bool:
        folded = name.casefold()
        return any(b.name.casefold() == folded and b.id != except_id for b in self.summaries())
