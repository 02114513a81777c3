"""File parameters of a plugin: its `patch:writable` properties whose range is `atom:Path`.

Read from one bundle on demand (the catalog cache does not carry them): the property URI, its
label and the file types it declares (`mod:fileTypes`, e.g. "ir,wav"), mapped to the file
extensions a picker offers.
"""

from __future__ import annotations

from pathlib import Path

from stompbox.contract.live import FileParameter

from .world import World

PATCH_WRITABLE = "http://lv2plug.in/ns/ext/patch#writable"
RDFS_RANGE = "http://www.w3.org/2000/01/rdf-schema#range"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ATOM_PATH = "http://lv2plug.in/ns/ext/atom#Path"
MOD_FILE_TYPES = "http://moddevices.com/ns/mod#fileTypes"

TYPE_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "ir": (".wav", ".flac"),
    "cabsim": (".wav", ".flac"),
    "audioloop": (".wav", ".flac"),
    "audiosample": (".wav", ".flac"),
    "audiotrack": (".wav", ".flac"),
    "audiorecording": (".wav", ".flac"),
    "nammodel": (".nam",),
    "aidadspmodel": (".json", ".aidax"),
    "mlmodel": (".json",),
}
DEFAULT_EXTENSIONS = (".wav", ".flac")  # an atom:Path with no declared type: audio files


def extensions_for(types: list[str]) -> list[str]:
    out: list[str] = []
    for t in types:
        t = t.strip().lower()
        for ext in TYPE_EXTENSIONS.get(t, (f".{t}",) if t.isalnum() else ()):
            if ext not in out:
                out.append(ext)
    return out or list(DEFAULT_EXTENSIONS)


def file_parameters(bundle: Path, plugin_uri: str) -> list[FileParameter]:
    """The path parameters `plugin_uri` (in `bundle`) declares writable, in declaration order."""
    with World(bundles=[bundle]) as world:
        plugin = world.plugin(plugin_uri)
        if plugin is None:
            return []
        found: list[FileParameter] = []
        for prop in world.plugin_values(plugin, PATCH_WRITABLE):
            node = world.uri(prop)
            if ATOM_PATH not in world.find(node, RDFS_RANGE):
                continue
            label = world.get_text(node, RDFS_LABEL) or prop.rsplit("#", 1)[-1]
            declared = world.get_text(node, MOD_FILE_TYPES) or ""
            types = [t.strip() for t in declared.split(",") if t.strip()]
            found.append(FileParameter(prop, label, types, extensions_for(types)))
        return found
