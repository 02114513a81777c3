"""The value log: a knob turn's reply waits for one append, not for current.json; after a crash
the values current.json does not cover yet come back; a structural change still waits."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import msgspec

from stompbox.contract.model import Pedalboard, PluginInstance
from stompbox.contract.plugin import Direction, PortInfo, PortType
from stompbox.session.autosave import Autosaver
from stompbox.session.state import SessionState
from stompbox.session.storage import CurrentState, Storage
from stompbox.session.wal import WAL_FILE, ValueLog, read_entries, replay_values

GAIN = PortInfo(
    index=0, symbol="gain", name="Gain", type=PortType.CONTROL, direction=Direction.INPUT,
    minimum=-70.0, maximum=24.0, default=0.0,
)  # fmt: skip


class _Events:
    seq = 0

    def publish(self, event: str, data: Any = None) -> Any:
        return None


def _board() -> Pedalboard:
    amp = PluginInstance(
        uri="urn:amp", instance_id="amp", name="Amp", parameters={"gain": 0.0},
        available_parameters={"gain": GAIN},
    )  # fmt: skip
    return Pedalboard(id="b", name="B", plugins=[amp])


def _turn(st: SessionState, value: float) -> None:
    """What PluginManager.apply_parameter does to the model and its hooks."""
    assert st.board is not None
    st.board.plugins[0].parameters["gain"] = value
    st.changed()
    st.on_value("amp", "gain", value)


def test_log_append_restore_and_cut(tmp_path: Path) -> None:
    wal = ValueLog(tmp_path)
    assert wal.append("amp", "gain", -3.0)
    assert wal.append("amp", "gain", -6.0)
    size = wal.size
    assert wal.append("amp", "gain", -9.0)
    wal.cut(size)  # newer entries follow the snapshot: nothing is dropped
    assert [e[3] for e in read_entries(tmp_path / WAL_FILE)] == [-3.0, -6.0, -9.0]
    wal.cut(wal.size)
    assert read_entries(tmp_path / WAL_FILE) == []
    (tmp_path / WAL_FILE).write_bytes(b'[4,"amp","gain",-1.5]\n[5,"amp","gain",-2.5]\n[6,"am')
    again = ValueLog(tmp_path)
    assert again.restore(covered=4) == [(5, "amp", "gain", -2.5)]  # torn last line skipped
    assert again.seq == 5
    board = _board()
    assert replay_values(board, [(7, "amp", "gain", 1000.0), (8, "nope", "gain", 1.0)]) == 1
    assert board.plugins[0].parameters["gain"] == 24.0  # shaped by the one value rule


async def test_a_knob_turn_is_durable_before_current_json_and_comes_back(tmp_path: Path) -> None:
    st = SessionState(None, _Events())  # type: ignore[arg-type]
    st.board = _board()
    storage = Storage(tmp_path)
    storage.ensure()
    saver = Autosaver(st, storage, debounce=30.0)
    st.on_change, st.on_value = saver.request, saver.log_value
    saver.flush()  # nothing pending yet: no file
    st.changed()
    saver.flush()  # current.json with gain 0
    _turn(st, -12.5)
    async with asyncio.timeout(1):
        await saver.settled()  # no writer task runs: only the value log can make this return
    saved = msgspec.json.decode((tmp_path / "current.json").read_bytes(), type=CurrentState)
    assert saved.pedalboard is not None
    assert saved.pedalboard.plugins[0].parameters["gain"] == 0.0  # current.json is behind...
    # ... and a session starting after a kill -9 here gets the acknowledged value back
    later = ValueLog(tmp_path).restore(saved.log_seq)
    assert replay_values(saved.pedalboard, later) == 1
    assert saved.pedalboard.plugins[0].parameters["gain"] == -12.5
    # a structural change is not in the log: its reply waits for current.json
    st.board.name = "renamed"
    st.changed()
    assert max(saver.saved, saver.logged) < saver.requested
    saver.flush()
    assert max(saver.saved, saver.logged) >= saver.requested
    assert read_entries(tmp_path / WAL_FILE) == []  # the written snapshot covers the log


async def test_a_knob_turn_with_its_undo_entry_needs_no_current_json_write(tmp_path: Path) -> None:
    """Through the real manager: the undo entry a knob turn records rides along with the next
    write, but the reply does not wait for that write (it used to: a whole atomic write of
    current.json and the history per knob turn, 6–7 ms of a 10 ms round trip on this machine)."""
    from stompbox.session.fake_bridge import AMP
    from stompbox.session.undo import HISTORY_FILE

    from .test_session_support import make_session

    m, _bridge, _events = await make_session(tmp_path)
    amp = await m.load_plugin(AMP, 10, 20, client="a")
    m.autosaver.flush()  # the structural change is written (no writer task runs here)
    writes = m.autosaver.writes
    await m.set_parameter(amp.instance_id, "gain", -9.0, client="a")
    async with asyncio.timeout(1):
        await m.autosaver.settled()  # only the value log can make this return at once
    assert m.autosaver.writes == writes
    assert [e[3] for e in read_entries(tmp_path / WAL_FILE)] == [-9.0]
    assert m.autosaver.pending  # the undo entry is still to be written ...
    m.autosaver.flush()  # ... and the next write (here: shutdown's) takes it
    assert not m.autosaver.pending
    assert b"Change" in (tmp_path / HISTORY_FILE).read_bytes()


async def test_knob_turns_alone_are_snapshotted_later_than_structural_changes(
    tmp_path: Path,
) -> None:
    """Values in the value log wait `logged_debounce` for their snapshot; a structural change
    (not logged) is written after the short debounce."""
    st = SessionState(None, _Events())  # type: ignore[arg-type]
    st.board = _board()
    storage = Storage(tmp_path)
    storage.ensure()
    saver = Autosaver(st, storage, debounce=0.05, logged_debounce=30.0)
    st.on_change, st.on_value = saver.request, saver.log_value
    saver.flush()
    st.changed()
    saver.flush()
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(saver.run())
        _turn(st, -3.0)
        await asyncio.sleep(0.5)
        assert saver.writes == 1  # the turn is in the value log; no snapshot yet
        assert st.board is not None
        st.board.name = "renamed"
        st.changed()  # a structural change: written after the short debounce, turn included
        async with asyncio.timeout(5):
            while saver.writes == 1:
                await asyncio.sleep(0.02)
        saved = msgspec.json.decode((tmp_path / "current.json").read_bytes(), type=CurrentState)
        assert saved.pedalboard is not None
        assert saved.pedalboard.name == "renamed"
        assert saved.pedalboard.plugins[0].parameters["gain"] == -3.0
        task.cancel()
