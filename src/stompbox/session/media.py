"""The media library: impulse responses, models and samples in `<data_dir>/media/`.

Names are checked like board names (`contract.names.check_name`) and must also be plain file
names with a known extension; the content must be what the extension says (a `.wav` must parse as
RIFF/WAVE with a format and a data chunk, a `.flac` must start with its magic, a model must be a
JSON object). Files are written atomically; deleting a file that a board or snapshot uses is
refused with the places that use it.
"""

from __future__ import annotations

import contextlib
import re
import struct
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from stompbox.contract.errors import ConflictError, NotFoundError, ResourceError, ValidationError
from stompbox.contract.live import MediaFile, MediaKind
from stompbox.contract.model import Pedalboard
from stompbox.contract.names import check_name

from .storage import atomic_write

MAX_MEDIA_BYTES = 2 * 1024 * 1024
MAX_FILES = 1000
FILE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.()+-]{0,99}")
KINDS = {
    ".wav": MediaKind.AUDIO,
    ".flac": MediaKind.AUDIO,
    ".nam": MediaKind.MODEL,
    ".json": MediaKind.MODEL,
    ".aidax": MediaKind.MODEL,
}
WAV_FORMATS = {1, 3, 0xFFFE}  # PCM, IEEE float, extensible


def check_media_name(name: str) -> str:
    name = check_name(name, "media file name")
    if not FILE_RE.fullmatch(name) or ".." in name:
        raise ValidationError(
            "media file names use letters, digits, space and _ . ( ) + - only", {"name": name}
        )
    if Path(name).suffix.lower() not in KINDS:
        known = ", ".join(sorted(KINDS))
        raise ValidationError(f"unknown media type of {name!r} (known: {known})", {"name": name})
    return name


def check_wav(data: bytes) -> None:
    """Raise ValidationError unless `data` is a RIFF/WAVE file with fmt and data chunks."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValidationError("not a WAV file (no RIFF/WAVE header)")
    pos, fmt, has_data = 12, None, False
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = data[pos + 8 : pos + 8 + size]
        if chunk == b"fmt ":
            if len(body) < 16:
                raise ValidationError("WAV fmt chunk too short")
            fmt = struct.unpack_from("<HHIIHH", body)
        elif chunk == b"data":
            has_data = size > 0 and len(body) > 0
        pos += 8 + size + (size & 1)
    if fmt is None or not has_data:
        raise ValidationError("WAV file lacks a fmt or a data chunk")
    tag, channels, rate, _, _, bits = fmt
    if tag not in WAV_FORMATS or not 1 <= channels <= 8 or not 8000 <= rate <= 384000:
        raise ValidationError(f"unsupported WAV format {tag}, {channels} ch, {rate} Hz")
    if bits not in (8, 16, 24, 32, 64):
        raise ValidationError(f"unsupported WAV sample size {bits} bits")


def check_content(name: str, data: bytes) -> MediaKind:
    """The kind of media `data` is, if it is what `name`'s extension says; else ValidationError."""
    ext = Path(name).suffix.lower()
    if not data:
        raise ValidationError("empty file")
    if len(data) > MAX_MEDIA_BYTES:
        raise ValidationError(f"file larger than {MAX_MEDIA_BYTES} bytes")
    if ext == ".wav":
        check_wav(data)
    elif ext == ".flac":
        if data[:4] != b"fLaC":
            raise ValidationError("not a FLAC file (no fLaC magic)")
    else:
        try:
            parsed = msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            raise ValidationError(f"{name}: a model file must be JSON ({exc})") from exc
        if not isinstance(parsed, dict):
            raise ValidationError(f"{name}: a model file must be a JSON object")
    return KINDS[ext]


def uses(boards: Iterable[Pedalboard]) -> dict[str, list[str]]:
    """media name → where it is used: `<board>/<instance>` and `<board>/snapshot <n>/<instance>`."""
    found: dict[str, list[str]] = {}
    for board in boards:
        for iid, props in board.files.items():
            for name in props.values():
                found.setdefault(name, []).append(f"{board.name}/{iid}")
        for n, snap in enumerate(board.snapshots):
            for iid, props in snap.files.items():
                for name in props.values():
                    found.setdefault(name, []).append(f"{board.name}/snapshot {n + 1}/{iid}")
    return found


class MediaLibrary:
    """Files in `<data_dir>/media/` (flat; names are checked, never joined from client paths)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.dir = self.data_dir / "media"

    def path(self, name: str) -> Path:
        path = (self.dir / check_media_name(name)).resolve()
        if path.parent != self.dir.resolve():
            raise ValidationError("path escapes the media directory")
        return path

    def names(self) -> list[str]:
        if not self.dir.is_dir():
            return []
        return sorted(
            p.name for p in self.dir.iterdir() if p.is_file() and FILE_RE.fullmatch(p.name)
        )

    def list(self, boards: Iterable[Pedalboard]) -> list[MediaFile]:
        used = uses(boards)
        out = []
        for name in self.names():
            kind = KINDS.get(Path(name).suffix.lower())
            if kind is None:
                continue
            with contextlib.suppress(OSError):
                st = (self.dir / name).stat()
                when = datetime.fromtimestamp(st.st_mtime, UTC).isoformat(timespec="seconds")
                out.append(MediaFile(name, kind, st.st_size, when, used.get(name, [])))
        return out

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def save(self, name: str, data: bytes) -> MediaFile:
        path = self.path(name)
        kind = check_content(name, data)
        if not path.exists() and len(self.names()) >= MAX_FILES:
            raise ResourceError(f"the media library holds at most {MAX_FILES} files")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResourceError(f"cannot create {self.dir}: {exc}") from exc
        atomic_write(path, data)
        return MediaFile(
            path.name, kind, len(data), datetime.now(UTC).isoformat(timespec="seconds")
        )

    def delete(self, name: str, boards: Iterable[Pedalboard]) -> None:
        path = self.path(name)
        if not path.is_file():
            raise NotFoundError(f"no media file {name!r}", {"name": name})
        where = uses(boards).get(path.name)
        if where:
            raise ConflictError(
                f"{name!r} is in use: {', '.join(where)}", {"name": name, "used_by": where}
            )
        try:
            path.unlink()
        except OSError as exc:
            raise ResourceError(f"cannot delete {name!r}: {exc}") from exc
