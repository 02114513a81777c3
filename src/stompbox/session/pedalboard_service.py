"""The seed's Pedalboard Service: create, list, load, save, save-as, rename, delete, current.

Callers hold the session lock. Loading replaces the engine graph by differences (see engine_sync)
and announces `pedalboard_loaded` only after the bridge acknowledged every step.
"""

from __future__ import annotations

import asyncio
import copy
import logging

import msgspec

from stompbox.contract.errors import ConflictError, NotFoundError, StompboxError
from stompbox.contract.events import EventName
from stompbox.contract.model import Pedalboard
from stompbox.contract.rpc import now_iso
from stompbox.contract.session import (
    BoardPendingData,
    BoardSummary,
    LoadBoardResult,
    PedalboardChangedData,
    PedalboardLoadedData,
    SessionWarningEvent,
)

from .engine_sync import SyncReport, sync_engine
from .snapshots import apply_to_model
from .state import SessionState
from .storage import Storage, validate_id, validate_name

log = logging.getLogger(__name__)

DEFAULT_ID = "default"
DEFAULT_NAME = "Default"


def empty_board(board_id: str, name: str) -> Pedalboard:
    now = now_iso()
    return Pedalboard(id=board_id, name=name, created_at=now, modified_at=now)


class PedalboardService:
    """Pedalboards on disk (via Storage) and the one current board (in SessionState)."""

    def __init__(self, state: SessionState, storage: Storage) -> None:
        self.state = state
        self.storage = storage
        self.last_report = SyncReport()
        self.prepared: dict[str, tuple[int, Pedalboard]] = {}  # id → (file mtime_ns, board)
        self.reads = 0  # board files read to load a board (a prepared one is not read again)

    async def prepare(self, board_ids: list[str]) -> None:
        """Read and validate these boards now (off the event loop), so that loading one later
        (the next song of a setlist) does not read its file; the others are forgotten."""
        keep: dict[str, tuple[int, Pedalboard]] = {}
        for board_id in dict.fromkeys(board_ids):
            try:
                mtime = self.storage.board_path(board_id).stat().st_mtime_ns
                cached = self.prepared.get(board_id)
                if cached is None or cached[0] != mtime:
                    cached = (mtime, await asyncio.to_thread(self.storage.load, board_id))
                keep[board_id] = cached
            except (OSError, StompboxError) as exc:
                log.info("cannot prepare pedalboard %r: %s", board_id, exc)
        self.prepared = keep

    def _read(self, board_id: str) -> Pedalboard:
        """A prepared board when its file has not changed since (a stat, no read), else the file."""
        cached = self.prepared.pop(board_id, None)
        if cached is not None:
            try:
                if self.storage.board_path(board_id).stat().st_mtime_ns == cached[0]:
                    return cached[1]
            except OSError:
                pass
        self.reads += 1
        return self.storage.load(board_id)

    def _changed(self, board: Pedalboard, action: str) -> None:
        self.state.publish_event(
            PedalboardChangedData(board.id, board.name, action, self.state.modified),
        )

    def _taken_ids(self) -> set[str]:
        return {self.state.board.id} if self.state.board is not None else set()

    # -- queries --------------------------------------------------------------------------

    def list(self) -> list[BoardSummary]:
        return self.storage.index.summaries()

    def current(self) -> Pedalboard:
        return self.state.require_board()

    # -- activation -----------------------------------------------------------------------

    async def activate(self, board: Pedalboard, *, modified: bool) -> LoadBoardResult:
        """Make `board` current and bring the engine to it; publish `pedalboard_loaded`."""
        st = self.state
        previous = (st.board, st.modified)
        st.board, st.modified = board, modified
        st.on_change()
        try:
            report = await sync_engine(st, board)
        except StompboxError:
            # a failed load changes nothing: the session (and so every client, which never saw
            # `pedalboard_loaded`) stays on the previous board; the engine is brought back to it
            # by the replay after a reconnect, or by the watchdog
            st.board, st.modified = previous
            st.on_change()
            raise
        self._report(report)
        if report.missing:
            st.modified = True
            st.on_change()
        snapshot = copy.deepcopy(board)
        st.publish_event(
            PedalboardLoadedData(snapshot, list(report.missing), report.reused),
        )
        return LoadBoardResult(snapshot, list(report.missing))

    async def replay(self) -> SyncReport:
        """Bring the engine (fresh or adopted) to the current board without changing the model."""
        board = self.state.board or empty_board(DEFAULT_ID, DEFAULT_NAME)
        report = await sync_engine(self.state, board)
        self._report(report)
        return report

    # -- what a load had to leave pending (unresolved.py) ------------------------------------

    def discard_pending(self) -> BoardPendingData:
        """The user gave up on what the board keeps pending: it leaves the board (the autosave
        at once, the board's file at the next save)."""
        st = self.state
        board = st.require_board()
        if board.pending_plugins or board.pending_connections:
            log.info(
                "board %s: discarded %d pending plugins, %d pending connections",
                board.id,
                len(board.pending_plugins),
                len(board.pending_connections),
            )
            board.pending_plugins, board.pending_connections = [], []
            st.changed()
            st.publish(EventName.BOARD_PENDING, BoardPendingData([], []))
        return BoardPendingData([], [])

    async def retry_pending(self) -> LoadBoardResult:
        """Try what is pending again (a plugin installed meanwhile); every client gets the
        board as it is then, with what still cannot run here kept pending."""
        st = self.state
        board = st.require_board()
        before = (len(board.pending_plugins), len(board.pending_connections))
        report = await self.replay()
        if (len(board.pending_plugins), len(board.pending_connections)) != before:
            st.changed()
        snapshot = copy.deepcopy(board)
        missing = list(report.missing)
        st.publish_event(
            PedalboardLoadedData(snapshot, missing, report.reused, modified=st.modified)
        )
        return LoadBoardResult(snapshot, missing)

    def _report(self, report: SyncReport) -> None:
        """Keep the report; what the load could not do goes to every client as a warning."""
        self.last_report = report
        missing = [f"plugin {uri} cannot run here: kept as pending" for uri in report.missing]
        for problem in [*missing, *report.problems]:
            self.state.publish_event(SessionWarningEvent("board_unresolved", problem))

    # -- commands -------------------------------------------------------------------------

    async def create(self, name: str) -> LoadBoardResult:
        name = validate_name(name)
        self.storage.check_name_free(name)
        board = empty_board(self.storage.new_id(name, self._taken_ids()), name)
        self.storage.save(board)
        self._changed(board, "created")
        return await self.activate(board, modified=False)

    async def load(self, board_id: str, snapshot: int | None = None) -> LoadBoardResult:
        """Load a board; with `snapshot`, with that snapshot's values already in it."""
        board = self._read(validate_id(board_id))
        changed = snapshot is not None and apply_to_model(board, snapshot)
        return await self.activate(board, modified=changed)

    def save(self) -> Pedalboard:
        st = self.state
        board = st.require_board()
        board.modified_at = now_iso()
        self.storage.save(board)
        st.modified = False
        st.on_change()
        self._changed(board, "saved")
        return board

    def save_as(self, name: str) -> Pedalboard:
        st = self.state
        name = validate_name(name)
        board = st.require_board()
        self.storage.check_name_free(name)
        copy_ = msgspec.convert(msgspec.to_builtins(board), Pedalboard)
        copy_.id = self.storage.new_id(name, self._taken_ids())
        copy_.name = name
        copy_.created_at = copy_.modified_at = now_iso()
        self.storage.save(copy_)
        st.board, st.modified = copy_, False
        st.on_change()
        self._changed(copy_, "saved_as")
        return copy_

    def rename(self, board_id: str, name: str) -> Pedalboard:
        st = self.state
        validate_id(board_id)
        name = validate_name(name)
        self.storage.check_name_free(name, except_id=board_id)
        current = st.board if st.board is not None and st.board.id == board_id else None
        renamed: Pedalboard | None = None
        if self.storage.exists(board_id):
            saved = self.storage.load(board_id)
            saved.name = name
            saved.modified_at = now_iso()
            self.storage.save(saved)
            renamed = saved
        if current is not None:
            current.name = name
            st.on_change()
            renamed = current
        if renamed is None:
            raise NotFoundError(f"no pedalboard {board_id!r}", {"id": board_id})
        self._changed(renamed, "renamed")
        return renamed

    def delete(self, board_id: str) -> None:
        st = self.state
        validate_id(board_id)
        if st.board is not None and st.board.id == board_id:
            raise ConflictError(
                f"pedalboard {board_id!r} is the current one; load or create another first"
            )
        board = self.storage.load(board_id)
        self.storage.delete(board_id)
        self.state.publish_event(PedalboardChangedData(board.id, board.name, "deleted"))
