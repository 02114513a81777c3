"""ctypes declarations of the few liblilv-0 functions stompbox needs, with typed call helpers.

Ownership (from lilv.h): nodes returned by ``lilv_new_*``, ``lilv_plugin_get_name``,
``lilv_plugin_get_project``, ``lilv_plugin_get_author_name``, ``lilv_port_get``,
``lilv_port_get_name`` and ``lilv_world_get`` are *owned* (free with ``lilv_node_free``);
collections from ``lilv_plugin_get_value``, ``lilv_port_get_value``, ``lilv_plugin_get_related``
and ``lilv_world_find_nodes`` are owned (``lilv_nodes_free``), as are scale point collections
(``lilv_scale_points_free``) and strings from ``lilv_file_uri_parse`` (``lilv_free``). Everything
else (plugin/port/class handles, uri/symbol/bundle nodes, scale point labels/values, the
plugin and class lists of the world, ``lilv_plugin_get_data_uris``) is borrowed.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable, Sequence
from typing import Any, Final, cast

from stompbox.contract.errors import ResourceError

LIBRARY: Final = "liblilv-0.so.0"

_P = ctypes.c_void_p
_S = ctypes.c_char_p
_B = ctypes.c_bool
_U32 = ctypes.c_uint32
_FP = ctypes.POINTER(ctypes.c_float)

# name -> (restype, argtypes). Pointers are opaque c_void_p (ints on the Python side).
_SIGNATURES: Final[dict[str, tuple[Any, Sequence[Any]]]] = {
    "lilv_free": (None, [_P]),
    "lilv_file_uri_parse": (_P, [_S, _P]),
    "lilv_new_uri": (_P, [_P, _S]),
    "lilv_new_string": (_P, [_P, _S]),
    "lilv_new_file_uri": (_P, [_P, _S, _S]),
    "lilv_node_free": (None, [_P]),
    "lilv_node_is_uri": (_B, [_P]),
    "lilv_node_as_uri": (_S, [_P]),
    "lilv_node_is_blank": (_B, [_P]),
    "lilv_node_as_blank": (_S, [_P]),
    "lilv_node_is_literal": (_B, [_P]),
    "lilv_node_as_string": (_S, [_P]),
    "lilv_node_is_float": (_B, [_P]),
    "lilv_node_as_float": (ctypes.c_float, [_P]),
    "lilv_node_is_int": (_B, [_P]),
    "lilv_node_as_int": (ctypes.c_int, [_P]),
    "lilv_node_is_bool": (_B, [_P]),
    "lilv_node_as_bool": (_B, [_P]),
    "lilv_nodes_free": (None, [_P]),
    "lilv_nodes_size": (ctypes.c_uint, [_P]),
    "lilv_nodes_begin": (_P, [_P]),
    "lilv_nodes_get": (_P, [_P, _P]),
    "lilv_nodes_next": (_P, [_P, _P]),
    "lilv_nodes_is_end": (_B, [_P, _P]),
    "lilv_plugins_size": (ctypes.c_uint, [_P]),
    "lilv_plugins_begin": (_P, [_P]),
    "lilv_plugins_get": (_P, [_P, _P]),
    "lilv_plugins_next": (_P, [_P, _P]),
    "lilv_plugins_is_end": (_B, [_P, _P]),
    "lilv_plugins_get_by_uri": (_P, [_P, _P]),
    "lilv_plugin_classes_get_by_uri": (_P, [_P, _P]),
    "lilv_plugin_class_get_parent_uri": (_P, [_P]),
    "lilv_plugin_class_get_uri": (_P, [_P]),
    "lilv_plugin_class_get_label": (_P, [_P]),
    "lilv_scale_points_free": (None, [_P]),
    "lilv_scale_points_begin": (_P, [_P]),
    "lilv_scale_points_get": (_P, [_P, _P]),
    "lilv_scale_points_next": (_P, [_P, _P]),
    "lilv_scale_points_is_end": (_B, [_P, _P]),
    "lilv_scale_point_get_label": (_P, [_P]),
    "lilv_scale_point_get_value": (_P, [_P]),
    "lilv_world_new": (_P, []),
    "lilv_world_set_option": (None, [_P, _S, _P]),
    "lilv_world_free": (None, [_P]),
    "lilv_world_load_all": (None, [_P]),
    "lilv_world_load_bundle": (None, [_P, _P]),
    "lilv_world_load_specifications": (None, [_P]),
    "lilv_world_load_plugin_classes": (None, [_P]),
    "lilv_world_load_resource": (ctypes.c_int, [_P, _P]),
    "lilv_world_get_plugin_class": (_P, [_P]),
    "lilv_world_get_plugin_classes": (_P, [_P]),
    "lilv_world_get_all_plugins": (_P, [_P]),
    "lilv_world_find_nodes": (_P, [_P, _P, _P, _P]),
    "lilv_world_get": (_P, [_P, _P, _P, _P]),
    "lilv_world_ask": (_B, [_P, _P, _P, _P]),
    "lilv_plugin_get_uri": (_P, [_P]),
    "lilv_plugin_get_bundle_uri": (_P, [_P]),
    "lilv_plugin_get_data_uris": (_P, [_P]),
    "lilv_plugin_get_name": (_P, [_P]),
    "lilv_plugin_get_class": (_P, [_P]),
    "lilv_plugin_get_value": (_P, [_P, _P]),
    "lilv_plugin_get_num_ports": (_U32, [_P]),
    "lilv_plugin_get_port_ranges_float": (None, [_P, _FP, _FP, _FP]),
    "lilv_plugin_get_port_by_index": (_P, [_P, _U32]),
    "lilv_plugin_get_project": (_P, [_P]),
    "lilv_plugin_get_author_name": (_P, [_P]),
    "lilv_plugin_get_related": (_P, [_P, _P]),
    "lilv_port_get_value": (_P, [_P, _P, _P]),
    "lilv_port_get": (_P, [_P, _P, _P]),
    "lilv_port_has_property": (_B, [_P, _P, _P]),
    "lilv_port_is_a": (_B, [_P, _P, _P]),
    "lilv_port_get_symbol": (_P, [_P, _P]),
    "lilv_port_get_name": (_P, [_P, _P]),
    "lilv_port_get_scale_points": (_P, [_P, _P]),
    "lilv_port_get_properties": (_P, [_P, _P]),
}


class Lilv:
    """The loaded library with every used function declared, plus typed call helpers."""

    def __init__(self, path: str = LIBRARY) -> None:
        try:
            self._dll = ctypes.CDLL(path)
        except OSError as exc:
            raise ResourceError(f"cannot load {path}: {exc}") from exc
        self._fns: dict[str, Callable[..., Any]] = {}
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(self._dll, name)
            fn.restype = restype
            fn.argtypes = list(argtypes)
            self._fns[name] = fn

    def ptr(self, name: str, *args: object) -> int | None:
        """Call a function returning a pointer (None for NULL)."""
        return cast("int | None", self._fns[name](*args))

    def flag(self, name: str, *args: object) -> bool:
        return bool(self._fns[name](*args))

    def num(self, name: str, *args: object) -> int:
        return int(self._fns[name](*args))

    def real(self, name: str, *args: object) -> float:
        return float(self._fns[name](*args))

    def text(self, name: str, *args: object) -> str | None:
        """Call a function returning a borrowed `const char*`."""
        raw = cast("bytes | None", self._fns[name](*args))
        return None if raw is None else raw.decode("utf-8", "replace")

    def call(self, name: str, *args: object) -> None:
        self._fns[name](*args)

    def file_uri_parse(self, uri: str) -> str | None:
        """`file:///a%20b/` → `/a b/` (None when not a local file URI)."""
        raw = self.ptr("lilv_file_uri_parse", uri.encode(), None)
        if raw is None:
            return None
        try:
            return ctypes.string_at(raw).decode("utf-8", "replace")
        finally:
            self.call("lilv_free", raw)


@functools.cache
def library() -> Lilv:
    """The process-wide lilv binding (loaded on first use, never at import)."""
    return Lilv()
