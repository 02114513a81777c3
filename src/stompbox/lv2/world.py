"""A lilv world with Python-friendly node, collection and plugin accessors (single thread)."""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Final, TypeVar

from stompbox.contract.errors import ResourceError
from stompbox.lv2.lilv import Lilv, library

LV2: Final = "http://lv2plug.in/ns/lv2core#"
RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS: Final = "http://www.w3.org/2000/01/rdf-schema#"
DOAP: Final = "http://usefulinc.com/ns/doap#"
FOAF: Final = "http://xmlns.com/foaf/0.1/"
PSET: Final = "http://lv2plug.in/ns/ext/presets#"
UNITS: Final = "http://lv2plug.in/ns/extensions/units#"
PPROPS: Final = "http://lv2plug.in/ns/ext/port-props#"
ATOM: Final = "http://lv2plug.in/ns/ext/atom#"
EVENT: Final = "http://lv2plug.in/ns/ext/event#"
TIME: Final = "http://lv2plug.in/ns/ext/time#"
MOD: Final = "http://moddevices.com/ns/mod#"
OPTION_LV2_PATH: Final = "http://drobilla.net/ns/lilv#lv2-path"

DEFAULT_LV2_PATH: Final = (
    "~/.lv2",
    "/usr/local/lib/lv2",
    "/usr/lib/lv2",
    "/usr/lib/x86_64-linux-gnu/lv2",
)

Value = str | float | int | bool
T = TypeVar("T")


def lv2_path(env: str | None = None) -> list[Path]:
    """The LV2 search path: `LV2_PATH` (colon separated) if set, else the Debian default."""
    raw = os.environ.get("LV2_PATH") if env is None else env
    parts = raw.split(":") if raw else list(DEFAULT_LV2_PATH)
    return [Path(p).expanduser() for p in parts if p]


def finite_float(x: float | None) -> float | None:
    """A finite value rounded to the shortest decimal that is still the same float32 (0.6, not
    0.6000000238418579), or None."""
    if x is None or not math.isfinite(x):
        return None
    packed = struct.pack("<f", x)
    if struct.unpack("<f", packed)[0] != x:
        return x  # not a float32 (came from a double literal)
    for digits in range(6, 10):
        short = float(f"{x:.{digits}g}")
        if struct.pack("<f", short) == packed:
            return short
    return x


class World:
    """Owns one `LilvWorld` and every node it interns; close it (or use `with`) to free them.

    `World()` loads every bundle on `path` (default: `lv2_path()`); `World(bundles=[...])` loads
    only the given bundle directories (plus nothing else: specifications come with them or not).
    """

    def __init__(
        self, path: Iterable[Path] | None = None, *, bundles: Iterable[Path] | None = None
    ) -> None:
        self.lib: Lilv = library()
        world = self.lib.ptr("lilv_world_new")
        if world is None:
            raise ResourceError("lilv_world_new failed")
        self.ptr: int = world
        self._nodes: dict[str, int] = {}
        self.path = list(lv2_path() if path is None else path)
        if bundles is None:
            value = self.lib.ptr("lilv_new_string", world, ":".join(map(str, self.path)).encode())
            self.lib.call("lilv_world_set_option", world, OPTION_LV2_PATH.encode(), value)
            self.lib.call("lilv_node_free", value)
            self.lib.call("lilv_world_load_all", world)
        else:
            for b in bundles:
                self.lib.call("lilv_world_load_bundle", world, self.file_node(b, directory=True))
            self.lib.call("lilv_world_load_specifications", world)
            self.lib.call("lilv_world_load_plugin_classes", world)

    # lifetime -------------------------------------------------------------------------------
    def close(self) -> None:
        if self.ptr:
            for node in self._nodes.values():
                self.lib.call("lilv_node_free", node)
            self._nodes.clear()
            self.lib.call("lilv_world_free", self.ptr)
            self.ptr = 0

    def __enter__(self) -> World:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # nodes ----------------------------------------------------------------------------------
    def uri(self, uri: str) -> int:
        """An interned URI node owned by the world wrapper (do not free)."""
        node = self._nodes.get(uri)
        if node is None:
            node = self.lib.ptr("lilv_new_uri", self.ptr, uri.encode())
            if node is None:
                raise ResourceError(f"lilv_new_uri failed for {uri!r}")
            self._nodes[uri] = node
        return node

    def file_node(self, path: Path, *, directory: bool = False) -> int:
        """An interned file URI node for `path` (with a trailing slash for a directory)."""
        text = str(path.resolve()) + ("/" if directory else "")
        node = self._nodes.get("file:" + text)
        if node is None:
            node = self.lib.ptr("lilv_new_file_uri", self.ptr, None, text.encode())
            if node is None:
                raise ResourceError(f"cannot make a file URI of {text!r}")
            self._nodes["file:" + text] = node
        return node

    def value(self, node: int | None) -> Value | None:
        """A borrowed node as a Python value (URI/blank id/string/number/bool)."""
        if not node:
            return None
        lib = self.lib
        if lib.flag("lilv_node_is_uri", node):
            return lib.text("lilv_node_as_uri", node)
        if lib.flag("lilv_node_is_blank", node):
            return lib.text("lilv_node_as_blank", node)
        if lib.flag("lilv_node_is_int", node):
            return lib.num("lilv_node_as_int", node)
        if lib.flag("lilv_node_is_float", node):
            return lib.real("lilv_node_as_float", node)
        if lib.flag("lilv_node_is_bool", node):
            return lib.flag("lilv_node_as_bool", node)
        return lib.text("lilv_node_as_string", node)

    def text(self, node: int | None) -> str | None:
        """A borrowed node as a string (numbers as their literal text)."""
        if not node:
            return None
        if self.lib.flag("lilv_node_is_uri", node):
            return self.lib.text("lilv_node_as_uri", node)
        if self.lib.flag("lilv_node_is_blank", node):
            return self.lib.text("lilv_node_as_blank", node)
        return self.lib.text("lilv_node_as_string", node)

    def number(self, node: int | None) -> float | None:
        if not node:
            return None
        if self.lib.flag("lilv_node_is_float", node) or self.lib.flag("lilv_node_is_int", node):
            return finite_float(self.lib.real("lilv_node_as_float", node))
        if self.lib.flag("lilv_node_is_bool", node):
            return 1.0 if self.lib.flag("lilv_node_as_bool", node) else 0.0
        return None

    def take_text(self, node: int | None) -> str | None:
        """An *owned* node as a string; frees it."""
        try:
            return self.text(node)
        finally:
            if node:
                self.lib.call("lilv_node_free", node)

    def take_number(self, node: int | None) -> float | None:
        """An *owned* node as a number; frees it."""
        try:
            return self.number(node)
        finally:
            if node:
                self.lib.call("lilv_node_free", node)

    def each(self, nodes: int | None) -> Iterator[int]:
        """Borrowed nodes of a borrowed collection."""
        if not nodes:
            return
        lib = self.lib
        it = lib.ptr("lilv_nodes_begin", nodes)
        while not lib.flag("lilv_nodes_is_end", nodes, it):
            node = lib.ptr("lilv_nodes_get", nodes, it)
            if node:
                yield node
            it = lib.ptr("lilv_nodes_next", nodes, it)

    def take_texts(self, nodes: int | None) -> list[str]:
        """An *owned* collection as strings; frees it."""
        try:
            return [t for n in self.each(nodes) if (t := self.text(n)) is not None]
        finally:
            if nodes:
                self.lib.call("lilv_nodes_free", nodes)

    def find(self, subject: int | None, predicate: str, obj: int | None = None) -> list[str]:
        """Objects (or subjects when `subject` is None) matching a triple pattern, as text."""
        nodes = self.lib.ptr("lilv_world_find_nodes", self.ptr, subject, self.uri(predicate), obj)
        return self.take_texts(nodes)

    def get_text(self, subject: int | None, predicate: str) -> str | None:
        if not subject:
            return None
        return self.take_text(
            self.lib.ptr("lilv_world_get", self.ptr, subject, self.uri(predicate), None)
        )

    def get_number(self, subject: int | None, predicate: str) -> float | None:
        if not subject:
            return None
        return self.take_number(
            self.lib.ptr("lilv_world_get", self.ptr, subject, self.uri(predicate), None)
        )

    def map_objects(self, subject: int, predicate: str, fn: Callable[[int], T]) -> list[T]:
        """`fn` applied to each (borrowed) object of `subject predicate ?o` in the world."""
        nodes = self.lib.ptr("lilv_world_find_nodes", self.ptr, subject, self.uri(predicate), None)
        return self.map_owned(nodes, fn)

    def map_plugin_values(self, plugin: int, predicate: str, fn: Callable[[int], T]) -> list[T]:
        """`fn` applied to each (borrowed) value of `plugin predicate ?o` in its data."""
        nodes = self.lib.ptr("lilv_plugin_get_value", plugin, self.uri(predicate))
        return self.map_owned(nodes, fn)

    def map_owned(self, nodes: int | None, fn: Callable[[int], T]) -> list[T]:
        try:
            return [fn(n) for n in self.each(nodes)]
        finally:
            if nodes:
                self.lib.call("lilv_nodes_free", nodes)

    def load_resource(self, uri: str) -> int:
        return self.lib.num("lilv_world_load_resource", self.ptr, self.uri(uri))

    def path_of(self, uri: str | None) -> str | None:
        return None if uri is None else self.lib.file_uri_parse(uri)

    # plugins --------------------------------------------------------------------------------
    def plugins(self) -> Iterator[int]:
        lib = self.lib
        plugins = lib.ptr("lilv_world_get_all_plugins", self.ptr)
        if not plugins:
            return
        it = lib.ptr("lilv_plugins_begin", plugins)
        while not lib.flag("lilv_plugins_is_end", plugins, it):
            plugin = lib.ptr("lilv_plugins_get", plugins, it)
            if plugin:
                yield plugin
            it = lib.ptr("lilv_plugins_next", plugins, it)

    def plugin(self, uri: str) -> int | None:
        plugins = self.lib.ptr("lilv_world_get_all_plugins", self.ptr)
        if not plugins:
            return None
        return self.lib.ptr("lilv_plugins_get_by_uri", plugins, self.uri(uri))

    def plugin_uri(self, plugin: int) -> str:
        return self.text(self.lib.ptr("lilv_plugin_get_uri", plugin)) or ""

    def plugin_bundle(self, plugin: int) -> str:
        """The plugin's bundle directory (no trailing slash)."""
        uri = self.text(self.lib.ptr("lilv_plugin_get_bundle_uri", plugin))
        return (self.path_of(uri) or "").rstrip("/")

    def plugin_data_files(self, plugin: int) -> list[str]:
        uris = self.lib.ptr("lilv_plugin_get_data_uris", plugin)
        out: list[str] = []
        for node in self.each(uris):
            p = self.path_of(self.text(node))
            if p:
                out.append(p)
        return out

    def plugin_values(self, plugin: int, predicate: str) -> list[str]:
        return self.take_texts(self.lib.ptr("lilv_plugin_get_value", plugin, self.uri(predicate)))

    def plugin_first_number(self, plugin: int, predicate: str) -> float | None:
        found = [n for n in self.map_plugin_values(plugin, predicate, self.number) if n is not None]
        return found[0] if found else None
