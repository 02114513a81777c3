"""Pedalboard files: validated names, slug ids, atomic JSON writes confined to the data dir."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import stat
import time
import unicodedata
from collections.abc import Collection
from pathlib import Path
from typing import TypeVar

import msgspec

from stompbox.contract.errors import (
    ConflictError,
    NotFoundError,
    ResourceError,
    ValidationError,
)
from stompbox.contract.model import SCHEMA_VERSION, Pedalboard
from stompbox.contract.names import check_name

from .board_index import BoardIndex

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ID = 64
ID_RE = re.compile(r"[a-z0-9-]{1,64}")
CURRENT_FILE = "current.json"
MAX_BOARDS = 1000
"""Pedalboard files at most; saving a new one beyond that is a ResourceError."""
MAX_BOARD_BYTES = 48 * 1024 * 1024
"""One board, snapshots included, as it travels (compact JSON), at most. The whole board is in
every `state` reply and `pedalboard_loaded` event, and those are capped at 64 MiB
(contract/rpc.py MAX_REPLY_BYTES): 48 MiB leaves 16 MiB for the rest of the state and the event
envelope. The largest board the plugin cap allows (200 of LSP's sc_mb_dyna_processor_lr, 1,005
controls each: 39.3 MiB) fits with 3 snapshots (2.8 MiB each); 16 of them would make 84 MiB, a
board no client could load any more."""


def check_board_size(board: Pedalboard) -> int:
    """The board's size as it travels; a ResourceError above MAX_BOARD_BYTES."""
    size = len(msgspec.json.encode(board))
    if size > MAX_BOARD_BYTES:
        limit = MAX_BOARD_BYTES // (1024 * 1024)
        raise ResourceError(
            f"pedalboard {board.id!r} would be {size / 2**20:.1f} MiB, over the {limit} MiB a "
            "board may hold (snapshots included): delete snapshots or plugins first",
            {"limit": MAX_BOARD_BYTES, "size": size},
        )
    return size


class CurrentState(msgspec.Struct, kw_only=True):
    """What `current.json` holds: the board being played and whether it differs from its file."""

    schema: int = SCHEMA_VERSION
    pedalboard: Pedalboard | None = None
    modified: bool = False
    log_seq: int = 0  # the newest value-log entry this file covers (wal.py)


def validate_name(name: str) -> str:
    """Return the stripped pedalboard name, or raise ValidationError (see `check_name`)."""
    return check_name(name, "pedalboard name")


def validate_id(board_id: str) -> str:
    if not ID_RE.fullmatch(board_id):
        raise ValidationError(f"invalid pedalboard id {board_id!r} (expected [a-z0-9-]{{1,64}})")
    return board_id


def slugify(name: str) -> str:
    """A file-system-safe id from a name: ascii letters/digits and '-', at most 64 chars."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:MAX_ID].strip("-")
    return slug or "board"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write `data` to `path` atomically: temp file in the same dir, fsync, rename, fsync dir.

    `sync=False` skips both fsyncs: the rename is still atomic and the data is in the kernel, so
    it survives kill -9 of any process, but not yet a power cut — `sync_file` adds that."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        if sync:
            _fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ResourceError(f"cannot write {path.name}: {exc.strerror or exc}") from exc


def sync_file(path: Path) -> None:
    """fsync `path` and its directory (after an `atomic_write(..., sync=False)`)."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_dir(path.parent)
    except OSError as exc:
        raise ResourceError(f"cannot sync {path.name}: {exc.strerror or exc}") from exc


def read_document(path: Path, decoder: msgspec.json.Decoder[T], what: str, ident: str) -> T:
    """Read and decode one JSON document of the data dir; the errors name `what` `ident`:
    NotFoundError (no file), ResourceError (unreadable), ValidationError (not valid)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"no {what} {ident!r}", {"id": ident}) from None
    except OSError as exc:
        raise ResourceError(f"cannot read {what} {ident!r}: {exc}") from exc
    try:
        return decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ValidationError(f"{what} file {ident!r} is invalid: {exc}") from exc


class Storage:
    """Pedalboards in `<data_dir>/pedalboards/<id>.json`, the current board in `current.json`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.boards_dir = self.data_dir / "pedalboards"
        self._decoder = msgspec.json.Decoder(Pedalboard)
        self._current_decoder = msgspec.json.Decoder(CurrentState)
        self.problems: list[str] = []  # what load_current had to set aside, for reports
        self.index = BoardIndex(self.boards_dir, self.load)

    def ensure(self) -> None:
        try:
            self.boards_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResourceError(f"cannot create data dir {self.data_dir}: {exc}") from exc

    def sweep_temp(self) -> int:
        """Remove temp files that a crash between write and rename left behind; return how many.

        Called once at start-up, before anything writes: every temp file then is an orphan.
        """
        removed = 0
        for folder in (self.data_dir, self.boards_dir):
            for tmp in folder.glob(".*.tmp") if folder.is_dir() else ():
                with contextlib.suppress(OSError):
                    tmp.unlink()
                    removed += 1
        return removed

    def _inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.data_dir):
            raise ValidationError("path escapes the data directory")
        return resolved

    def board_path(self, board_id: str) -> Path:
        return self._inside(self.boards_dir / f"{validate_id(board_id)}.json")

    # -- boards ---------------------------------------------------------------------------

    def exists(self, board_id: str) -> bool:
        return self.board_path(board_id).is_file()

    def ids(self) -> list[str]:
        if not self.boards_dir.is_dir():
            return []
        return sorted(
            p.stem for p in self.boards_dir.glob("*.json") if ID_RE.fullmatch(p.stem) is not None
        )

    def list(self) -> list[Pedalboard]:
        boards = []
        for board_id in self.ids():
            try:
                boards.append(self.load(board_id))
            except (ValidationError, NotFoundError, ResourceError):
                continue  # a broken file is skipped in listings, reported when loaded
        return boards

    def load(self, board_id: str) -> Pedalboard:
        path = self.board_path(board_id)
        board = read_document(path, self._decoder, "pedalboard", board_id)
        if board.schema > SCHEMA_VERSION:
            raise ValidationError(
                f"pedalboard {board_id!r} has schema {board.schema}, newer than {SCHEMA_VERSION}"
            )
        board.id = board_id
        with contextlib.suppress(OSError):
            if path.stat().st_size > MAX_BOARD_BYTES:  # (the file is indented: measure it)
                check_board_size(board)
        return board

    def save(self, board: Pedalboard) -> None:
        self.ensure()
        if not self.exists(board.id) and len(self.ids()) >= MAX_BOARDS:
            raise ResourceError(
                f"at most {MAX_BOARDS} pedalboards; delete one first", {"limit": MAX_BOARDS}
            )
        data = msgspec.json.encode(board)
        if len(data) > MAX_BOARD_BYTES:
            check_board_size(board)
        atomic_write(self.board_path(board.id), msgspec.json.format(data))
        self.index.saved(board)

    def delete(self, board_id: str) -> None:
        path = self.board_path(board_id)
        try:
            path.unlink()
        except FileNotFoundError:
            raise NotFoundError(f"no pedalboard {board_id!r}", {"id": board_id}) from None
        except OSError as exc:
            raise ResourceError(f"cannot delete pedalboard {board_id!r}: {exc}") from exc
        self.index.forget(board_id)

    def new_id(self, name: str, taken: Collection[str] = ()) -> str:
        base = slugify(name)
        candidate, n = base, 1
        while candidate in taken or self.exists(candidate):
            n += 1
            suffix = f"-{n}"
            candidate = base[: MAX_ID - len(suffix)] + suffix
        return candidate

    def name_taken(self, name: str, except_id: str | None = None) -> bool:
        return self.index.name_taken(name, except_id)

    def check_name_free(self, name: str, except_id: str | None = None) -> None:
        if self.name_taken(name, except_id):
            raise ConflictError(f"a pedalboard named {name!r} exists already", {"name": name})

    # -- the current board ----------------------------------------------------------------

    def load_current(self) -> CurrentState | None:
        """The autosaved session, or None. A `current.json` that is damaged, of a newer schema,
        or not a regular file of the data dir (a symlink out of it) is never followed, never
        overwritten: it is renamed aside with a timestamp, and `problems` says so."""
        path = self.data_dir / CURRENT_FILE
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ResourceError(f"cannot read {CURRENT_FILE}: {exc.strerror or exc}") from exc
        if not stat.S_ISREG(info.st_mode):
            self._set_aside(path, "foreign", "is not a regular file (a symlink?)")
            return None
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise ResourceError(f"cannot read {CURRENT_FILE}: {exc.strerror or exc}") from exc
        try:
            state = self._current_decoder.decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self._set_aside(path, "damaged", f"cannot be decoded ({exc})")
            return None
        if state.schema > SCHEMA_VERSION:
            self._set_aside(path, "newer", f"has schema {state.schema} > {SCHEMA_VERSION}")
            return None
        return state

    def _set_aside(self, path: Path, kind: str, why: str) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        aside = path.with_name(f"{path.stem}.{kind}-{stamp}-{secrets.token_hex(2)}{path.suffix}")
        try:
            os.rename(path, aside)  # moves a symlink itself, never what it points to
        except OSError as exc:
            raise ResourceError(
                f"{CURRENT_FILE} {why} and cannot be set aside: {exc.strerror or exc}"
            ) from exc
        message = f"{CURRENT_FILE} {why}: kept as {aside.name}; starting without it"
        log.error("%s", message)
        self.problems.append(message)
        return aside

    def save_current(self, state: CurrentState) -> None:
        self.ensure()
        path = self._inside(self.data_dir / CURRENT_FILE)
        atomic_write(path, msgspec.json.encode(state))
