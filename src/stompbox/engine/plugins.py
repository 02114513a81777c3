"""LV2 metadata for the engine: ports and ranges (catalog), preset values and Turtle (lilv)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from stompbox.contract.errors import NotFoundError
from stompbox.contract.plugin import PluginInfo
from stompbox.lv2.catalog import Catalog
from stompbox.lv2.presets import preset_turtle, preset_values
from stompbox.lv2.scan import scan_plugin
from stompbox.lv2.world import World

log = logging.getLogger(__name__)


class PluginData:
    """Plugin metadata by URI, plus presets.

    The catalog (disk-cached) is loaded in the background by `load_catalog()`; until it is there,
    a plugin is scanned on demand from a lilv world (well under a millisecond per plugin). The world
    is also used for presets; every lilv call happens under one lock (lilv is not thread-safe).
    """

    def __init__(self, cache_dir: Path, sample_rate: int) -> None:
        self._cache_dir = cache_dir
        self._rate = sample_rate
        self._lock = threading.Lock()
        self._world: World | None = None
        self._catalog: Catalog | None = None
        self._scanned: dict[str, PluginInfo | None] = {}
        self._bundles: set[str] = set()

    def close(self) -> None:
        with self._lock:
            if self._world is not None:
                self._world.close()
                self._world = None

    def _w(self) -> World:
        if self._world is None:
            self._world = World()
        return self._world

    def open_world(self) -> None:
        with self._lock:
            self._w()

    def load_catalog(self) -> None:
        """Blocking; run it in a thread."""
        try:
            catalog = Catalog.load(self._cache_dir, self._rate)
        except Exception:  # the on-demand scan keeps the engine working
            log.exception("LV2 catalog failed to load; scanning plugins on demand")
            return
        self._catalog = catalog

    def info(self, uri: str) -> PluginInfo | None:
        catalog = self._catalog
        if catalog is not None:
            found = catalog.get(uri)
            if found is not None:
                return found
        if uri in self._scanned:
            return self._scanned[uri]
        with self._lock:
            world = self._w()
            plugin = world.plugin(uri)
            info = scan_plugin(world, plugin, self._rate).info if plugin is not None else None
        self._scanned[uri] = info
        return info

    def preset_values(self, uri: str) -> dict[str, float] | None:
        """The preset's port values, or None when no such preset is known."""
        with self._lock:
            world = self._w()
            self._load_file_bundle(world, uri)
            try:
                return preset_values(world, uri)
            except NotFoundError:
                return None

    def preset_turtle(self, uri: str) -> str:
        """The preset as Turtle, or "" when no such preset is known."""
        with self._lock:
            world = self._w()
            self._load_file_bundle(world, uri)
            try:
                return preset_turtle(world, uri)
            except NotFoundError:
                return ""

    def add_bundle(self, bundle_dir: Path) -> None:
        """Load a bundle written by preset_save (once; later saves are served by the caller)."""
        with self._lock:
            world = self._w()
            if str(bundle_dir) not in self._bundles:
                node = world.file_node(bundle_dir, directory=True)
                world.lib.call("lilv_world_load_bundle", world.ptr, node)
                self._bundles.add(str(bundle_dir))

    def _load_file_bundle(self, world: World, uri: str) -> None:
        if not uri.startswith("file://"):
            return
        path = world.lib.file_uri_parse(uri)
        if path is None:
            return
        bundle = Path(path).parent
        if str(bundle) not in self._bundles and (bundle / "manifest.ttl").is_file():
            world.lib.call(
                "lilv_world_load_bundle", world.ptr, world.file_node(bundle, directory=True)
            )
            self._bundles.add(str(bundle))
