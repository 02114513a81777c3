"""The on-disk catalog cache: bundle fingerprints, msgspec JSON, atomic writes (no lilv here)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

import msgspec

from stompbox.contract.plugin import PluginInfo, PluginSummary

CACHE_VERSION: Final = 3  # 2: summaries beside the full infos (lazy warm path); 3: descriptions


class BundleStamp(msgspec.Struct, frozen=True):
    """A bundle directory's mtime and the mtimes of its top-level `.ttl` files (nanoseconds)."""

    mtime_ns: int
    files: dict[str, int] = msgspec.field(default_factory=dict)


class CachedPlugin(msgspec.Struct, frozen=True):
    info: PluginInfo
    bundles: list[str]  # bundle directories its metadata came from (plugin, data, presets)


class CacheFile(msgspec.Struct, frozen=True, kw_only=True):
    version: int = CACHE_VERSION
    sample_rate: int
    lv2_path: list[str]
    bundles: dict[str, BundleStamp]
    plugins: list[CachedPlugin]
    summaries: list[PluginSummary] = msgspec.field(default_factory=list)  # one per plugin


class RawCachedPlugin(msgspec.Struct, frozen=True):
    info: msgspec.Raw  # the PluginInfo's JSON, decoded only when somebody asks for it
    bundles: list[str]


class WarmCacheFile(msgspec.Struct, frozen=True, kw_only=True):
    """The same file read the cheap way: summaries decoded, full plugin infos kept raw."""

    version: int = CACHE_VERSION
    sample_rate: int
    lv2_path: list[str]
    bundles: dict[str, BundleStamp]
    plugins: list[RawCachedPlugin]
    summaries: list[PluginSummary] = msgspec.field(default_factory=list)


def bundle_dirs(lv2_path: Iterable[Path]) -> list[Path]:
    """Every bundle directory (a direct subdirectory) of every existing LV2 path entry."""
    out: list[Path] = []
    seen: set[str] = set()
    for base in lv2_path:
        try:
            entries = sorted(os.scandir(base), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                continue
            if is_dir and entry.path not in seen:
                seen.add(entry.path)
                out.append(Path(entry.path))
    return out


def stamp(bundle: Path) -> BundleStamp | None:
    """The fingerprint of one bundle, or None when it vanished meanwhile."""
    try:
        mtime = bundle.stat().st_mtime_ns
        files: dict[str, int] = {}
        with os.scandir(bundle) as it:
            for entry in it:
                if entry.name.endswith(".ttl"):
                    with contextlib.suppress(OSError):
                        files[entry.name] = entry.stat().st_mtime_ns
    except OSError:
        return None
    return BundleStamp(mtime_ns=mtime, files=files)


def fingerprint(lv2_path: Iterable[Path]) -> dict[str, BundleStamp]:
    """`{bundle_dir: BundleStamp}` for every bundle on the path."""
    out: dict[str, BundleStamp] = {}
    for bundle in bundle_dirs(lv2_path):
        s = stamp(bundle)
        if s is not None:
            out[str(bundle)] = s
    return out


def changed_bundles(old: dict[str, BundleStamp], new: dict[str, BundleStamp]) -> set[str]:
    """Bundles added, removed or modified between two fingerprints."""
    return {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}


class BundleIndex:
    """Maps a data file path to the bundle directory (a fingerprint key) that holds it."""

    def __init__(self, bundles: Iterable[str]) -> None:
        self._by_dir: dict[str, str] = {}
        for b in bundles:
            self._by_dir[b.rstrip("/")] = b
            with contextlib.suppress(OSError):
                self._by_dir.setdefault(os.path.realpath(b), b)

    def bundle_of(self, file: str) -> str | None:
        for candidate in (file, os.path.realpath(file)):
            d = os.path.dirname(candidate)
            while d and d != "/":
                if d in self._by_dir:
                    return self._by_dir[d]
                d = os.path.dirname(d)
        return None

    def bundles_of(self, files: Iterable[str]) -> list[str]:
        return sorted({b for f in files if (b := self.bundle_of(f)) is not None})


def cache_file(cache_dir: Path, lv2_path: Iterable[Path], sample_rate: int) -> Path:
    """One cache file per (LV2 path, sample rate), so different setups never clobber each other."""
    key = "\n".join([str(sample_rate), *map(str, lv2_path)]).encode()
    return cache_dir / f"lv2-catalog-{hashlib.sha256(key).hexdigest()[:12]}.json"


def read_cache(path: Path) -> CacheFile | None:
    """The cache, or None when missing, unreadable, corrupt or of another version."""
    try:
        data = path.read_bytes()
        cached = msgspec.json.decode(data, type=CacheFile)
    except (OSError, msgspec.DecodeError):
        return None
    return cached if cached.version == CACHE_VERSION else None


def read_warm(
    path: Path, lv2_path: Iterable[Path], stamps: dict[str, BundleStamp], sample_rate: int
) -> WarmCacheFile | None:
    """The cache read cheaply, if it is current for these bundles and settings; else None."""
    try:
        cached = msgspec.json.decode(path.read_bytes(), type=WarmCacheFile)
    except (OSError, msgspec.DecodeError):
        return None
    current = (
        cached.version == CACHE_VERSION
        and cached.sample_rate == sample_rate
        and cached.lv2_path == [str(p) for p in lv2_path]
        and len(cached.summaries) == len(cached.plugins)
        and not changed_bundles(cached.bundles, stamps)
    )
    return cached if current else None


@contextlib.contextmanager
def scan_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the cache file `path` (blocks while another process holds
    it). Without a writable cache dir there is nothing to share, and no lock."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_cache(path: Path, cache: CacheFile) -> None:
    """Write atomically: temp file in the same directory, fsync, rename, fsync the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = msgspec.json.encode(cache)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
