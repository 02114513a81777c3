"""Write an LV2 preset bundle (preset file + manifest.ttl) from an instance's control values."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_PREFIXES = (
    "@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n"
    "@prefix pset: <http://lv2plug.in/ns/ext/presets#> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\n"
)


def _literal(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"'


def preset_document(uri: str, plugin_uri: str, label: str, values: dict[str, float]) -> str:
    """The Turtle text of one preset."""
    lines = [f"<{uri}>", "\ta pset:Preset ;", f"\tlv2:appliesTo <{plugin_uri}> ;"]
    lines.append(f"\trdfs:label {_literal(label)}" + (" ;" if values else " ."))
    if values:
        ports = [
            f"[\n\t\tlv2:symbol {_literal(sym)} ;\n\t\tpset:value {float(val)!r}\n\t]"
            for sym, val in sorted(values.items())
        ]
        lines.append("\tlv2:port " + " , ".join(ports) + " .")
    return _PREFIXES + "\n".join(lines) + "\n"


def manifest_document(uri: str, plugin_uri: str, filename: str) -> str:
    return (
        _PREFIXES + f"<{uri}>\n\ta pset:Preset ;\n\tlv2:appliesTo <{plugin_uri}> ;\n"
        f"\trdfs:seeAlso <{filename}> .\n"
    )


def _write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_preset(
    bundle_dir: Path, filename: str, label: str, plugin_uri: str, values: dict[str, float]
) -> tuple[str, str]:
    """Write `bundle_dir/filename` and `bundle_dir/manifest.ttl`; return (preset URI, Turtle).

    The preset URI is the file URI of the preset file, as lilv_state_save names it."""
    bundle = bundle_dir.expanduser().resolve()
    bundle.mkdir(parents=True, exist_ok=True)
    target = bundle / filename
    uri = target.as_uri()
    doc = preset_document(uri, plugin_uri, label, values)
    _write(target, doc)
    _write(bundle / "manifest.ttl", manifest_document(uri, plugin_uri, filename))
    return uri, doc
