"""Connections, pedalboards, restart and engine replay, against the in-package FakeBridge."""

from __future__ import annotations

from pathlib import Path

import pytest

from stompbox.contract import bridge_api as B
from stompbox.contract.bridge import Transaction, TransactionPhase
from stompbox.contract.errors import ConflictError, NotFoundError, ValidationError
from stompbox.contract.model import Connection
from stompbox.session.fake_bridge import AMP, STEREO, SYNTH, FakeBridge
from stompbox.session.storage import Storage

from .test_session_support import bridge_event, make_session


async def test_connections_are_validated(tmp_path: Path) -> None:
    m, bridge, events = await make_session(tmp_path)
    await m.load_plugin(AMP, instance_id="amp")
    await m.load_plugin(SYNTH, instance_id="synth")
    events.clear()
    await m.connect("system:capture_1", "amp:in")
    await m.connect("amp:out", "system:playback_1")
    await m.connect("system:midi_capture_1", "synth:midi_in")
    assert len(bridge.connections) == 3
    bad: list[tuple[str, str, type[Exception], str]] = [
        ("amp:out", "synth:out", ValidationError, "output→output"),
        ("amp:in", "system:playback_2", ValidationError, "input→input"),
        ("system:playback_1", "amp:out", ValidationError, "swap them"),
        ("synth:out", "synth:midi_in", ValidationError, "type mismatch"),
        ("system:capture_1", "amp:in", ConflictError, "already connected"),
        ("ghost:out", "amp:in", NotFoundError, "no plugin instance 'ghost'"),
        ("amp:nope", "system:playback_1", ValidationError, "unknown port 'nope'"),
        ("amp:gain", "system:playback_1", ValidationError, "control port"),
        ("system:capture_9", "amp:in", ValidationError, "unknown system port"),
        ("no-colon", "amp:in", ValidationError, "invalid port address"),
    ]
    for source, target, exc, message in bad:
        with pytest.raises(exc, match=message):
            await m.connect(source, target)
    assert len(bridge.connections) == 3
    assert events.names() == ["connection_created"] * 3
    await m.disconnect("amp:out", "system:playback_1")
    with pytest.raises(NotFoundError):
        await m.disconnect("amp:out", "system:playback_1")
    assert Connection("amp:out", "system:playback_1") not in m.current_pedalboard().connections
    assert events.names()[-1] == "connection_removed"


async def test_pedalboard_lifecycle(tmp_path: Path) -> None:
    m, _bridge, events = await make_session(tmp_path)
    assert m.current_pedalboard().id == "default"
    created = await m.create_pedalboard("Clean Tone")
    assert created.pedalboard.id == "clean-tone"
    assert created.missing == []
    await m.load_plugin(AMP, instance_id="amp")
    await m.set_parameter("amp", "gain", -12)
    assert m.dump().modified
    await m.save_pedalboard()
    assert not m.dump().modified
    copy = await m.save_pedalboard_as("Crunch")
    assert copy.id == "crunch"
    assert m.current_pedalboard().id == "crunch"
    with pytest.raises(ConflictError):
        await m.save_pedalboard_as("crunch")  # names are unique, case-insensitively
    with pytest.raises(ConflictError):
        await m.create_pedalboard("Clean Tone")
    with pytest.raises(ValidationError):
        await m.create_pedalboard("bad\x00name")
    renamed = await m.rename_pedalboard("clean-tone", "Sparkle")
    assert renamed.id == "clean-tone"
    assert renamed.name == "Sparkle"
    with pytest.raises(NotFoundError):
        await m.rename_pedalboard("nope", "X")
    with pytest.raises(ConflictError):
        await m.delete_pedalboard("crunch")  # the current one
    listing = {b.id: b for b in m.list_pedalboards()}
    assert set(listing) == {"clean-tone", "crunch"}
    assert listing["crunch"].plugins == 1
    await m.delete_pedalboard("clean-tone")
    with pytest.raises(NotFoundError):
        await m.load_pedalboard("clean-tone")
    with pytest.raises(ValidationError):
        await m.load_pedalboard("../etc")
    assert m.dump().saved == ["crunch"]
    actions = [d["action"] for d in events.of("pedalboard_changed")]
    assert actions == ["created", "saved", "saved_as", "renamed", "deleted"]


async def test_switching_boards_reuses_shared_instances(tmp_path: Path) -> None:
    m, bridge, events = await make_session(tmp_path)
    await m.create_pedalboard("A")
    await m.load_plugin(AMP, instance_id="amp")
    await m.load_plugin(STEREO, instance_id="delay")
    await m.connect("system:capture_1", "amp:in")
    await m.connect("amp:out", "delay:in_l")
    await m.connect("delay:out_l", "system:playback_1")
    await m.save_pedalboard()
    await m.save_pedalboard_as("B")
    await m.set_parameter("delay", "time", 500)
    await m.bypass_plugin("amp", True)
    await m.load_plugin(SYNTH, instance_id="synth")
    await m.connect("synth:out", "system:playback_2")
    await m.save_pedalboard()

    bridge.calls.clear()
    events.clear()
    result = await m.load_pedalboard("a")
    methods = [tuple(c[0].name.split(".", 1)) for c in bridge.calls]
    assert ("plugin", "load") not in methods  # amp and delay reused
    assert methods.count(("plugin", "unload")) == 1  # synth
    assert ("plugin", "set_parameter") in methods
    assert ("plugin", "bypass") in methods
    assert methods.count(("plugin", "set_parameter")) == 1  # only delay:time differs
    # the whole switch inside one bridge transaction: begin first, commit last
    engine_calls = [c for c in bridge.calls if c[0] is not B.STATE]
    assert engine_calls[0] == (B.PLUGIN_TRANSACTION, Transaction(TransactionPhase.BEGIN))
    assert engine_calls[-1] == (B.PLUGIN_TRANSACTION, Transaction(TransactionPhase.COMMIT))
    assert methods.count(("plugin", "transaction")) == 2
    assert result.missing == []
    loaded = events.of("pedalboard_loaded")
    assert len(loaded) == 1
    assert loaded[0]["reused"] == 2
    assert events.names()[-1] == "pedalboard_loaded"
    assert bridge.instances["delay"].values["time"] == 250.0
    assert not bridge.instances["amp"].bypassed
    assert bridge.connections == {
        ("system:capture_1", "amp:in"),
        ("amp:out", "delay:in_l"),
        ("delay:out_l", "system:playback_1"),
    }
    await m.load_pedalboard("b")
    assert bridge.instances["delay"].values["time"] == 500.0
    assert bridge.instances["amp"].bypassed
    assert ("synth:out", "system:playback_2") in bridge.connections


async def test_missing_plugins_are_reported_and_the_rest_loads(tmp_path: Path) -> None:
    m, bridge, _ = await make_session(tmp_path)
    await m.create_pedalboard("Full")
    await m.load_plugin(AMP, instance_id="amp")
    await m.load_plugin(SYNTH, instance_id="synth")
    await m.connect("synth:out", "amp:in")
    await m.connect("amp:out", "system:playback_1")
    await m.save_pedalboard()
    await m.create_pedalboard("Empty")
    del bridge.catalog[SYNTH]
    result = await m.load_pedalboard("full")
    assert result.missing == [SYNTH]
    assert [p.instance_id for p in result.pedalboard.plugins] == ["amp"]
    assert result.pedalboard.connections == [Connection("amp:out", "system:playback_1")]
    assert set(bridge.instances) == {"amp"}


async def test_restart_restores_the_board_and_replays_it(tmp_path: Path) -> None:
    m, bridge, _ = await make_session(tmp_path)
    await m.load_plugin(AMP, instance_id="amp")
    await m.set_parameter("amp", "gain", -20)
    await m.connect("system:capture_1", "amp:in")
    m.autosaver.flush()

    # the session restarts; the engine kept running
    m2, _, events = await make_session(tmp_path, bridge)
    board = m2.current_pedalboard()
    assert board.plugins[0].parameters["gain"] == -20.0
    assert set(bridge.instances) == {"amp"}
    assert bridge.instances["amp"].values["gain"] == -20.0
    assert events.names() == ["engine_status"]

    # the session restarts against a fresh engine
    fresh = FakeBridge()
    m3, _, _ = await make_session(tmp_path, fresh)
    assert fresh.instances["amp"].values["gain"] == -20.0
    assert fresh.connections == {("system:capture_1", "amp:in")}
    assert m3.current_pedalboard().connections == [Connection("system:capture_1", "amp:in")]


async def test_engine_restart_replays_the_board(tmp_path: Path) -> None:
    m, bridge, events = await make_session(tmp_path)
    await m.load_plugin(AMP, instance_id="amp")
    await m.set_parameter("amp", "gain", 7)
    await m.bypass_plugin("amp", True)
    await m.connect("amp:out", "system:playback_1")
    await m.on_bridge_event(bridge_event("engine_disconnected", {"reason": "killed"}))
    assert not m.dump().engine_connected
    assert m.control.engine_status().reason == "killed"
    bridge.instances.clear()
    bridge.connections.clear()
    events.clear()
    await m.on_bridge_event(bridge_event("engine_connected", {}))
    assert bridge.instances["amp"].values["gain"] == 7.0
    assert bridge.instances["amp"].bypassed
    assert bridge.connections == {("amp:out", "system:playback_1")}
    assert events.names() == ["engine_status"]
    assert events.of("engine_status")[0]["connected"]
    assert m.control.replays == 1
    await m.on_bridge_event(bridge_event("engine_connected", {}))  # a repeat is ignored
    assert m.control.replays == 1


async def test_auto_create_flag(tmp_path: Path) -> None:
    m, _, _ = await make_session(tmp_path / "a", auto_create=False)
    assert m.dump().pedalboard is None
    with pytest.raises(ConflictError, match="no current pedalboard"):
        await m.load_plugin(AMP)
    await m.create_pedalboard("First")
    assert (await m.load_plugin(AMP)).instance_id == "test_amp_1"


async def test_state_dump_and_autosave(tmp_path: Path) -> None:
    m, _, events = await make_session(tmp_path)
    await m.load_plugin(AMP)
    state = m.dump()
    assert state.seq == events.seq
    assert state.pedalboard is not None
    assert state.pedalboard.plugins[0].uri == AMP
    m.autosaver.flush()
    current = Storage(tmp_path).load_current()
    assert current is not None
    assert current.pedalboard is not None
    assert current.pedalboard.plugins[0].uri == AMP
    await m.drain()
    with pytest.raises(Exception, match="shutting down"):
        await m.load_plugin(AMP)
