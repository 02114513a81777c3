"""Undo/redo of the Session Manager against the FakeBridge: entries, gestures, clients, files."""

from __future__ import annotations

from pathlib import Path

import pytest

from stompbox.contract.errors import ConflictError, ValidationError
from stompbox.contract.history import ValuesStep
from stompbox.contract.params import Ports
from stompbox.contract.session import Splice
from stompbox.session.fake_bridge import AMP, FakeBridge
from stompbox.session.history import MAX_ENTRIES, History
from stompbox.session.session_manager import SessionManager
from stompbox.session.storage import Storage

from .test_session_support import Recorder, bridge_event, make_session

A, B = "client-a", "client-b"


def board_shape(m: object) -> tuple[object, ...]:
    board = m.current_pedalboard()  # type: ignore[attr-defined]
    plugins = sorted(
        (p.instance_id, p.x, p.y, p.enabled, tuple(sorted(p.parameters.items())))
        for p in board.plugins
    )
    cables = sorted((c.source, c.target) for c in board.connections)
    return tuple(plugins), tuple(cables)


async def test_every_structural_change_is_one_entry_and_undo_redo_walk_it(
    tmp_path: Path,
) -> None:
    m, bridge, events = await make_session(tmp_path)
    shapes = [board_shape(m)]
    amp = await m.load_plugin(AMP, 10, 20, client=A)
    shapes.append(board_shape(m))
    await m.connect("system:capture_1", f"{amp.instance_id}:in", client=A)
    shapes.append(board_shape(m))
    await m.move_plugin(amp.instance_id, 300, 40, client=A)
    shapes.append(board_shape(m))
    await m.bypass_plugin(amp.instance_id, True, client=A)
    shapes.append(board_shape(m))
    await m.set_parameter(amp.instance_id, "gain", -6, client=A)
    shapes.append(board_shape(m))
    await m.unload_plugin(amp.instance_id, client=A)
    shapes.append(board_shape(m))
    labels = [e.label for e in m.undo.history.entries]
    assert labels == [
        "Add Test Amp",
        "Connect capture 1 → Test Amp in",
        "Move Test Amp",
        "Bypass Test Amp",
        "Change Test Amp Gain",
        "Remove Test Amp",
    ]
    for expected in reversed(shapes[:-1]):
        result = await m.undo_edit(A)
        assert result.done
        assert board_shape(m) == expected
    assert (await m.undo_edit(A)).done is False  # nothing left
    assert not bridge.instances
    for expected in shapes[1:]:
        assert (await m.redo_edit(A)).done
        assert board_shape(m) == expected
    assert (await m.redo_edit(A)).done is False
    assert "history_changed" in events.names(history=True)


async def test_a_knob_gesture_is_one_entry_and_new_edits_drop_the_redo(tmp_path: Path) -> None:
    m, _, _ = await make_session(tmp_path)
    amp = await m.load_plugin(AMP, client=A)
    for v in (-1, -2, -3, -4):
        await m.set_parameter(amp.instance_id, "gain", v, client=A, gesture="g1")
    await m.set_parameter(amp.instance_id, "gain", -5, client=A, gesture="g2")
    assert [e.label for e in m.undo.history.entries][-2:] == ["Change Test Amp Gain"] * 2
    assert len(m.undo.history.entries) == 3
    await m.undo_edit(A)
    assert m.current_pedalboard().plugins[0].parameters["gain"] == -4
    await m.undo_edit(A)
    assert m.current_pedalboard().plugins[0].parameters["gain"] == 0
    await m.set_parameter(amp.instance_id, "gain", -9, client=A)
    assert (await m.redo_edit(A)).done is False  # the new edit dropped both undone entries


async def test_an_undo_never_reverts_another_clients_newer_change(tmp_path: Path) -> None:
    m, _, _ = await make_session(tmp_path)
    amp = await m.load_plugin(AMP, client=A)
    iid = amp.instance_id
    await m.set_parameter(iid, "gain", -3, client=A)
    await m.set_parameter(iid, "gain", -12, client=B)
    with pytest.raises(ConflictError, match="changed since by another client"):
        await m.undo_edit(A)
    assert m.current_pedalboard().plugins[0].parameters["gain"] == -12  # B's value stays
    # the refused entry was skipped: A's next undo is its add, and B's value makes that conflict too
    with pytest.raises(ConflictError):
        await m.undo_edit(A)
    assert len(m.current_pedalboard().plugins) == 1
    # B undoes its own change; changes of other things do not conflict
    assert (await m.undo_edit(B)).done
    assert m.current_pedalboard().plugins[0].parameters["gain"] == -3
    other = await m.load_plugin(AMP, client=A)
    await m.move_plugin(iid, 5, 5, client=B)
    assert (await m.undo_edit(A)).done  # A's add of another plugin: no conflict
    assert other.instance_id not in {p.instance_id for p in m.current_pedalboard().plugins}


async def test_history_survives_a_session_restart_and_is_per_board(tmp_path: Path) -> None:
    m, _, _ = await make_session(tmp_path)
    amp = await m.load_plugin(AMP, client=A)
    await m.set_parameter(amp.instance_id, "gain", -7, client=A)
    m.autosaver.flush()
    assert (tmp_path / "history.json").is_file()
    again, _, _ = await make_session(tmp_path)
    assert [e.label for e in again.undo.history.entries] == [
        "Add Test Amp",
        "Change Test Amp Gain",
    ]
    assert [i.label for i in again.dump().history] == ["Add Test Amp", "Change Test Amp Gain"]
    assert (await again.undo_edit(A)).done
    assert again.current_pedalboard().plugins[0].parameters["gain"] == 0
    await again.create_pedalboard("Another")
    assert again.undo.history.entries == []
    assert (await again.undo_edit(A)).done is False


def test_history_is_bounded() -> None:
    ticks = iter(range(0, 10_000, 5))
    history = History("b", clock=lambda: float(next(ticks)))  # no bursts: one entry each
    for i in range(MAX_ENTRIES + 50):
        history.record(A, f"e{i}", [ValuesStep("x", {"g": 0.0}, {"g": float(i)})])
    assert len(history.entries) == MAX_ENTRIES
    assert history.entries[-1].label == f"e{MAX_ENTRIES + 49}"


async def test_a_spliced_add_is_one_entry_and_bad_wiring_changes_nothing(tmp_path: Path) -> None:
    m, bridge, _ = await make_session(tmp_path)
    first = await m.load_plugin(AMP, client=A)
    await m.connect(f"{first.instance_id}:out", "system:playback_1", client=A)
    bad = Splice(connect=[Ports("@new:out", "@new:nope")])
    with pytest.raises(ValidationError):
        await m.load_plugin(AMP, client=A, splice=bad)
    assert len(bridge.instances) == 1
    cut = Ports(f"{first.instance_id}:out", "system:playback_1")
    splice = Splice(
        disconnect=[cut],
        connect=[
            Ports(f"{first.instance_id}:out", "@new:in"),
            Ports("@new:out", "system:playback_1"),
        ],
    )
    second = await m.load_plugin(AMP, client=A, splice=splice)
    cables = {(c.source, c.target) for c in m.current_pedalboard().connections}
    assert cables == {
        (f"{first.instance_id}:out", f"{second.instance_id}:in"),
        (f"{second.instance_id}:out", "system:playback_1"),
    }
    assert (await m.undo_edit(A)).done  # one undo takes the plugin out and the old cable back
    cables = {(c.source, c.target) for c in m.current_pedalboard().connections}
    assert cables == {(f"{first.instance_id}:out", "system:playback_1")}
    assert len(bridge.instances) == 1


async def test_a_plugin_crash_is_published_with_its_name(tmp_path: Path) -> None:
    m, _, events = await make_session(tmp_path)
    amp = await m.load_plugin(AMP)
    await m.on_bridge_event(bridge_event("plugin_died", {"instance_id": amp.instance_id}))
    assert events.of("plugin_died") == [{"instance_id": amp.instance_id, "name": "Test Amp"}]
    assert amp.instance_id not in m.state.engine.instances


async def test_a_plugin_that_died_before_its_load_reply_is_marked_when_the_reply_comes(
    tmp_path: Path,
) -> None:
    """The bridge's event travels on its own socket and may overtake the load's reply: the
    death is kept and applied once the plugin is in the model (before, it was dropped, and
    the engine view kept a plugin the engine had lost, so nothing ever restored it)."""
    m, _, events = await make_session(tmp_path)
    await m.on_bridge_event(bridge_event("plugin_died", {"instance_id": "amp_early"}))
    assert events.of("plugin_died") == []
    amp = await m.load_plugin(AMP, instance_id="amp_early")
    assert events.of("plugin_died") == [{"instance_id": "amp_early", "name": "Test Amp"}]
    assert amp.instance_id in m.state.crashed
    assert amp.instance_id not in m.state.engine.instances  # the watchdog replays the board


async def test_a_preset_load_is_one_entry_and_the_device_is_reported(tmp_path: Path) -> None:
    m, _, _ = await make_session(tmp_path)
    amp = await m.load_plugin(AMP, client=A)
    before = dict(amp.parameters)
    values = await m.load_preset(amp.instance_id, f"{AMP}#loud", client=A)
    assert values
    assert m.undo.history.entries[-1].label == "Load preset on Test Amp"
    assert (await m.undo_edit(A)).done
    plugin = m.current_pedalboard().plugins[0]
    assert plugin.parameters == before
    assert plugin.preset is None
    assert (await m.redo_edit(A)).done
    assert m.current_pedalboard().plugins[0].preset == f"{AMP}#loud"
    shown = SessionManager(FakeBridge(), Recorder(), Storage(tmp_path / "d"), device="ALSA hw:1")
    assert shown.dump().audio["device"] == "ALSA hw:1"


def test_a_burst_without_gesture_is_one_entry() -> None:
    now = [0.0]
    history = History("b", clock=lambda: now[0])
    for i in range(5):
        now[0] += 0.2
        history.record(A, "Change x g", [ValuesStep("x", {"g": float(i)}, {"g": float(i + 1)})])
    assert len(history.entries) == 1
    assert history.entries[0].steps[0] == ValuesStep("x", {"g": 0.0}, {"g": 5.0})
    now[0] += 2.0  # a pause: a new entry
    history.record(A, "Change x g", [ValuesStep("x", {"g": 5.0}, {"g": 6.0})])
    now[0] += 0.1  # another knob right after: its own entry
    history.record(A, "Change x h", [ValuesStep("x", {"h": 0.0}, {"h": 1.0})])
    assert len(history.entries) == 3


async def test_the_knobs_a_block_shows_are_kept_with_the_board_and_undone(
    tmp_path: Path,
) -> None:
    m, _, events = await make_session(tmp_path)
    amp = await m.load_plugin(AMP, client=A)
    iid = amp.instance_id
    events.clear()
    await m.set_knobs(iid, ["mode", "gain"], client=A)
    assert m.current_pedalboard().plugins[0].knobs == ["mode", "gain"]
    assert events.of("plugin_knobs") == [{"instance_id": iid, "knobs": ["mode", "gain"]}]
    assert m.state.modified
    for bad in (["nope"], ["gain", "gain"], ["gain", "mode", "on", "gain", "mode"]):
        with pytest.raises(ValidationError):
            await m.set_knobs(iid, bad, client=A)
    assert m.current_pedalboard().plugins[0].knobs == ["mode", "gain"]
    assert m.undo.history.entries[-1].label == "Choose the knobs of Test Amp"
    await m.undo_edit(A)
    assert m.current_pedalboard().plugins[0].knobs is None
    await m.redo_edit(A)
    assert m.current_pedalboard().plugins[0].knobs == ["mode", "gain"]
    # the board file keeps them: loading it back shows the same knobs
    await m.save_pedalboard()
    name = m.current_pedalboard().id
    await m.create_pedalboard("other")
    await m.load_pedalboard(name)
    assert m.current_pedalboard().plugins[0].knobs == ["mode", "gain"]
    # removing the block and undoing that brings its knobs back too
    await m.unload_plugin(iid, client=A)
    await m.undo_edit(A)
    assert m.current_pedalboard().plugins[0].knobs == ["mode", "gain"]
