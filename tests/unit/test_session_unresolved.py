"""A board file's surprises: repeated instance ids renamed (never an orphan in the engine);
plugins and connections the engine refuses kept pending in the board and its file, retried."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stompbox.contract.model import Connection
from stompbox.session.fake_bridge import AMP, SYNTH, FakeBridge

from .test_session_support import make_session


def _edit(tmp_path: Path, board_id: str, change: Any) -> None:
    path = tmp_path / "pedalboards" / f"{board_id}.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


async def test_a_repeated_instance_id_is_renamed_and_never_orphaned(tmp_path: Path) -> None:
    m, bridge, _ = await make_session(tmp_path)
    await m.create_pedalboard("Twice")
    await m.load_plugin(AMP, instance_id="amp")
    await m.connect("amp:out", "system:playback_1")
    await m.save_pedalboard()
    await m.create_pedalboard("Other")

    def twice(doc: dict[str, Any]) -> None:
        second = dict(doc["plugins"][0])
        second["parameters"] = {**second["parameters"], "gain": -3.0}
        doc["plugins"].append(second)

    _edit(tmp_path, "twice", twice)
    result = await m.load_pedalboard("twice")
    ids = [p.instance_id for p in result.pedalboard.plugins]
    assert ids == ["amp", "amp_2"]
    assert set(bridge.instances) == set(ids)  # both run, each under its own id
    assert bridge.instances["amp_2"].values["gain"] == -3.0
    assert result.pedalboard.connections == [Connection("amp:out", "system:playback_1")]
    assert any("appears twice" in p for p in m.pedalboards.last_report.problems)
    # the engine and the model agree after a replay into a fresh engine too
    fresh = FakeBridge()
    m2, _, _ = await make_session(tmp_path, fresh)
    assert set(fresh.instances) == {p.instance_id for p in m2.current_pedalboard().plugins}


async def test_a_refused_connection_is_kept_pending_saved_and_retried(tmp_path: Path) -> None:
    m, bridge, events = await make_session(tmp_path)
    await m.create_pedalboard("Wired")
    await m.load_plugin(AMP, instance_id="amp")
    await m.connect("amp:out", "system:playback_1")
    await m.save_pedalboard()
    await m.create_pedalboard("Other")

    def ninth(doc: dict[str, Any]) -> None:
        doc["connections"].append({"source": "amp:out", "target": "system:playback_9"})

    _edit(tmp_path, "wired", ninth)
    result = await m.load_pedalboard("wired")
    refused = Connection("amp:out", "system:playback_9")
    assert result.pedalboard.connections == [Connection("amp:out", "system:playback_1")]
    assert result.pedalboard.pending_connections == [refused]
    assert any("playback_9" in p for p in m.pedalboards.last_report.problems)
    warned = events.of("session_warning")
    assert warned, "no session_warning"
    assert warned[-1]["kind"] == "board_unresolved"
    assert "playback_9" in warned[-1]["message"]
    assert m.dump().pedalboard is not None
    # a save keeps it in the file
    await m.save_pedalboard()
    saved = json.loads((tmp_path / "pedalboards" / "wired.json").read_text())
    assert {"source": "amp:out", "target": "system:playback_9"} in saved["pending_connections"]
    # the next load tries it again (still refused: still pending, nothing lost)
    await m.create_pedalboard("Third")
    again = await m.load_pedalboard("wired")
    assert again.pedalboard.pending_connections == [refused]
    assert ("amp:out", "system:playback_1") in bridge.connections


async def test_a_missing_plugin_and_its_cables_stay_pending_until_installed(
    tmp_path: Path,
) -> None:
    m, bridge, events = await make_session(tmp_path)
    await m.create_pedalboard("Full")
    await m.load_plugin(AMP, instance_id="amp")
    await m.load_plugin(SYNTH, instance_id="synth")
    await m.connect("synth:out", "amp:in")
    await m.save_pedalboard()
    await m.create_pedalboard("Empty")
    synth = bridge.catalog.pop(SYNTH)
    result = await m.load_pedalboard("full")
    assert result.missing == [SYNTH]
    assert [p.instance_id for p in result.pedalboard.pending_plugins] == ["synth"]
    assert any(SYNTH in w["message"] for w in events.of("session_warning"))
    assert result.pedalboard.pending_connections == [Connection("synth:out", "amp:in")]
    await m.save_pedalboard()  # the save does not delete what could not run
    # a new plugin never takes the pending one's id
    extra = await m.load_plugin(AMP)
    assert extra.instance_id != "synth"
    await m.unload_plugin(extra.instance_id)
    await m.save_pedalboard()
    bridge.catalog[SYNTH] = synth  # installed again
    await m.create_pedalboard("Again")
    back = await m.load_pedalboard("full")
    assert {p.instance_id for p in back.pedalboard.plugins} == {"amp", "synth"}
    assert back.pedalboard.pending_plugins == []
    assert back.pedalboard.pending_connections == []
    assert ("synth:out", "amp:in") in bridge.connections


async def _missing_synth(tmp_path: Path) -> tuple[Any, FakeBridge, Any, Any]:
    m, bridge, events = await make_session(tmp_path)
    await m.create_pedalboard("Full")
    await m.load_plugin(AMP, instance_id="amp")
    await m.load_plugin(SYNTH, instance_id="synth")
    await m.connect("synth:out", "amp:in")
    await m.save_pedalboard()
    await m.create_pedalboard("Empty")
    synth = bridge.catalog.pop(SYNTH)
    await m.load_pedalboard("full")
    return m, bridge, events, synth


async def test_discarding_what_is_pending_empties_it_and_tells_every_client(
    tmp_path: Path,
) -> None:
    m, _, events, _ = await _missing_synth(tmp_path)
    path = tmp_path / "pedalboards" / "full.json"
    events.clear()
    async with m.mutation():
        left = m.pedalboards.discard_pending()
    assert (left.pending_plugins, left.pending_connections) == ([], [])
    board = m.current_pedalboard()
    assert (board.pending_plugins, board.pending_connections) == ([], [])
    assert events.of("board_pending") == [{"pending_plugins": [], "pending_connections": []}]
    assert m.dump().modified
    assert "synth" in path.read_text()  # the file keeps them until the board is saved
    await m.save_pedalboard()
    saved = json.loads(path.read_text())
    assert saved["pending_plugins"] == []
    assert saved["pending_connections"] == []
    events.clear()
    async with m.mutation():
        m.pedalboards.discard_pending()  # nothing left: nothing changes, nothing is said
    assert events.of("board_pending") == []


async def test_trying_again_loads_what_was_installed_meanwhile(tmp_path: Path) -> None:
    m, bridge, events, synth = await _missing_synth(tmp_path)
    async with m.mutation():
        still = await m.pedalboards.retry_pending()
    assert still.missing == [SYNTH]
    assert [p.instance_id for p in still.pedalboard.pending_plugins] == ["synth"]
    bridge.catalog[SYNTH] = synth  # installed now
    events.clear()
    async with m.mutation():
        result = await m.pedalboards.retry_pending()
    assert result.missing == []
    assert {p.instance_id for p in result.pedalboard.plugins} == {"amp", "synth"}
    assert result.pedalboard.pending_connections == []
    assert ("synth:out", "amp:in") in bridge.connections
    loaded = events.of("pedalboard_loaded")
    assert len(loaded) == 1
    assert loaded[0]["modified"] is True
