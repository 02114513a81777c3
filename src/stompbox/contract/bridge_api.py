"""Every method of the bridge's RPC API (service "bridge"), declared once: name, params, result.

`plugin.*`, `audio.*` and `live.*` travel in the seed's action envelope (see method.py); the
others are RPC methods of their own. The bridge registers a handler for each (bridge/service.py),
the session calls them through its `Bridge` seam (session/bridge_client.py, fake_bridge.py).
"""

from __future__ import annotations

from typing import Any

from . import bridge as b
from .live import AppliedValues, ApplyValues, FileParameter, LevelsEnable
from .method import Method
from .plugin import PluginInfo, PluginSummary, PresetInfo
from .stats import BridgeStatistics

# -- top level ------------------------------------------------------------------------------

PING = Method("ping", b.Empty, b.Pong, idempotent=True)
STATE = Method("state", b.Empty, b.BridgeState, idempotent=True)
CONNECT = Method("connect", b.Ports, b.Done)
DISCONNECT = Method("disconnect", b.Ports, b.Done)
LIST_CONNECTIONS = Method("list_connections", b.Empty, list[b.ConnectionEntry], idempotent=True)
STATISTICS = Method("statistics", b.Empty, BridgeStatistics, idempotent=True)

# -- plugin.* -------------------------------------------------------------------------------

PLUGIN_LIST: Method[b.PluginList, list[PluginSummary]] = Method(
    "plugin.list", b.PluginList, list[PluginSummary], idempotent=True, envelope=True
)
PLUGIN_CATEGORIES: Method[b.Empty, list[str]] = Method(
    "plugin.categories", b.Empty, list[str], idempotent=True, envelope=True
)
PLUGIN_INFO = Method("plugin.info", b.PluginUri, PluginInfo, idempotent=True, envelope=True)
PLUGIN_PRESETS: Method[b.PluginUri, list[PresetInfo]] = Method(
    "plugin.presets", b.PluginUri, list[PresetInfo], idempotent=True, envelope=True
)
PLUGIN_LOAD = Method("plugin.load", b.PluginLoad, b.Loaded, envelope=True)
PLUGIN_UNLOAD = Method("plugin.unload", b.InstanceRef, b.Done, envelope=True)
PLUGIN_SET_PARAMETER = Method("plugin.set_parameter", b.SetParameter, b.Value, envelope=True)
PLUGIN_GET_PARAMETER = Method(
    "plugin.get_parameter", b.GetParameter, b.Value, idempotent=True, envelope=True
)
PLUGIN_BYPASS = Method("plugin.bypass", b.Bypass, b.Done, envelope=True)
PLUGIN_LOAD_PRESET = Method("plugin.load_preset", b.LoadPreset, b.PresetParameters, envelope=True)
PLUGIN_SAVE_PRESET = Method("plugin.save_preset", b.SavePreset, b.PresetSaved, envelope=True)
PLUGIN_DELETE_PRESET = Method("plugin.delete_preset", b.PresetUri, b.Done, envelope=True)
PLUGIN_MONITOR_OUTPUT = Method("plugin.monitor_output", b.MonitorOutput, b.Done, envelope=True)
PLUGIN_RESET = Method("plugin.reset", b.Empty, b.Done, envelope=True)
PLUGIN_TRANSACTION = Method("plugin.transaction", b.Transaction, b.TransactionState, envelope=True)

# -- audio.* --------------------------------------------------------------------------------

AUDIO_STATUS = Method("audio.status", b.Empty, b.AudioStatus, idempotent=True, envelope=True)
AUDIO_SET_BUFFER_SIZE = Method("audio.set_buffer_size", b.BufferSize, b.AudioStatus, envelope=True)
AUDIO_LIST_PORTS: Method[b.ListPorts, list[b.PortEntry]] = Method(
    "audio.list_ports", b.ListPorts, list[b.PortEntry], idempotent=True, envelope=True
)
AUDIO_CPU_LOAD = Method("audio.cpu_load", b.Empty, b.CpuLoad, idempotent=True, envelope=True)
AUDIO_PROCESSING = Method("audio.processing", b.Processing, b.ProcessingState, envelope=True)

# -- live.* ---------------------------------------------------------------------------------

LIVE_PATCH_SET = Method("live.patch_set", b.PatchSet, b.Done, envelope=True)
LIVE_MIDI_MONITOR = Method("live.midi_monitor", b.MidiMonitor, b.Done, envelope=True)
LIVE_FILE_PARAMETERS: Method[b.PluginUri, list[FileParameter]] = Method(
    "live.file_parameters", b.PluginUri, list[FileParameter], idempotent=True, envelope=True
)
LIVE_APPLY = Method("live.apply", ApplyValues, AppliedValues, envelope=True)
LIVE_LEVELS = Method("live.levels", LevelsEnable, b.Done, envelope=True)

ALL: tuple[Method[Any, Any], ...] = tuple(
    v for v in list(globals().values()) if isinstance(v, Method)
)
"""Every bridge method (the conformance suite and the registration check walk it)."""
