"""Bring a cached catalog up to date: full scan, or rescan only the plugins of changed bundles."""

from __future__ import annotations

import enum
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import msgspec

from stompbox.lv2.cache import BundleIndex, BundleStamp, CachedPlugin, CacheFile, changed_bundles
from stompbox.lv2.scan import scan_plugin
from stompbox.lv2.world import LV2, PSET, RDF, RDFS, World

log = logging.getLogger(__name__)

MAX_WORKERS = 4
MIN_PER_WORKER = 32
"""A share smaller than this is not worth a process start (~0.3 s: interpreter, imports)."""


class ScanMode(enum.StrEnum):
    COLD = "cold"  # no usable cache: every plugin scanned
    WARM = "warm"  # nothing changed: the cache read, lilv never loaded
    PARTIAL = "partial"  # some bundles changed: only their plugins rescanned
    FULL = "full"  # a change we could not attribute (e.g. a specification bundle): all rescanned


class RescanResult(msgspec.Struct, frozen=True):
    mode: ScanMode
    plugins: list[CachedPlugin]
    rescanned: int


def _scan(world: World, plugin: int, index: BundleIndex, sample_rate: int) -> CachedPlugin | None:
    uri = world.plugin_uri(plugin)
    try:
        scanned = scan_plugin(world, plugin, sample_rate)
    except Exception:  # one broken plugin must not break the catalog
        log.warning("skipping LV2 plugin %s: scan failed", uri, exc_info=True)
        return None
    bundles = index.bundles_of([*scanned.sources, scanned.info.bundle + "/manifest.ttl"])
    return CachedPlugin(info=scanned.info, bundles=bundles)


def _scan_some(
    lv2_path: list[Path], stamps: dict[str, BundleStamp], sample_rate: int, uris: list[str] | None
) -> list[CachedPlugin]:
    """Scan the plugins `uris` of the path (all when None), in the path's order."""
    index = BundleIndex(stamps)
    with World(lv2_path) as world:
        if uris is None:
            return [c for p in world.plugins() if (c := _scan(world, p, index, sample_rate))]
        found = (world.plugin(uri) for uri in uris)
        return [c for p in found if p and (c := _scan(world, p, index, sample_rate))]


def _scan_share(lv2_path: list[str], stamps: bytes, sample_rate: int, uris: list[str]) -> bytes:
    """A scan worker's share (in its own process: its own lilv world), encoded for the pipe."""
    decoded = msgspec.msgpack.decode(stamps, type=dict[str, BundleStamp])
    return _encoder.encode(_scan_some([Path(p) for p in lv2_path], decoded, sample_rate, uris))


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(list[CachedPlugin])


def scan_workers() -> int:
    """Processes for a full scan: one per core this process may use, at most MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def full_scan(
    lv2_path: list[Path],
    stamps: dict[str, BundleStamp],
    sample_rate: int,
    workers: int | None = None,
) -> list[CachedPlugin]:
    """Scan every plugin on the path, split across `workers` processes (default: one per core).

    The time goes into lilv parsing each plugin's data (LSP's 26 MB of Turtle alone) and our
    queries of it; both are per plugin, so shares scan side by side, each in a world of its own
    (loading the manifests costs ~40 ms). Shares are dealt round-robin, so the heavy bundles
    spread over every worker; the result keeps the path's order. A pool that cannot start
    (or a worker that dies) costs speed, not the catalog: the scan runs here instead."""
    n = scan_workers() if workers is None else max(1, workers)
    with World(lv2_path) as world:
        uris = [world.plugin_uri(p) for p in world.plugins()]
    if n == 1 or len(uris) < MIN_PER_WORKER * 2:
        return _scan_some(lv2_path, stamps, sample_rate, None)
    n = min(n, len(uris) // MIN_PER_WORKER)
    shares = [uris[i::n] for i in range(n)]
    path = [str(p) for p in lv2_path]
    packed = msgspec.msgpack.encode(stamps)
    try:
        with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn")) as pool:
            parts = list(
                pool.map(
                    _scan_share,
                    *zip(*[(path, packed, sample_rate, s) for s in shares], strict=True),
                )
            )
    except (OSError, BrokenProcessPool) as exc:
        log.warning("parallel LV2 scan failed (%s); scanning in this process", exc)
        return _scan_some(lv2_path, stamps, sample_rate, None)
    scanned = {c.info.uri: c for part in parts for c in _decoder.decode(part)}
    return [scanned[uri] for uri in uris if uri in scanned]


def _preset_bundles(world: World, index: BundleIndex) -> dict[str, set[str]]:
    """`{bundle: {plugin uri}}` for every preset declared in any manifest (cheap: no data load)."""
    out: dict[str, set[str]] = {}
    for preset in world.find(None, RDF + "type", world.uri(PSET + "Preset")):
        node = world.uri(preset)
        plugins = world.find(node, LV2 + "appliesTo")
        for also in world.find(node, RDFS + "seeAlso"):
            path = world.path_of(also)
            bundle = index.bundle_of(path) if path else None
            if bundle is not None:
                out.setdefault(bundle, set()).update(plugins)
    return out


def refresh(
    cached: CacheFile | None, lv2_path: list[Path], stamps: dict[str, BundleStamp], sample_rate: int
) -> RescanResult:
    """Up-to-date plugins for `stamps`, reusing `cached` entries whose bundles did not change."""
    usable = (
        cached is not None
        and cached.sample_rate == sample_rate
        and cached.lv2_path == [str(p) for p in lv2_path]
    )
    if cached is None or not usable:
        scanned = full_scan(lv2_path, stamps, sample_rate)
        return RescanResult(mode=ScanMode.COLD, plugins=scanned, rescanned=len(scanned))
    changed = changed_bundles(cached.bundles, stamps)
    if not changed:
        return RescanResult(mode=ScanMode.WARM, plugins=list(cached.plugins), rescanned=0)
    index = BundleIndex(stamps.keys() | cached.bundles.keys())
    old = {c.info.uri: c for c in cached.plugins}
    with World(lv2_path) as world:
        live = {world.plugin_uri(p): p for p in world.plugins()}
        attributed: set[str] = set()
        affected: set[str] = set()
        for c in cached.plugins:
            attributed.update(c.bundles)
            if changed.intersection(c.bundles):
                affected.add(c.info.uri)
        for uri, p in live.items():
            files = [*world.plugin_data_files(p), world.plugin_bundle(p) + "/manifest.ttl"]
            bundles = index.bundles_of(files)
            attributed.update(bundles)
            if uri not in old or changed.intersection(bundles):
                affected.add(uri)
        for bundle, plugin_uris in _preset_bundles(world, index).items():
            attributed.add(bundle)
            if bundle in changed:
                affected.update(plugin_uris)
        unattributed = changed - attributed
        if not unattributed:
            plugins: list[CachedPlugin] = []
            rescanned = 0
            for uri, p in live.items():
                if uri in affected:
                    rescanned += 1
                    fresh = _scan(world, p, index, sample_rate)
                    if fresh is not None:
                        plugins.append(fresh)
                elif uri in old:
                    plugins.append(old[uri])
            return RescanResult(mode=ScanMode.PARTIAL, plugins=plugins, rescanned=rescanned)
    log.info(
        "LV2 bundles changed that hold no plugin or preset: %s; rescanning all",
        sorted(unattributed)[:5],
    )
    every = full_scan(lv2_path, stamps, sample_rate)
    return RescanResult(mode=ScanMode.FULL, plugins=every, rescanned=len(every))
