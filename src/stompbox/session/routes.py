"""The session's one registration table: each contract/session_api.py method → its handler."""

from __future__ import annotations

from stompbox.contract import session_api as S
from stompbox.contract.method import Route

from .handlers import Handlers
from .live import LiveService


def routes(h: Handlers, live: LiveService) -> list[Route]:
    """Every session method with its handler (`Method.route` checks the two agree in type)."""
    midi, media = live.midi, live.media
    return [
        # state
        S.STATE.route(h.state),
        S.HEALTH.route(h.health),
        S.STATISTICS.route(h.statistics),
        # plugins on the board
        S.LOAD_PLUGIN.route(h.load_plugin),
        S.UNLOAD_PLUGIN.route(h.unload_plugin),
        S.SET_PARAMETER.route(h.set_parameter),
        S.SET_PARAMETERS.route(h.set_parameters),
        S.BYPASS_PLUGIN.route(h.bypass_plugin),
        S.MOVE_PLUGIN.route(h.move_plugin),
        S.SET_KNOBS.route(h.set_knobs),
        S.LOAD_PRESET.route(h.load_preset),
        S.SAVE_PRESET.route(h.save_preset),
        S.DELETE_PRESET.route(h.delete_preset),
        S.CONNECT.route(h.connect),
        S.DISCONNECT.route(h.disconnect),
        S.HISTORY_UNDO.route(h.history_undo),
        S.HISTORY_REDO.route(h.history_redo),
        # catalog
        S.LIST_PLUGINS.route(h.list_plugins),
        S.PLUGIN_INFO.route(h.plugin_info),
        S.PLUGIN_PRESETS.route(h.plugin_presets),
        S.CATEGORIES.route(h.categories),
        # pedalboards
        S.PEDALBOARD_CREATE.route(h.pedalboard_create),
        S.PEDALBOARD_LIST.route(h.pedalboard_list),
        S.PEDALBOARD_LOAD.route(h.pedalboard_load),
        S.PEDALBOARD_SAVE.route(h.pedalboard_save),
        S.PEDALBOARD_SAVE_AS.route(h.pedalboard_save_as),
        S.PEDALBOARD_RENAME.route(h.pedalboard_rename),
        S.PEDALBOARD_DELETE.route(h.pedalboard_delete),
        S.PEDALBOARD_CURRENT.route(h.pedalboard_current),
        S.PEDALBOARD_DISCARD_PENDING.route(h.pedalboard_discard_pending),
        S.PEDALBOARD_RETRY_PENDING.route(h.pedalboard_retry_pending),
        # audio and engine
        S.AUDIO_STATUS.route(h.audio_status),
        S.AUDIO_SET_BUFFER_SIZE.route(h.audio_set_buffer_size),
        S.AUDIO_LIST_PORTS.route(h.audio_list_ports),
        S.ENGINE_STATUS.route(h.engine_status),
        S.ENGINE_PROCESSING.route(h.engine_processing),
        # snapshots
        S.SNAPSHOT_LIST.route(live.snapshot_list),
        S.SNAPSHOT_SAVE.route(live.snapshot_save),
        S.SNAPSHOT_RECALL.route(live.snapshot_recall),
        S.SNAPSHOT_STEP.route(live.snapshot_step),
        S.SNAPSHOT_RENAME.route(live.snapshot_rename),
        S.SNAPSHOT_DELETE.route(live.snapshot_delete),
        # setlists
        S.SETLIST_LIST.route(live.setlist_list),
        S.SETLIST_GET.route(live.setlist_get),
        S.SETLIST_CREATE.route(live.setlist_create),
        S.SETLIST_UPDATE.route(live.setlist_update),
        S.SETLIST_DELETE.route(live.setlist_delete),
        S.SETLIST_STATE.route(live.setlist_state),
        S.SETLIST_GO.route(live.setlist_go),
        S.SETLIST_NEXT.route(live.setlist_next),
        S.SETLIST_PREVIOUS.route(live.setlist_previous),
        S.SETLIST_LEAVE.route(live.setlist_leave),
        # tuner, meter, load
        S.TUNER_START.route(live.tuner_start),
        S.TUNER_STOP.route(live.tuner_stop),
        S.TUNER_STATE.route(live.tuner_state),
        S.METER_START.route(live.meter_start),
        S.METER_STOP.route(live.meter_stop),
        S.METER_STATE.route(live.meter_state),
        S.LOAD_STATS.route(live.load_stats_now),
        S.STAGE_FOOTSWITCHES.route(live.stage_footswitches),
        # MIDI
        S.MIDI_BINDINGS.route(midi.midi_bindings),
        S.MIDI_BIND.route(midi.midi_bind),
        S.MIDI_UNBIND.route(midi.midi_unbind),
        S.MIDI_LEARN.route(midi.midi_learn),
        S.MIDI_LEARN_CANCEL.route(midi.midi_learn_cancel),
        S.MIDI_PROGRAM_CHANGE.route(midi.midi_program_change),
        S.MIDI_INPUT.route(midi.midi_input),
        # media library
        S.MEDIA_LIST.route(media.list_media),
        S.MEDIA_UPLOAD.route(media.upload),
        S.MEDIA_DELETE.route(media.delete),
        S.MEDIA_SET_FILE.route(media.set_file),
        S.MEDIA_FILE_PARAMETERS.route(media.file_parameters),
    ]
