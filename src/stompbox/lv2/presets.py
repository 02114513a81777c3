"""Read one LV2 preset from a lilv world: its port values, and the preset as Turtle text."""

from __future__ import annotations

import math

from stompbox.contract.errors import NotFoundError, ResourceError
from stompbox.lv2.world import LV2, PSET, RDF, RDFS, World


def _load(world: World, preset_uri: str) -> int:
    try:
        node = world.uri(preset_uri)
    except ResourceError:  # not even a URI lilv accepts: no such preset
        raise NotFoundError(f"unknown preset {preset_uri}", {"uri": preset_uri}) from None
    if not world.lib.flag(
        "lilv_world_ask", world.ptr, node, world.uri(RDF + "type"), world.uri(PSET + "Preset")
    ):
        raise NotFoundError(f"unknown preset {preset_uri}", {"uri": preset_uri})
    world.load_resource(preset_uri)
    return node


def _port_values(world: World, node: int) -> dict[str, float]:
    def pair(port: int) -> tuple[str | None, float | None]:
        return world.get_text(port, LV2 + "symbol"), world.get_number(port, PSET + "value")

    return {
        sym: val
        for sym, val in world.map_objects(node, LV2 + "port", pair)
        if sym is not None and val is not None and math.isfinite(val)
    }


def preset_values(world: World, preset_uri: str) -> dict[str, float]:
    """`{symbol: value}` of the preset's `lv2:port [ lv2:symbol …; pset:value … ]` entries.

    Raises NotFoundError when the world knows no preset with that URI."""
    return _port_values(world, _load(world, preset_uri))


def preset_label(world: World, preset_uri: str) -> str:
    node = _load(world, preset_uri)
    return world.get_text(node, RDFS + "label") or ""


def _literal(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"'


def preset_turtle(world: World, preset_uri: str) -> str:
    """The preset as a small Turtle document (label, plugin, port values).

    Built from the world model rather than copied from the file, because bundles such as mda
    keep many presets in one file. Non-port state (`state:state`) is not included."""
    node = _load(world, preset_uri)
    label = world.get_text(node, RDFS + "label")
    applies = world.map_objects(node, LV2 + "appliesTo", world.text)
    values = _port_values(world, node)
    lines = [
        "@prefix lv2: <http://lv2plug.in/ns/lv2core#> .",
        "@prefix pset: <http://lv2plug.in/ns/ext/presets#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "",
        f"<{preset_uri}>",
        "\ta pset:Preset ;",
    ]
    lines += [f"\tlv2:appliesTo <{a}> ;" for a in applies if a]
    if label is not None:
        lines.append(f"\trdfs:label {_literal(label)} ;")
    if values:
        ports = [
            f"[\n\t\tlv2:symbol {_literal(sym)} ;\n\t\tpset:value {val!r}\n\t]"
            for sym, val in sorted(values.items())
        ]
        lines.append("\tlv2:port " + " , ".join(ports) + " .")
    else:
        lines[-1] = lines[-1].removesuffix(" ;") + " ."
    return "\n".join(lines) + "\n"
