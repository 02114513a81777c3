"""Turn lilv's view of one plugin into the contract's `PluginInfo` (ports, presets, brand)."""

from __future__ import annotations

import ctypes
import math
from typing import Final

import msgspec

from stompbox.contract.plugin import (
    Direction,
    PluginInfo,
    PortInfo,
    PortType,
    PresetInfo,
    ScalePoint as ScalePointInfo,
)
from stompbox.lv2.world import (
    ATOM,
    DOAP,
    EVENT,
    FOAF,
    LV2,
    MOD,
    PPROPS,
    PSET,
    RDF,
    RDFS,
    TIME,
    UNITS,
    World,
    finite_float,
)

DEFAULT_SAMPLE_RATE: Final = 48000

_DESIGNATIONS: Final = {
    LV2 + "enabled": "enabled",
    LV2 + "latency": "latency",
    LV2 + "freeWheeling": "freewheeling",
    LV2 + "control": "control",
    TIME + "beatsPerMinute": "bpm",
    TIME + "beatsPerBar": "bpb",
    TIME + "speed": "speed",
    "http://kxstudio.sf.net/ns/lv2ext/props#Reset": "reset",
}
_UNIT_FALLBACK: Final = {"pc": "%", "db": "dB", "hz": "Hz", "khz": "kHz", "mhz": "MHz"}


class Scanned(msgspec.Struct, frozen=True):
    """One scanned plugin plus the files its metadata came from (for cache invalidation)."""

    info: PluginInfo
    sources: list[str]


def short_designation(uri: str) -> str:
    """`lv2:enabled` → "enabled", `time:beatsPerMinute` → "bpm", others → their local name."""
    known = _DESIGNATIONS.get(uri)
    if known:
        return known
    return uri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _category_label(label: str) -> str:
    return label.removesuffix("Plugin").strip()


def categories(world: World, plugin: int) -> list[str]:
    """Labels of the plugin's classes, each preceded by its ancestors (root `Plugin` left out)."""
    lib = world.lib
    classes = lib.ptr("lilv_world_get_plugin_classes", world.ptr)
    # by URI: sord lists a subject's objects (and lilv_plugin_get_class picks the first of
    # them) in an order that varies from run to run, and between scan processes
    types = sorted(world.plugin_values(plugin, RDF + "type"))
    out: list[str] = []
    for class_uri in types:
        chain: list[str] = []
        uri: str | None = class_uri
        seen: set[str] = set()
        while uri and uri != LV2 + "Plugin" and uri not in seen and classes:
            seen.add(uri)
            cls = lib.ptr("lilv_plugin_classes_get_by_uri", classes, world.uri(uri))
            if not cls:
                break
            label = world.text(lib.ptr("lilv_plugin_class_get_label", cls))
            if label:
                chain.insert(0, _category_label(label))
            uri = world.text(lib.ptr("lilv_plugin_class_get_parent_uri", cls))
        if uri == LV2 + "Plugin":  # only real plugin classes (not e.g. doap:Project)
            out.extend(c for c in chain if c and c not in out)
    return out


def _brand(world: World, plugin: int, author: str) -> str:
    brand = world.plugin_values(plugin, MOD + "brand")
    if brand:
        return brand[0]
    names = world.map_plugin_values(
        plugin, DOAP + "maintainer", lambda n: world.get_text(n, FOAF + "name")
    )
    for name in names:
        if name:
            return name
    project = world.lib.ptr("lilv_plugin_get_project", plugin)
    if project:
        try:
            names = world.map_objects(
                project, DOAP + "maintainer", lambda n: world.get_text(n, FOAF + "name")
            )
        finally:
            world.lib.call("lilv_node_free", project)
        for name in names:
            if name:
                return name
    return author


def _version(world: World, plugin: int) -> str:
    minor = world.plugin_first_number(plugin, LV2 + "minorVersion")
    micro = world.plugin_first_number(plugin, LV2 + "microVersion")
    if minor is None and micro is None:
        return ""
    return f"{int(minor or 0)}.{int(micro or 0)}"


def _scale_points(world: World, plugin: int, port: int) -> list[ScalePointInfo]:
    lib = world.lib
    points = lib.ptr("lilv_port_get_scale_points", plugin, port)
    if not points:
        return []
    out: list[ScalePointInfo] = []
    try:
        it = lib.ptr("lilv_scale_points_begin", points)
        while not lib.flag("lilv_scale_points_is_end", points, it):
            sp = lib.ptr("lilv_scale_points_get", points, it)
            if sp:
                label = world.text(lib.ptr("lilv_scale_point_get_label", sp))
                value = world.number(lib.ptr("lilv_scale_point_get_value", sp))
                if value is not None and math.isfinite(value):
                    out.append(ScalePointInfo(label=label or str(value), value=value))
            it = lib.ptr("lilv_scale_points_next", points, it)
    finally:
        lib.call("lilv_scale_points_free", points)
    out.sort(key=lambda p: p.value)
    return out


def _units(world: World, plugin: int, port: int) -> str | None:
    unit = world.lib.ptr("lilv_port_get", plugin, port, world.uri(UNITS + "unit"))
    if not unit:
        return None
    try:
        symbol = world.get_text(unit, UNITS + "symbol")
        if symbol:
            return symbol
        text = world.text(unit) or ""
    finally:
        world.lib.call("lilv_node_free", unit)
    local = text.rsplit("#", 1)[-1]
    return _UNIT_FALLBACK.get(local, local) or None


def _port_type(world: World, plugin: int, port: int) -> PortType | None:
    def is_a(cls: str) -> bool:
        return world.lib.flag("lilv_port_is_a", plugin, port, world.uri(cls))

    if is_a(LV2 + "AudioPort"):
        return PortType.AUDIO
    if is_a(LV2 + "ControlPort"):
        return PortType.CONTROL
    if is_a(LV2 + "CVPort"):
        return PortType.CV
    if is_a(ATOM + "AtomPort") or is_a(EVENT + "EventPort"):
        return PortType.MIDI
    return None


def scan_port(
    world: World, plugin: int, index: int, ranges: tuple[float, float, float], sample_rate: int
) -> PortInfo | None:
    """One port, or None when its type or direction is not one the contract knows."""
    lib = world.lib
    port = lib.ptr("lilv_plugin_get_port_by_index", plugin, index)
    if not port:
        return None
    ptype = _port_type(world, plugin, port)
    if lib.flag("lilv_port_is_a", plugin, port, world.uri(LV2 + "InputPort")):
        direction = Direction.INPUT
    elif lib.flag("lilv_port_is_a", plugin, port, world.uri(LV2 + "OutputPort")):
        direction = Direction.OUTPUT
    else:
        return None
    if ptype is None:
        return None
    # symbol and name are literals: read as strings (no node-type probes)
    symbol = lib.text("lilv_node_as_string", lib.ptr("lilv_port_get_symbol", plugin, port))
    symbol = symbol or f"port{index}"
    name_node = lib.ptr("lilv_port_get_name", plugin, port)
    name = symbol
    if name_node:
        name = lib.text("lilv_node_as_string", name_node) or symbol
        lib.call("lilv_node_free", name_node)
    # every lv2:portProperty at once (one query, not one per property asked about)
    properties = set(world.take_texts(lib.ptr("lilv_port_get_properties", plugin, port)))

    def has(prop: str) -> bool:
        return prop in properties

    def mod(pred: str) -> float | None:
        return finite_float(
            world.take_number(lib.ptr("lilv_port_get", plugin, port, world.uri(pred)))
        )

    designation_uri = world.take_text(
        lib.ptr("lilv_port_get", plugin, port, world.uri(LV2 + "designation"))
    )
    designation = short_designation(designation_uri) if designation_uri else None
    if designation is None and has(LV2 + "reportsLatency"):
        designation = "latency"
    sample_rate_prop = has(LV2 + "sampleRate")
    fields: dict[str, object] = {}
    if ptype is PortType.CONTROL:
        lo = mod(MOD + "minimum")
        hi = mod(MOD + "maximum")
        de = mod(MOD + "default")
        lo = finite_float(ranges[0]) if lo is None else lo
        hi = finite_float(ranges[1]) if hi is None else hi
        de = finite_float(ranges[2]) if de is None else de
        if lo is None:
            lo = min(0.0, de) if de is not None else 0.0
        if hi is None:
            hi = max(1.0, lo, de if de is not None else lo)
        if de is None:
            de = lo
        if sample_rate_prop:
            lo, hi, de = lo * sample_rate, hi * sample_rate, de * sample_rate
        fields = {
            "minimum": lo,
            "maximum": hi,
            "default": de,
            "units": _units(world, plugin, port),
            "scale_points": _scale_points(world, plugin, port),
        }
    return PortInfo(
        index=index,
        symbol=symbol,
        name=name,
        type=ptype,
        direction=direction,
        toggled=has(LV2 + "toggled"),
        integer=has(LV2 + "integer"),
        logarithmic=has(PPROPS + "logarithmic"),
        enumeration=has(LV2 + "enumeration"),
        sample_rate=sample_rate_prop,
        designation=designation,
        optional=has(LV2 + "connectionOptional"),
        **fields,  # type: ignore[arg-type]
    )


def scan_presets(world: World, plugin: int) -> tuple[list[PresetInfo], list[str]]:
    """The plugin's presets sorted by label, and the files that describe them."""
    files: list[str] = []

    def one(node: int) -> PresetInfo | None:
        uri = world.text(node)
        if not uri:
            return None
        label = world.get_text(node, RDFS + "label")
        if label is None:
            world.lib.num("lilv_world_load_resource", world.ptr, node)
            label = world.get_text(node, RDFS + "label")
        for also in world.map_objects(node, RDFS + "seeAlso", world.text):
            path = world.path_of(also)
            if path:
                files.append(path)
        return PresetInfo(uri=uri, label=label or uri.rsplit("#", 1)[-1].rsplit("/", 1)[-1])

    related = world.lib.ptr("lilv_plugin_get_related", plugin, world.uri(PSET + "Preset"))
    presets = [p for p in world.map_owned(related, one) if p is not None]
    presets.sort(key=lambda p: (p.label.casefold(), p.uri))
    return presets, files


MAX_DESCRIPTION = 2000


def _description(world: World, plugin: int) -> str:
    """The plugin's rdfs:comment (its own words about what it does), whitespace tidied."""
    texts = world.plugin_values(plugin, "http://www.w3.org/2000/01/rdf-schema#comment")
    return " ".join(texts[0].split())[:MAX_DESCRIPTION] if texts else ""


def scan_plugin(world: World, plugin: int, sample_rate: int = DEFAULT_SAMPLE_RATE) -> Scanned:
    """Everything the contract knows about one plugin of `world`."""
    lib = world.lib
    uri = world.plugin_uri(plugin)
    name = world.take_text(lib.ptr("lilv_plugin_get_name", plugin)) or uri
    author = world.take_text(lib.ptr("lilv_plugin_get_author_name", plugin)) or ""
    n = lib.num("lilv_plugin_get_num_ports", plugin)
    mins, maxs, defs = (ctypes.c_float * n)(), (ctypes.c_float * n)(), (ctypes.c_float * n)()
    if n:
        lib.call("lilv_plugin_get_port_ranges_float", plugin, mins, maxs, defs)
    ports = [
        p
        for i in range(n)
        if (p := scan_port(world, plugin, i, (mins[i], maxs[i], defs[i]), sample_rate)) is not None
    ]
    presets, preset_files = scan_presets(world, plugin)
    info = PluginInfo(
        uri=uri,
        name=name,
        brand=_brand(world, plugin, author),
        author=author,
        version=_version(world, plugin),
        category=categories(world, plugin),
        description=_description(world, plugin),
        bundle=world.plugin_bundle(plugin),
        ports=ports,
        presets=presets,
    )
    sources = sorted({*world.plugin_data_files(plugin), *preset_files})
    return Scanned(info=info, sources=sources)


def plugin_info(
    world: World, uri: str, sample_rate: int = DEFAULT_SAMPLE_RATE
) -> PluginInfo | None:
    """One plugin's metadata straight from `world` (no catalog scan), or None when unknown."""
    plugin = world.plugin(uri)
    return None if plugin is None else scan_plugin(world, plugin, sample_rate).info
