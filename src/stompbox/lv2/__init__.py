"""LV2 metadata via liblilv (ctypes): the plugin catalog with its disk cache, and preset reading.

`Catalog.load(cache_dir)` gives every installed plugin as contract `PluginInfo`; `World` is one
lilv world for quick single-plugin look-ups (`plugin_info`) and presets (`preset_values`,
`preset_turtle`) without scanning the whole catalog.
"""

from stompbox.lv2.catalog import Catalog, CatalogStats
from stompbox.lv2.presets import preset_label, preset_turtle, preset_values
from stompbox.lv2.rescan import ScanMode
from stompbox.lv2.scan import DEFAULT_SAMPLE_RATE, plugin_info
from stompbox.lv2.world import World, lv2_path

__all__ = [
    "DEFAULT_SAMPLE_RATE",
    "Catalog",
    "CatalogStats",
    "ScanMode",
    "World",
    "lv2_path",
    "plugin_info",
    "preset_label",
    "preset_turtle",
    "preset_values",
]
