"""The user's preset bundles in the data dir: list them (lilv reads each bundle) and delete one."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

from stompbox.contract.errors import NotFoundError, ValidationError
from stompbox.lv2.world import LV2, PSET, RDF, RDFS, World

log = logging.getLogger(__name__)

Presets = dict[str, dict[str, str]]
"""plugin uri → {preset uri: label}"""


def _bundles(preset_dir: Path) -> list[Path]:
    try:
        return sorted(
            b
            for b in preset_dir.iterdir()
            if b.suffix == ".lv2" and not b.is_symlink() and (b / "manifest.ttl").is_file()
        )
    except OSError:
        return []


def read_presets(preset_dir: Path) -> Presets:
    """Every preset saved in `preset_dir/*.lv2`, by the plugin it applies to (blocking: lilv).

    Read with lilv so that bundles written by a real mod-host (lilv_state_save) count too; a
    bundle lilv cannot read is left out (and logged), never an error."""
    bundles = _bundles(preset_dir)
    found: Presets = {}
    if not bundles:
        return found
    with World(path=[], bundles=bundles) as world:
        for uri in world.find(None, RDF + "type", world.uri(PSET + "Preset")):
            node = world.uri(uri)
            world.load_resource(uri)
            plugin = world.get_text(node, LV2 + "appliesTo")
            if plugin is None:
                log.warning("user preset %s names no plugin: left out", uri)
                continue
            label = world.get_text(node, RDFS + "label") or uri.rsplit("/", 1)[-1]
            found.setdefault(plugin, {})[uri] = label
    return found


def bundle_of(preset_dir: Path, uri: str) -> Path:
    """The bundle directory of user preset `uri`: a `*.lv2` directly in `preset_dir`, or a
    ValidationError (a file URI elsewhere, `..`, a symlink out: nothing outside is touched)."""
    parts = urlsplit(uri)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost") or "\0" in uri:
        raise ValidationError("not a user preset (not a file in the data dir)", {"uri": uri})
    try:
        path = Path(unquote(parts.path))
        bundle = path.parent.resolve(strict=True)
        root = preset_dir.resolve(strict=True)
    except (OSError, ValueError) as exc:
        raise NotFoundError(f"no user preset {uri}", {"uri": uri}) from exc
    if bundle.parent != root or bundle.suffix != ".lv2" or path.parent.is_symlink():
        raise ValidationError("not a user preset (not a bundle in the data dir)", {"uri": uri})
    return bundle


def delete_bundle(bundle: Path) -> None:
    """Remove a user preset bundle and everything in it (symlinks inside are not followed)."""
    try:
        shutil.rmtree(bundle)
    except OSError as exc:
        raise ValidationError(f"cannot delete the preset bundle: {exc}") from exc
