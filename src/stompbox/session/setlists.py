"""Setlists: ordered songs (board + starting snapshot + note) in `<data_dir>/setlists/<id>.json`.

Names follow the board rules (`contract.names`), ids are slugs (`storage.validate_id`), files are
written with `storage.atomic_write`. An entry's position is its program-change number (0-based).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import msgspec

from stompbox.contract.errors import ConflictError, NotFoundError, ResourceError, ValidationError
from stompbox.contract.live import (
    MAX_SETLIST_ENTRIES,
    MAX_SNAPSHOTS,
    Setlist,
    SetlistEntry,
    SetlistSummary,
)
from stompbox.contract.names import MAX_NAME, check_name
from stompbox.contract.rpc import now_iso

from .storage import ID_RE, MAX_ID, atomic_write, read_document, slugify, validate_id

MAX_NOTE = 1000


def check_entries(entries: list[SetlistEntry]) -> list[SetlistEntry]:
    if len(entries) > MAX_SETLIST_ENTRIES:
        raise ValidationError(f"a setlist holds at most {MAX_SETLIST_ENTRIES} entries")
    for n, entry in enumerate(entries):
        validate_id(entry.board)
        if entry.snapshot is not None and not 0 <= entry.snapshot < MAX_SNAPSHOTS:
            raise ValidationError(f"entry {n}: snapshot must be 0..{MAX_SNAPSHOTS - 1}")
        if len(entry.note) > MAX_NOTE:
            raise ValidationError(f"entry {n}: note longer than {MAX_NOTE} characters")
        if any(ch == "\0" for ch in entry.note):
            raise ValidationError(f"entry {n}: note contains NUL")
    return list(entries)


class SetlistStore:
    """Setlist files, separate from the board library."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.dir = self.data_dir / "setlists"
        self._decoder = msgspec.json.Decoder(Setlist)

    def path(self, setlist_id: str) -> Path:
        validate_id(setlist_id)
        path = (self.dir / f"{setlist_id}.json").resolve()
        if not path.is_relative_to(self.data_dir):
            raise ValidationError("path escapes the data directory")
        return path

    def ids(self) -> list[str]:
        if not self.dir.is_dir():
            return []
        return sorted(p.stem for p in self.dir.glob("*.json") if ID_RE.fullmatch(p.stem))

    def load(self, setlist_id: str) -> Setlist:
        setlist = read_document(self.path(setlist_id), self._decoder, "setlist", setlist_id)
        setlist.id = setlist_id
        return setlist

    def summaries(self) -> list[SetlistSummary]:
        out = []
        for sid in self.ids():
            with contextlib.suppress(ValidationError, NotFoundError, ResourceError):
                s = self.load(sid)
                out.append(SetlistSummary(s.id, s.name, len(s.entries), s.modified_at))
        return out

    def save(self, setlist: Setlist) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResourceError(f"cannot create {self.dir}: {exc}") from exc
        atomic_write(self.path(setlist.id), msgspec.json.format(msgspec.json.encode(setlist)))

    def delete(self, setlist_id: str) -> None:
        path = self.path(setlist_id)
        try:
            path.unlink()
        except FileNotFoundError:
            raise NotFoundError(f"no setlist {setlist_id!r}", {"id": setlist_id}) from None
        except OSError as exc:
            raise ResourceError(f"cannot delete setlist {setlist_id!r}: {exc}") from exc

    # -- commands -------------------------------------------------------------------------

    def _check_free(self, name: str, except_id: str | None = None) -> None:
        folded = name.casefold()
        for s in self.summaries():
            if s.name.casefold() == folded and s.id != except_id:
                raise ConflictError(f"a setlist named {name!r} exists already", {"name": name})

    def create(self, name: str, entries: list[SetlistEntry]) -> Setlist:
        name = check_name(name, "setlist name")
        entries = check_entries(entries)
        self._check_free(name)
        base, n = slugify(name)[:MAX_ID], 1
        sid = base
        while self.path(sid).exists():
            n += 1
            sid = f"{base[: MAX_ID - len(str(n)) - 1]}-{n}"
        now = now_iso()
        setlist = Setlist(id=sid, name=name, entries=entries, created_at=now, modified_at=now)
        self.save(setlist)
        return setlist

    def update(
        self, setlist_id: str, name: str | None, entries: list[SetlistEntry] | None
    ) -> Setlist:
        setlist = self.load(setlist_id)
        if name is not None:
            name = check_name(name, "setlist name")
            self._check_free(name, except_id=setlist_id)
            setlist.name = name[:MAX_NAME]
        if entries is not None:
            setlist.entries = check_entries(entries)
        setlist.modified_at = now_iso()
        self.save(setlist)
        return setlist
