"""A board may hold at most MAX_BOARD_BYTES (snapshots included): a snapshot or a save that would
make it bigger is a clear `resource` error and changes nothing, and a board file beyond it is
refused when loaded. The cap is lowered here so the boards stay small."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from stompbox.contract import live as lv
from stompbox.contract.errors import ResourceError
from stompbox.session import storage
from stompbox.session.fake_bridge import AMP, STEREO

from .test_live_session import live_session

CAP = 24 * 1024


@pytest.fixture
def small_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "MAX_BOARD_BYTES", CAP, raising=False)


async def test_a_snapshot_that_would_overflow_the_board_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m, live, _, events = await live_session(tmp_path)
    await m.create_pedalboard("Big")
    for n in range(6):
        await m.load_plugin(AMP if n % 2 else STEREO, instance_id=f"p{n}")
    empty = len(msgspec.json.encode(m.current_pedalboard()))
    await live.snapshot_save(lv.SaveSnapshot(name="scene 1"))
    one = len(msgspec.json.encode(m.current_pedalboard()))
    cap = one + (one - empty) * 3 // 2  # room for one more snapshot, not two
    monkeypatch.setattr(storage, "MAX_BOARD_BYTES", cap)
    await live.snapshot_save(lv.SaveSnapshot(name="scene 2"))
    with pytest.raises(ResourceError) as refused:
        await live.snapshot_save(lv.SaveSnapshot(name="scene 3"))
    assert refused.value.data["limit"] == cap
    assert refused.value.data["size"] > cap
    assert "snapshots included" in refused.value.message
    board = m.current_pedalboard()
    assert [s.name for s in board.snapshots] == ["scene 1", "scene 2"]  # nothing left behind
    assert board.current_snapshot == 1
    assert len(events.of("snapshots_changed")) == 2
    await live.snapshot_save(lv.SaveSnapshot(name="scene 2 again", index=1))  # same size: fits
    await m.save_pedalboard()  # what is there still saves


async def test_a_board_over_the_cap_is_not_saved_and_its_file_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m, _, _, _ = await live_session(tmp_path)
    await m.create_pedalboard("Grows")
    await m.load_plugin(AMP, instance_id="amp")
    await m.save_pedalboard()
    path = tmp_path / "pedalboards" / "grows.json"
    before = path.read_bytes()
    for n in range(8):
        await m.load_plugin(STEREO, instance_id=f"delay_{n}")
    monkeypatch.setattr(storage, "MAX_BOARD_BYTES", len(before) + 100)
    with pytest.raises(ResourceError):
        await m.save_pedalboard()
    assert path.read_bytes() == before
    assert m.dump().modified
    with pytest.raises(ResourceError):
        await m.save_pedalboard_as("Grows too")
    assert not (tmp_path / "pedalboards" / "grows-too.json").exists()


async def test_a_board_file_over_the_cap_is_refused_when_loaded(
    tmp_path: Path, small_cap: None
) -> None:
    m, _, _, _ = await live_session(tmp_path)
    await m.create_pedalboard("Hand made")
    await m.load_plugin(AMP, instance_id="amp")
    await m.save_pedalboard()
    await m.create_pedalboard("Other")
    path = tmp_path / "pedalboards" / "hand-made.json"
    doc = json.loads(path.read_text())
    doc["name"] = "x" * 100
    doc["files"] = {"amp": {f"urn:p{n}": "f" * 200 for n in range(200)}}
    path.write_text(json.dumps(doc))
    with pytest.raises(ResourceError):
        await m.load_pedalboard("hand-made")
    assert m.current_pedalboard().id == "other"
