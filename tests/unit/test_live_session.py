"""The live service on the session manager with the in-package FakeBridge: snapshots, setlists,
MIDI applied to the model, tuner readings, load figures, media library checks."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

import msgspec
import pytest

from stompbox.contract import bridge_api as B, live as lv
from stompbox.contract.errors import (
    ConflictError,
    EngineError,
    NotFoundError,
    StompboxError,
    ValidationError,
)
from stompbox.contract.live import AppliedValues, ApplyValues
from stompbox.contract.method import Method, Route
from stompbox.contract.params import Done, Empty, SetParameter
from stompbox.session.fake_bridge import AMP, FakeBridge
from stompbox.session.live import LiveService
from stompbox.session.media import check_content, check_media_name
from stompbox.session.session_manager import SessionManager
from stompbox.session.tuner import TUNER_ID, TUNER_URI, note_of
from stompbox.session.watchdog import Watchdog

from .test_session_support import Recorder, bridge_event, make_session


class LiveFakeBridge(FakeBridge):
    """The fake bridge plus `live.*`, answering like the jalv engine (no patch_set)."""

    def routes(self) -> list[Route]:
        return [
            *super().routes(),
            B.LIVE_APPLY.route(self.live_apply),
            B.LIVE_PATCH_SET.route(self.unsupported),
            B.LIVE_MIDI_MONITOR.route(self.unsupported),
        ]

    async def live_apply(self, p: ApplyValues) -> AppliedValues:
        """The burst, as the real bridge answers it."""
        values: list[float | None] = []
        for change in p.parameters:
            try:
                values.append((await self.call(B.PLUGIN_SET_PARAMETER, change)).value)
            except StompboxError:
                values.append(None)
        for b in p.bypass:
            await self.call(B.PLUGIN_BYPASS, b)
        return AppliedValues(values, [True] * len(p.bypass), [])

    async def unsupported(self, _: object) -> Done:
        raise EngineError(
            "patch_set (file parameters) is not supported by this engine",
            -902,
            {"engine_code": -902, "unsupported": "patch_set"},
        )


async def live_session(tmp_path: Path) -> tuple[SessionManager, LiveService, FakeBridge, Recorder]:
    m, bridge, events = await make_session(tmp_path, LiveFakeBridge())
    return m, LiveService(m, tmp_path), bridge, events


def wav(frames: int = 64, rate: int = 48000) -> bytes:
    data = b"\0\0" * frames
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data"
    body += struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


async def test_snapshot_recall_sends_only_the_differences(tmp_path: Path) -> None:
    m, live, bridge, events = await live_session(tmp_path)
    a = (await m.load_plugin(AMP, instance_id="a")).instance_id
    await m.load_plugin(AMP, instance_id="b")
    await m.set_parameter(a, "gain", -6)
    for n in range(8):
        await live.snapshot_save(lv.SaveSnapshot(name=f"scene {n + 1}"))
    await m.set_parameter(a, "gain", 6)
    await m.bypass_plugin("b", True)
    await live.snapshot_save(lv.SaveSnapshot(name="loud", index=1))
    bridge.calls.clear()
    events.clear()
    result = await live.snapshot_recall(lv.SnapshotRef(0))
    assert (result.changed, result.bypassed, result.skipped) == (1, 1, [])
    sets = [p for meth, p in bridge.calls if meth is B.PLUGIN_SET_PARAMETER]
    assert sets == [SetParameter("a", "gain", -6.0)]
    assert m.current_pedalboard().plugins[0].parameters["gain"] == -6.0
    assert m.current_pedalboard().plugins[1].enabled
    assert "snapshots_changed" in events.names()
    assert events.of("parameter_changed")[0]["value"] == -6.0
    assert (await live.snapshot_step(lv.SnapshotStep(1))).index == 1
    assert m.current_pedalboard().plugins[0].parameters["gain"] == 6.0


async def test_snapshot_cover_include_exclude_and_vanished_parameters(tmp_path: Path) -> None:
    m, live, _, _ = await live_session(tmp_path)
    await m.load_plugin(AMP, instance_id="a")
    await m.load_plugin(AMP, instance_id="b")
    only = await live.snapshot_save(
        lv.SaveSnapshot(name="only a", include=["a"], exclude=["a:mode"], bypass=False)
    )
    assert only.parameters == {"a": {"gain": 0.0, "on": 1.0}}
    assert only.bypass == {}
    with pytest.raises(ValidationError):
        await live.snapshot_save(lv.SaveSnapshot(name="x", include=["nope:gain"]))
    with pytest.raises(ValidationError):
        await live.snapshot_save(lv.SaveSnapshot(name="../x"))
    everything = await live.snapshot_save(lv.SaveSnapshot(name="all"))
    assert set(everything.parameters) == {"a", "b"}
    await m.unload_plugin("b")
    await m.set_parameter("a", "gain", 3)
    result = await live.snapshot_recall(lv.SnapshotRef(1))
    assert "b:gain" in result.skipped
    assert result.changed == 1
    with pytest.raises(NotFoundError):
        await live.snapshot_recall(lv.SnapshotRef(7))
    await live.snapshot_rename(lv.RenameSnapshot(0, "A only"))
    await live.snapshot_delete(lv.SnapshotRef(0))
    assert [s.name for s in m.current_pedalboard().snapshots] == ["all"]
    assert m.current_pedalboard().current_snapshot == 0


async def test_snapshots_live_in_the_board_file_and_old_files_load(tmp_path: Path) -> None:
    m, live, _, _ = await live_session(tmp_path)
    await m.load_plugin(AMP, instance_id="a")
    await live.snapshot_save(lv.SaveSnapshot(name="verse"))
    board = await m.save_pedalboard_as("With snapshots")
    saved = json.loads((tmp_path / "pedalboards" / f"{board.id}.json").read_text())
    assert saved["schema"] == 2
    assert saved["snapshots"][0]["name"] == "verse"
    old = {"id": "old", "name": "Old", "schema": 1, "plugins": [], "connections": []}
    (tmp_path / "pedalboards" / "old.json").write_text(json.dumps(old))
    loaded = await m.load_pedalboard("old")
    assert loaded.pedalboard.snapshots == []
    assert loaded.pedalboard.midi_bindings == []
    again = await m.load_pedalboard(board.id)
    assert again.pedalboard.snapshots[0].name == "verse"


async def test_setlists_store_and_step(tmp_path: Path) -> None:
    m, live, _, events = await live_session(tmp_path)
    await m.load_plugin(AMP, instance_id="a")
    await m.set_parameter("a", "gain", -10)
    await live.snapshot_save(lv.SaveSnapshot(name="quiet"))
    await m.set_parameter("a", "gain", 10)
    await live.snapshot_save(lv.SaveSnapshot(name="loud"))
    one = await m.save_pedalboard_as("Song one")
    two = (await m.create_pedalboard("Song two")).pedalboard
    entries = [
        lv.SetlistEntry(board=one.id, snapshot=0, note="capo 2"),
        lv.SetlistEntry(board=two.id),
        lv.SetlistEntry(board=one.id, snapshot=1),
    ]
    setlist = await live.setlist_create(lv.CreateSetlist("Friday gig", entries))
    assert (tmp_path / "setlists" / f"{setlist.id}.json").is_file()
    with pytest.raises(ConflictError):
        await live.setlist_create(lv.CreateSetlist("friday GIG"))
    for bad in ("", "../etc", ".hidden", "con"):
        with pytest.raises(ValidationError):
            await live.setlist_create(lv.CreateSetlist(bad))
    with pytest.raises(ValidationError):
        await live.setlist_create(lv.CreateSetlist("x", [lv.SetlistEntry(board="../up")]))
    with pytest.raises(NotFoundError, match="save the board first"):
        await live.setlist_create(lv.CreateSetlist("x", [lv.SetlistEntry(board="unsaved")]))
    with pytest.raises(ValidationError):
        await live.setlist_get(lv.SetlistRef("../x"))
    state = await live.setlist_go(lv.SetlistGo(id=setlist.id, position=0))
    assert (state.position, m.current_pedalboard().id) == (0, one.id)
    assert m.current_pedalboard().plugins[0].parameters["gain"] == -10
    assert (await live.setlist_next(Empty())).position == 1
    assert m.current_pedalboard().id == two.id
    assert (await live.setlist_next(Empty())).position == 2
    assert m.current_pedalboard().plugins[0].parameters["gain"] == 10
    assert (await live.setlist_next(Empty())).position == 2  # stays on the last song
    assert (await live.setlist_previous(Empty())).position == 1
    with pytest.raises(ValidationError):
        await live.setlist_go(lv.SetlistGo(position=9))
    assert events.of("setlist_changed")[-1]["position"] == 1
    assert [s.name for s in await live.setlist_list(Empty())] == ["Friday gig"]
    await live.setlist_delete(lv.SetlistRef(setlist.id))
    assert (await live.setlist_state(Empty())).id is None


async def test_midi_moves_parameters_and_program_change_picks_songs(tmp_path: Path) -> None:
    m, live, _, events = await live_session(tmp_path)
    await m.load_plugin(AMP, instance_id="a")
    binding = await live.midi.midi_bind(
        lv.MidiBinding(
            target=lv.BindingTarget.PARAMETER, channel=0, number=7, instance_id="a", symbol="gain"
        )
    )
    await live.midi.midi_bind(
        lv.MidiBinding(target=lv.BindingTarget.BYPASS, channel=0, number=80, instance_id="a")
    )
    await live.midi.midi_bind(
        lv.MidiBinding(
            target=lv.BindingTarget.MUTE, channel=0, number=81, scope=lv.BindingScope.GLOBAL
        )
    )
    await live.on_bridge_event(
        bridge_event("midi_control_change", {"channel": 0, "controller": 7, "value": 0})
    )
    assert m.current_pedalboard().plugins[0].parameters["gain"] == -70.0
    assert events.of("parameter_changed")[-1]["value"] == -70.0
    await live.on_bridge_event(
        bridge_event("midi_control_change", {"channel": 0, "controller": 80, "value": 127})
    )
    assert not m.current_pedalboard().plugins[0].enabled
    await live.midi.midi_input(lv.MidiInput(kind="cc", channel=0, number=81, value=127))
    assert not m.control.processing
    with pytest.raises(ValidationError):  # refused where the subscriber decodes it
        bridge_event("midi_control_change", {"channel": "bad"})
    assert (tmp_path / "midi.json").is_file()
    assert m.current_pedalboard().midi_bindings[0].id == binding.id
    with pytest.raises(NotFoundError):
        await live.midi.midi_bind(
            lv.MidiBinding(
                target=lv.BindingTarget.PARAMETER,
                channel=0,
                number=1,
                instance_id="zz",
                symbol="gain",
            )
        )
    await live.midi.midi_unbind(lv.BindingRef(binding.id))
    assert len((await live.midi.midi_bindings(Empty())).board) == 1
    # learning: the next CC makes the binding
    await live.midi.midi_learn(
        lv.LearnBinding(
            lv.MidiBinding(
                target=lv.BindingTarget.PARAMETER,
                channel=0,
                number=0,
                instance_id="a",
                symbol="gain",
            )
        )
    )
    await live.midi.midi_input(lv.MidiInput(kind="cc", channel=4, number=11, value=64))
    learned = events.of("midi_learned")[-1]["binding"]
    assert (learned["channel"], learned["number"]) == (4, 11)
    # program change selects a snapshot
    await live.snapshot_save(lv.SaveSnapshot(name="s0"))
    await m.set_parameter("a", "gain", 5)
    await live.midi.midi_program_change(lv.ProgramChangeConfig(channel=2, target="snapshot"))
    await live.on_bridge_event(bridge_event("midi_program_change", {"program": 0, "channel": 2}))
    assert m.current_pedalboard().plugins[0].parameters["gain"] != 5
    await live.on_bridge_event(
        bridge_event("midi_program_change", {"program": 99, "channel": 2})
    )  # no slot
    reborn = LiveService(m, tmp_path)  # global bindings and PC config survive a restart
    assert reborn.midi.program_change.target == "snapshot"
    assert [b.target for b in reborn.midi.midi.global_] == [lv.BindingTarget.MUTE]


async def test_tuner_hosts_a_hidden_instance_and_reads_notes(tmp_path: Path) -> None:
    m, live, bridge, events = await live_session(tmp_path)
    bridge.catalog.update({})  # the fake catalog has no tuna: loading is refused cleanly
    with pytest.raises(NotFoundError):
        await live.tuner_start(lv.TunerStart())
    assert not live.tuner.active
    assert TUNER_ID not in m.state.engine.instances
    for freq, name, octave in ((82.41, "E", 2), (110.0, "A", 2), (440.0, "A", 4), (1318.5, "E", 6)):
        note, oct_, cents = note_of(freq)
        assert (note, oct_) == (name, octave)
        assert abs(cents) < 2.0
    assert note_of(442.0, 442.0)[2] == pytest.approx(0.0)
    live.tuner.config = lv.TunerStart()
    readings = [live.tuner.feed(f, now=i) for i, f in enumerate((440.0, 441.0, 441.0, 441.0))]
    assert readings[0].cents == 0.0
    assert 0 < readings[1].cents < readings[3].cents < 3.94  # the needle eases towards +3.9
    assert readings[3].in_tune is False or abs(readings[3].cents) <= 3.0
    assert live.tuner.feed(0.0, now=10).note == ""
    assert live.tuner.on_output(
        bridge_event(
            "output_changed", {"instance_id": TUNER_ID, "symbol": "freq_out", "value": 110.0}
        )
    )
    assert live.tuner.reading.note == "A"
    assert events.of("tuner")
    with pytest.raises(ValidationError):
        await live.tuner_start(lv.TunerStart(reference=1000.0))
    live.tuner.config = None
    bridge.catalog[TUNER_URI] = bridge.catalog[AMP]  # it loads, then its input cannot be wired
    real_call = bridge.call

    async def refuse_connect(method: Method[Any, Any], params: Any) -> Any:
        if method is B.CONNECT:
            raise NotFoundError("no such port")
        return await real_call(method, params)

    bridge.call = refuse_connect  # type: ignore[method-assign]
    with pytest.raises(StompboxError):
        await live.tuner_start(lv.TunerStart())
    bridge.call = real_call  # type: ignore[method-assign]
    assert TUNER_ID not in m.state.engine.instances
    assert TUNER_ID not in bridge.instances


async def test_load_stats_count_xruns_since_the_board_loaded(tmp_path: Path) -> None:
    m, live, _, _ = await live_session(tmp_path)
    live._on_cpu_load(bridge_event("cpu_load", {"avg": 10.0, "max": 20.0, "xruns": 5}), now=100.0)
    live._on_cpu_load(bridge_event("cpu_load", {"avg": 11.0, "max": 21.0, "xruns": 8}), now=160.0)
    assert (live.load_stats.xruns, live.load_stats.xruns_per_minute) == (3, 3.0)
    await m.create_pedalboard("Other")
    live._on_cpu_load(bridge_event("cpu_load", {"avg": 11.0, "max": 21.0, "xruns": 9}), now=170.0)
    assert live.load_stats.xruns == 0
    with pytest.raises(ValidationError):  # refused where the subscriber decodes it
        bridge_event("cpu_load", {"avg": "x"})


async def test_media_library_checks_and_file_parameters(tmp_path: Path) -> None:
    m, live, bridge, _ = await live_session(tmp_path)
    media = live.media
    saved = await media.upload(lv.MediaUpload("room.wav", wav()))
    assert saved.kind is lv.MediaKind.AUDIO
    for name, data in (
        ("fake.wav", b"RIFF0000WAVEjunk"),
        ("text.wav", b"hello"),
        ("model.nam", b"[1, 2]"),
        ("bad.flac", b"nope"),
        ("../up.wav", wav()),
        ("x.exe", b"MZ"),
        (".hidden.wav", wav()),
        ("big.wav", b"RIFF" + b"\0" * (3 * 1024 * 1024)),
        ("empty.wav", b""),
    ):
        with pytest.raises(ValidationError):
            await media.upload(lv.MediaUpload(name, data))
    assert check_content("m.nam", b'{"version": 1}') is lv.MediaKind.MODEL
    assert check_media_name("Cab 4x12 (SM57).wav") == "Cab 4x12 (SM57).wav"
    assert [f.name for f in await media.list_media(Empty())] == ["room.wav"]
    await m.load_plugin(AMP, instance_id="a")
    result = await media.set_file(lv.SetFile("a", "urn:test#ir", "room.wav"))
    assert result.applied is False
    assert "not supported by this engine" in result.reason
    assert m.current_pedalboard().files == {"a": {"urn:test#ir": "room.wav"}}
    sent = next(p for meth, p in bridge.calls if meth is B.LIVE_PATCH_SET)
    assert sent.path == str((tmp_path / "media" / "room.wav").resolve())
    with pytest.raises(ValidationError):
        await media.set_file(lv.SetFile("a", "urn:test#ir", "missing.wav"))
    with pytest.raises(ConflictError) as refused:
        await media.delete(lv.MediaRef("room.wav"))
    assert "Default/a" in refused.value.message
    snap = await live.snapshot_save(lv.SaveSnapshot(name="with ir"))
    assert snap.files == {"a": {"urn:test#ir": "room.wav"}}
    await media.upload(lv.MediaUpload("hall.wav", wav()))
    await media.set_file(lv.SetFile("a", "urn:test#ir", "hall.wav"))
    await live.snapshot_recall(lv.SnapshotRef(0))  # the snapshot's IR comes back with it
    assert m.current_pedalboard().files == {"a": {"urn:test#ir": "room.wav"}}
    m.current_pedalboard().files.clear()
    m.current_pedalboard().snapshots.clear()
    await media.delete(lv.MediaRef("room.wav"))
    with pytest.raises(NotFoundError):
        await media.delete(lv.MediaRef("room.wav"))
    assert msgspec.json.decode(msgspec.json.encode(lv.MediaUpload("a.wav", b"\x00\xff"))) == {
        "name": "a.wav",
        "data": "AP8=",
    }


async def test_midi_saves_snapshots_and_asks_the_engine_to_report_midi(tmp_path: Path) -> None:
    m, live, bridge, _ = await live_session(tmp_path)
    await m.load_plugin(AMP, instance_id="a")
    await live.midi.midi_bind(
        lv.MidiBinding(target=lv.BindingTarget.SNAPSHOT_SAVE, channel=5, number=30)
    )
    await live.midi.midi_input(lv.MidiInput(kind="cc", channel=5, number=30, value=127))
    assert [s.name for s in m.current_pedalboard().snapshots] == ["Snapshot 1"]
    await m.set_parameter("a", "gain", -3)
    await live.midi.midi_input(lv.MidiInput(kind="cc", channel=5, number=30, value=0))
    await live.midi.midi_input(lv.MidiInput(kind="cc", channel=5, number=30, value=127))
    snaps = m.current_pedalboard().snapshots
    assert len(snaps) == 1
    assert snaps[0].parameters["a"]["gain"] == -3
    await live.midi.sync_midi_monitor()  # the fake answers like the jalv engine: unsupported

    def asked() -> list[int]:
        return [p.channel for meth, p in bridge.calls if meth is B.LIVE_MIDI_MONITOR]

    assert asked() == [0, 5]  # the program-change channel and the binding's, when bound
    await live.midi.sync_midi_monitor()
    assert asked() == [0, 5]  # asked once per channel
    await live.midi.midi_learn(
        lv.LearnBinding(lv.MidiBinding(target=lv.BindingTarget.MUTE, channel=0, number=0))
    )
    assert sorted(set(asked())) == list(range(16))  # learning: the control may be on any channel
    before = len(asked())
    await live.on_bridge_event(bridge_event("engine_disconnected", {"reason": "gone"}))
    await live.on_bridge_event(bridge_event("engine_connected", {}))
    assert len(asked()) == before + 16  # a restarted engine is asked again


async def test_midi_channels_nothing_needs_are_released(tmp_path: Path) -> None:
    m, live, bridge, _ = await live_session(tmp_path)
    await m.load_plugin(AMP, instance_id="a")

    def asked(enable: bool) -> list[int]:
        return [
            p.channel
            for meth, p in bridge.calls
            if meth is B.LIVE_MIDI_MONITOR and p.enable is enable
        ]

    bound = await live.midi.midi_bind(
        lv.MidiBinding(target=lv.BindingTarget.MUTE, channel=7, number=1)
    )
    assert 7 in asked(True)
    await live.midi.midi_learn(
        lv.LearnBinding(lv.MidiBinding(target=lv.BindingTarget.MUTE, channel=0, number=0))
    )
    await live.midi.midi_learn_cancel(Empty())
    released = set(asked(False))
    assert released == set(range(16)) - {0, 7}  # learning is over: only PC (0) and the binding
    await live.midi.midi_unbind(lv.BindingRef(bound.id))
    assert 7 in asked(False)


async def test_recall_through_a_bridge_without_live_apply(tmp_path: Path) -> None:
    m, bridge, _ = await make_session(tmp_path)  # the plain fake: no `live` methods at all
    live = LiveService(m, tmp_path)
    await m.load_plugin(AMP, instance_id="a")
    await live.snapshot_save(lv.SaveSnapshot(name="zero"))
    await m.set_parameter("a", "gain", 9)
    await m.bypass_plugin("a", True)
    result = await live.snapshot_recall(lv.SnapshotRef(0))
    assert (result.changed, result.bypassed) == (1, 1)
    plugin = m.current_pedalboard().plugins[0]
    assert (plugin.parameters["gain"], plugin.enabled) == (0.0, True)
    assert bridge.instances["a"].values["gain"] == 0.0


async def test_output_meter_holds_peaks_and_flags_clips(tmp_path: Path) -> None:
    _, live, _, events = await live_session(tmp_path)
    meter = live.meter
    meter.active = True
    assert meter.feed(-12.0, now=0.0).hold_db == -12.0
    assert meter.feed(-20.0, now=1.0).hold_db == -12.0  # held
    assert meter.feed(-20.0, now=3.5).hold_db == -20.0  # released after HOLD seconds
    assert meter.feed(0.2, now=4.0).clip is True
    assert meter.feed(-30.0, now=5.0).clip is True
    assert meter.feed(-30.0, now=6.5).clip is False
    assert meter.feed(-200.0, now=7.0).peak_db == -80.0
    assert meter.on_output(
        bridge_event(
            "output_changed", {"instance_id": "stompbox-meter", "symbol": "dBTP_m", "value": -6.0}
        )
    )
    assert not meter.on_output(
        bridge_event("output_changed", {"instance_id": "other", "symbol": "dBTP_m", "value": -6.0})
    )
    assert events.of("meters")[-1]["peak_db"] == -6.0


async def test_tuner_mute_holds_the_board_outputs_off_and_keeps_plugins_running(
    tmp_path: Path,
) -> None:
    m, live, bridge, _ = await live_session(tmp_path)
    bridge.catalog[TUNER_URI] = msgspec.structs.replace(bridge.catalog[AMP], uri=TUNER_URI)
    await m.create_pedalboard("Tune")
    await m.load_plugin(AMP, instance_id="amp")
    await m.connect("system:capture_1", "amp:in")
    await m.connect("amp:out", "system:playback_1")
    reading = await live.tuner_start(lv.TunerStart(mute=True))
    assert reading.muted
    assert ("amp:out", "system:playback_1") not in bridge.connections  # silent, ...
    assert ("system:capture_1", "amp:in") in bridge.connections  # ... the rest still wired
    assert ("system:capture_1", f"{TUNER_ID}:in") in bridge.connections
    assert live.tuner.control.processing  # plugins keep running (the tuner with them)
    dog = Watchdog(m, lambda kind, message: pytest.fail(f"{kind}: {message}"))
    for _ in range(3):
        await dog.round()
    assert ("amp:out", "system:playback_1") not in bridge.connections  # not repaired back
    stopped = await live.tuner_stop(Empty())
    assert not stopped.muted
    assert ("amp:out", "system:playback_1") in bridge.connections
    assert TUNER_ID not in bridge.instances
    assert m.current_pedalboard().connections[-1].target == "system:playback_1"  # model intact


async def test_snapshot_recall_is_one_undo_entry_of_the_client(tmp_path: Path) -> None:
    m, live, _, _ = await live_session(tmp_path)
    await m.load_plugin(AMP, instance_id="a")
    await m.set_parameter("a", "gain", 0)
    await live.snapshot_save(lv.SaveSnapshot(name="clean", bypass=True))
    await m.set_parameter("a", "gain", -6)
    await m.bypass_plugin("a", True)
    result = await live.snapshot_recall(lv.SnapshotRef(0, client="tab"))
    assert (result.changed, result.bypassed) == (1, 1)
    plugin = m.current_pedalboard().plugins[0]
    assert (plugin.parameters["gain"], plugin.enabled) == (0, True)
    entry = m.undo.history.next_undo("tab")
    assert entry is not None
    assert entry.label == "Recall snapshot “clean”"
    await m.undo.undo("tab")  # back to before the recall: value and bypass, in one step
    plugin = m.current_pedalboard().plugins[0]
    assert (plugin.parameters["gain"], plugin.enabled) == (-6, False)
    await m.undo.redo("tab")
    assert m.current_pedalboard().plugins[0].parameters["gain"] == 0
    before = len(m.undo.history.entries)
    await live.snapshot_recall(lv.SnapshotRef(0, client="tab"))  # nothing changes: no entry
    assert len(m.undo.history.entries) == before


async def test_setlist_neighbours_are_prepared_and_songs_load_in_one_sync(tmp_path: Path) -> None:
    m, live, bridge, _ = await live_session(tmp_path)
    await m.load_plugin(AMP, instance_id="a")
    await m.set_parameter("a", "gain", -10)
    await live.snapshot_save(lv.SaveSnapshot(name="quiet", bypass=True))
    await m.set_parameter("a", "gain", 10)
    one = await m.save_pedalboard_as("Song one")
    two = await m.save_pedalboard_as("Song two")
    three = await m.save_pedalboard_as("Song three")
    entries = [lv.SetlistEntry(board=b.id, snapshot=0) for b in (one, two, three)]
    setlist = await live.setlist_create(lv.CreateSetlist("Prepared", entries))
    await live.setlist_go(lv.SetlistGo(id=setlist.id, position=0))
    assert set(m.pedalboards.prepared) == {two.id}  # the next song, read and validated
    reads = m.pedalboards.reads
    mark = len(bridge.calls)
    await live.setlist_next(Empty())
    assert m.pedalboards.reads == reads  # song two came from memory, not from its file
    assert m.current_pedalboard().id == two.id
    assert m.current_pedalboard().plugins[0].parameters["gain"] == -10  # its starting snapshot
    assert m.current_pedalboard().current_snapshot == 0
    calls = bridge.calls[mark:]
    begins = [p for meth, p in calls if meth is B.PLUGIN_TRANSACTION]
    assert len(begins) == 2  # one transaction (begin, commit) carries board and snapshot
    assert not [p for meth, p in calls if meth is B.LIVE_APPLY]
    assert set(m.pedalboards.prepared) == {one.id, three.id}
    # a board file changed since it was prepared is read again
    board = m.storage.load(three.id)
    board.plugins[0].parameters["gain"] = 3
    m.storage.save(board)
    os.utime(m.storage.board_path(three.id), ns=(1, 1))  # a different mtime, for certain
    await live.setlist_next(Empty())
    assert m.pedalboards.reads == reads + 1
    assert m.current_pedalboard().plugins[0].parameters["gain"] == -10  # snapshot over it


async def test_footswitch_choice_is_saved_with_the_board(tmp_path: Path) -> None:
    m, live, _, events = await live_session(tmp_path)
    await m.load_plugin(AMP, instance_id="a")
    await m.load_plugin(AMP, instance_id="b")
    chosen = await live.stage_footswitches(lv.Footswitches(["b", "b"]))
    assert chosen.ids == ["b"]
    assert events.of("footswitches_changed")[-1] == {"ids": ["b"]}
    with pytest.raises(ValidationError):
        await live.stage_footswitches(lv.Footswitches(["nope"]))
    assert m.current_pedalboard().footswitches == ["b"]  # unchanged by the refused one
    saved = await m.save_pedalboard_as("Feet")
    assert m.storage.load(saved.id).footswitches == ["b"]
    assert (await live.stage_footswitches(lv.Footswitches(None))).ids is None


async def test_pitch_bend_drives_a_parameter_with_14_bits_and_can_be_learned(
    tmp_path: Path,
) -> None:
    m, live, _, _ = await live_session(tmp_path)
    await m.load_plugin(AMP, instance_id="a")
    template = lv.MidiBinding(
        target=lv.BindingTarget.PARAMETER,
        channel=0,
        number=0,
        instance_id="a",
        symbol="gain",
        minimum=-20.0,
        maximum=0.0,
    )
    await live.midi.midi_learn(lv.LearnBinding(template))
    # the engine reports an unmapped bend as controller 131 (mod-host's number for it)
    await live.on_bridge_event(lv.MidiControlChange(channel=3, controller=131, value=0))
    (bound,) = (await live.midi.midi_bindings(Empty())).board
    assert (bound.kind, bound.channel, bound.number) == (lv.MidiKind.BEND, 3, 0)
    for value, want in ((16383, 0.0), (8192, -20.0 + 20.0 * 8192 / 16383), (0, -20.0)):
        await live.on_bridge_event(lv.MidiControlChange(channel=3, controller=131, value=value))
        assert m.current_pedalboard().plugins[0].parameters["gain"] == pytest.approx(want, abs=1e-3)
