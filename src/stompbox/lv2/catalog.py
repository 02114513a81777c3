"""The LV2 plugin catalog: loaded from the disk cache when nothing changed, else (re)scanned."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import msgspec

from stompbox.contract.plugin import PluginInfo, PluginSummary, summarize
from stompbox.lv2.cache import (
    BundleStamp,
    CacheFile,
    WarmCacheFile,
    cache_file,
    fingerprint,
    read_cache,
    read_warm,
    scan_lock,
    write_cache,
)
from stompbox.lv2.rescan import ScanMode, refresh
from stompbox.lv2.scan import DEFAULT_SAMPLE_RATE
from stompbox.lv2.taxonomy import FAMILIES, family, match_score
from stompbox.lv2.world import lv2_path as default_lv2_path

log = logging.getLogger(__name__)


class CatalogStats(msgspec.Struct, frozen=True, kw_only=True):
    plugins: int
    mode: ScanMode
    seconds: float
    rescanned: int = 0
    cache_file: str = ""
    missing_specs: tuple[str, ...] = ()  # LV2 specification bundles not found on the path

    @property
    def cold(self) -> bool:
        return self.mode is not ScanMode.WARM


SPEC_BUNDLES = ("core.lv2", "units.lv2", "port-props.lv2", "presets.lv2")
SPEC_PACKAGE = "lv2-dev"


def missing_specs(path: list[Path]) -> tuple[str, ...]:
    """The LV2 specification bundles (categories, units, port properties) absent from `path`.

    Without them lilv cannot tell a plugin's class labels or a port's units: the catalog still
    lists plugins, but with no categories and no units, so the loader says so loudly.
    """
    return tuple(
        b for b in SPEC_BUNDLES if not any((d / b / "manifest.ttl").is_file() for d in path)
    )


def _warn_missing(path: list[Path]) -> tuple[str, ...]:
    missing = missing_specs(path)
    if missing:
        log.warning(
            "LV2 specification bundles missing from %s: %s — plugins will have no categories "
            "and no units (on Debian: apt-get install %s)",
            ":".join(map(str, path)),
            ", ".join(missing),
            SPEC_PACKAGE,
        )
    return missing


def _with_family(s: PluginSummary) -> PluginSummary:
    return msgspec.structs.replace(s, family=family(s.name, s.category))


def _score(s: PluginSummary, words: list[str]) -> int | None:
    hay = " ".join([s.name, s.brand, s.uri, s.family, *s.category]).casefold()
    return match_score(s.name, hay, words, s.family, f"{s.name} {s.brand}".casefold())


def _order(s: PluginInfo | PluginSummary) -> tuple[str, str]:
    return (s.name.casefold(), s.uri)


class Catalog:
    """Every installed LV2 plugin, by URI. Build it with `Catalog.load(cache_dir)`.

    A warm start keeps each plugin's full metadata as raw JSON and decodes it on first `get`:
    listing and searching need only the summaries.
    """

    def __init__(self, plugins: list[PluginInfo], stats: CatalogStats) -> None:
        ordered = sorted(plugins, key=_order)
        self._summaries = [_with_family(summarize(p)) for p in ordered]
        self._by_uri: dict[str, PluginInfo] = {p.uri: p for p in ordered}
        self._raw: dict[str, msgspec.Raw] = {}
        self.stats = stats

    @classmethod
    def _from_warm(cls, warm: WarmCacheFile, stats: CatalogStats) -> Catalog:
        catalog = cls([], stats)
        catalog._summaries = sorted((_with_family(s) for s in warm.summaries), key=_order)
        catalog._raw = {s.uri: c.info for s, c in zip(warm.summaries, warm.plugins, strict=True)}
        return catalog

    @classmethod
    def load(
        cls,
        cache_dir: Path,
        sample_rate: int = DEFAULT_SAMPLE_RATE,
        *,
        lv2_path: list[Path] | None = None,
    ) -> Catalog:
        """Read the cache if every bundle is unchanged (lilv is not touched); otherwise rescan
        the changed bundles' plugins (or everything) and rewrite the cache atomically."""
        started = time.perf_counter()
        path = default_lv2_path() if lv2_path is None else list(lv2_path)
        file = cache_file(cache_dir, path, sample_rate)
        stamps = fingerprint(path)
        missing = _warn_missing(path)
        warm = read_warm(file, path, stamps, sample_rate)
        if warm is None:
            # one scan per machine: a process that finds the cache stale waits for any other
            # process scanning the same cache file, then reads what that one wrote
            with scan_lock(file):
                warm = read_warm(file, path, stamps, sample_rate)
                if warm is None:
                    return cls._scan(file, path, stamps, sample_rate, missing, started)
        stats = CatalogStats(
            plugins=len(warm.plugins),
            mode=ScanMode.WARM,
            seconds=time.perf_counter() - started,
            cache_file=str(file),
            missing_specs=missing,
        )
        log.info("LV2 catalog: %d plugins (warm) in %.3f s", stats.plugins, stats.seconds)
        return cls._from_warm(warm, stats)

    @classmethod
    def _scan(
        cls,
        file: Path,
        path: list[Path],
        stamps: dict[str, BundleStamp],
        sample_rate: int,
        missing: tuple[str, ...],
        started: float,
    ) -> Catalog:
        """Rescan what changed (or everything) and rewrite the cache; the scan lock is held."""
        cached = read_cache(file)
        result = refresh(cached, path, stamps, sample_rate)
        if result.mode is not ScanMode.WARM:
            fresh = CacheFile(
                sample_rate=sample_rate,
                lv2_path=[str(p) for p in path],
                bundles=stamps,
                plugins=result.plugins,
                summaries=[summarize(c.info) for c in result.plugins],
            )
            try:
                write_cache(file, fresh)
            except OSError as exc:  # a read-only cache dir costs speed, not function
                log.warning("cannot write LV2 catalog cache %s: %s", file, exc)
        stats = CatalogStats(
            plugins=len(result.plugins),
            mode=result.mode,
            seconds=time.perf_counter() - started,
            rescanned=result.rescanned,
            cache_file=str(file),
            missing_specs=missing,
        )
        log.info(
            "LV2 catalog: %d plugins (%s, %d rescanned) in %.3f s",
            stats.plugins,
            stats.mode,
            stats.rescanned,
            stats.seconds,
        )
        return cls([c.info for c in result.plugins], stats)

    def plugins(self) -> list[PluginInfo]:
        return [info for s in self._summaries if (info := self.get(s.uri)) is not None]

    def get(self, uri: str) -> PluginInfo | None:
        info = self._by_uri.get(uri)
        raw = self._raw.get(uri) if info is None else None
        if raw is not None:  # thread-safe enough: two threads may both decode, both get equal data
            info = self._by_uri[uri] = msgspec.json.decode(raw, type=PluginInfo)
        return info

    def __len__(self) -> int:
        return len(self._summaries)

    def search(
        self,
        query: str = "",
        category: str = "",
        audio_inputs: int | None = None,
        audio_outputs: int | None = None,
    ) -> list[PluginSummary]:
        """Summaries whose name/brand/uri/classes/family contain every word of `query`, each
        word also through its synonyms (lv2.taxonomy); in `category` (a family or an LV2 class,
        case-insensitive) and with exactly the given audio port counts. Name matches first,
        then by name."""
        words = query.casefold().split()
        cat = category.casefold().strip()
        found: list[tuple[int, PluginSummary]] = []
        for s in self._summaries:
            if cat and s.family.casefold() != cat and all(c.casefold() != cat for c in s.category):
                continue
            if audio_inputs is not None and s.audio_inputs != audio_inputs:
                continue
            if audio_outputs is not None and s.audio_outputs != audio_outputs:
                continue
            score = _score(s, words) if words else 0
            if score is not None:
                found.append((score, s))
        found.sort(key=lambda pair: pair[0])  # stable: by name within a score
        return [s for _, s in found]

    def categories(self) -> list[str]:
        """The families in use, in the taxonomy's order (Drive, Amp & Cab, … Other)."""
        used = {s.family for s in self._summaries}
        return [f for f in FAMILIES if f in used]
