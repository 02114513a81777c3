"""Every method of the session's RPC API (service "session"), declared once: name, params, result.

The session registers one handler per method (session/routes.py, one table); the web routes and
the tests call them with `await client.call(METHOD, Params(...))` and get the typed result.
Adding a method: declare it here, route it in session/routes.py, call it from web/ (README).
"""

from __future__ import annotations

from typing import Any

from . import history as h, live as lv, session as s
from .bridge import AudioStatus, PortEntry, PresetParameters
from .method import Method
from .model import Connection, Pedalboard, PluginInstance
from .plugin import PluginInfo, PluginSummary, PresetInfo
from .stats import SessionStatistics

E = s.Empty

# -- state ----------------------------------------------------------------------------------

STATE = Method("state", E, s.SessionState, idempotent=True)
HEALTH = Method("health", E, s.Health, idempotent=True)
STATISTICS = Method("statistics", E, SessionStatistics, idempotent=True)

# -- plugins on the board -------------------------------------------------------------------

LOAD_PLUGIN = Method("load_plugin", s.LoadPlugin, PluginInstance)
UNLOAD_PLUGIN = Method("unload_plugin", h.EditInstance, s.Done)
SET_PARAMETER = Method("set_parameter", h.EditParameter, s.ValueResult)
SET_PARAMETERS = Method("set_parameters", s.SetParameters, s.ParameterValues)
BYPASS_PLUGIN = Method("bypass_plugin", h.EditBypass, s.Done)
MOVE_PLUGIN = Method("move_plugin", h.EditMove, s.Done)
SET_KNOBS = Method("set_knobs", h.EditKnobs, s.Done)
LOAD_PRESET = Method("load_preset", h.EditPreset, PresetParameters)
SAVE_PRESET = Method("save_preset", s.SavePreset, s.PresetSaved)
DELETE_PRESET = Method("delete_preset", s.PresetUri, s.Done)
CONNECT = Method("connect", h.EditPorts, Connection)
DISCONNECT = Method("disconnect", h.EditPorts, s.Done)
HISTORY_UNDO = Method("history.undo", h.HistoryRequest, h.UndoResult)
HISTORY_REDO = Method("history.redo", h.HistoryRequest, h.UndoResult)

# -- catalog (relayed to the bridge) --------------------------------------------------------

LIST_PLUGINS = Method("list_plugins", s.ListPlugins, list[PluginSummary], idempotent=True)
PLUGIN_INFO = Method("plugin_info", s.PluginUri, PluginInfo, idempotent=True)
PLUGIN_PRESETS = Method("plugin_presets", s.PluginUri, list[PresetInfo], idempotent=True)
CATEGORIES = Method("categories", E, list[str], idempotent=True)

# -- pedalboards ----------------------------------------------------------------------------

PEDALBOARD_CREATE = Method("pedalboard.create", s.BoardName, s.LoadBoardResult)
PEDALBOARD_LIST = Method("pedalboard.list", E, list[s.BoardSummary], idempotent=True)
PEDALBOARD_LOAD = Method("pedalboard.load", s.BoardId, s.LoadBoardResult)
PEDALBOARD_SAVE = Method("pedalboard.save", E, Pedalboard)
PEDALBOARD_SAVE_AS = Method("pedalboard.save_as", s.BoardName, Pedalboard)
PEDALBOARD_RENAME = Method("pedalboard.rename", s.RenameBoard, Pedalboard)
PEDALBOARD_DELETE = Method("pedalboard.delete", s.BoardId, s.Done)
PEDALBOARD_CURRENT = Method("pedalboard.current", E, Pedalboard, idempotent=True)
PEDALBOARD_DISCARD_PENDING = Method("pedalboard.discard_pending", E, s.BoardPendingData)
PEDALBOARD_RETRY_PENDING = Method("pedalboard.retry_pending", E, s.LoadBoardResult)

# -- audio and engine -----------------------------------------------------------------------

AUDIO_STATUS = Method("audio.status", E, AudioStatus, idempotent=True)
AUDIO_SET_BUFFER_SIZE = Method("audio.set_buffer_size", s.BufferSize, AudioStatus)
AUDIO_LIST_PORTS = Method("audio.list_ports", s.ListPorts, list[PortEntry], idempotent=True)
ENGINE_STATUS = Method("engine.status", E, s.EngineStatus, idempotent=True)
ENGINE_PROCESSING = Method("engine.processing", s.Processing, s.EngineStatus)

# -- snapshots ------------------------------------------------------------------------------

SNAPSHOT_LIST = Method("snapshot.list", E, lv.SnapshotsChangedData, idempotent=True)
SNAPSHOT_SAVE = Method("snapshot.save", lv.SaveSnapshot, lv.Snapshot)
SNAPSHOT_RECALL = Method("snapshot.recall", lv.SnapshotRef, lv.RecallResult)
SNAPSHOT_STEP = Method("snapshot.step", lv.SnapshotStep, lv.RecallResult)
SNAPSHOT_RENAME = Method("snapshot.rename", lv.RenameSnapshot, lv.Snapshot)
SNAPSHOT_DELETE = Method("snapshot.delete", lv.SnapshotRef, s.Done)

# -- setlists -------------------------------------------------------------------------------

SETLIST_LIST = Method("setlist.list", E, list[lv.SetlistSummary], idempotent=True)
SETLIST_GET = Method("setlist.get", lv.SetlistRef, lv.Setlist, idempotent=True)
SETLIST_CREATE = Method("setlist.create", lv.CreateSetlist, lv.Setlist)
SETLIST_UPDATE = Method("setlist.update", lv.UpdateSetlist, lv.Setlist)
SETLIST_DELETE = Method("setlist.delete", lv.SetlistRef, s.Done)
SETLIST_STATE = Method("setlist.state", E, lv.SetlistState, idempotent=True)
SETLIST_GO = Method("setlist.go", lv.SetlistGo, lv.SetlistState)
SETLIST_NEXT = Method("setlist.next", E, lv.SetlistState)
SETLIST_PREVIOUS = Method("setlist.previous", E, lv.SetlistState)
SETLIST_LEAVE = Method("setlist.leave", E, lv.SetlistState)

# -- tuner, meter, load ---------------------------------------------------------------------

TUNER_START = Method("tuner.start", lv.TunerStart, lv.TunerReading)
TUNER_STOP = Method("tuner.stop", E, lv.TunerReading)
TUNER_STATE = Method("tuner.state", E, lv.TunerReading, idempotent=True)
METER_START = Method("meter.start", E, lv.MeterReading)
METER_STOP = Method("meter.stop", E, lv.MeterReading)
METER_STATE = Method("meter.state", E, lv.MeterReading, idempotent=True)
LOAD_STATS = Method("load.stats", E, lv.LoadStats, idempotent=True)

# -- MIDI -----------------------------------------------------------------------------------

MIDI_BINDINGS = Method("midi.bindings", E, lv.MidiBindingsState, idempotent=True)
MIDI_BIND = Method("midi.bind", lv.MidiBinding, lv.MidiBinding)
MIDI_UNBIND = Method("midi.unbind", lv.BindingRef, s.Done)
MIDI_LEARN = Method("midi.learn", lv.LearnBinding, lv.MidiBindingsState)
MIDI_LEARN_CANCEL = Method("midi.learn_cancel", E, lv.MidiBindingsState)
MIDI_PROGRAM_CHANGE = Method("midi.program_change", lv.ProgramChangeConfig, lv.MidiBindingsState)
MIDI_INPUT = Method("midi.input", lv.MidiInput, lv.MidiActions)

# -- stage view ----------------------------------------------------------------------------

STAGE_FOOTSWITCHES = Method("stage.footswitches", lv.Footswitches, lv.Footswitches)

# -- media library --------------------------------------------------------------------------

MEDIA_LIST = Method("media.list", E, list[lv.MediaFile], idempotent=True)
MEDIA_UPLOAD = Method("media.upload", lv.MediaUpload, lv.MediaFile)
MEDIA_DELETE = Method("media.delete", lv.MediaRef, s.Done)
MEDIA_SET_FILE = Method("media.set_file", lv.SetFile, lv.FileSet)
MEDIA_FILE_PARAMETERS = Method(
    "media.file_parameters", s.PluginUri, list[lv.FileParameter], idempotent=True
)

ALL: tuple[Method[Any, Any], ...] = tuple(
    v for v in list(globals().values()) if isinstance(v, Method)
)
"""Every session method (routes.py must serve each; a unit test checks it)."""
