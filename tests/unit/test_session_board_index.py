"""The board index: create and list read only the board files that changed, never all of them,
and still see files changed, added, broken or removed behind the session's back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stompbox.contract.errors import ConflictError
from stompbox.session.pedalboard_service import empty_board
from stompbox.session.storage import Storage

from .test_session_support import make_session

BOARDS = 990  # near the cap of 1,000 (storage.MAX_BOARDS)


def _fill(data_dir: Path, n: int) -> None:
    storage = Storage(data_dir)
    for i in range(n):
        storage.save(empty_board(f"b-{i:04d}", f"Board {i}"))


async def test_create_and_list_decode_only_what_changed(tmp_path: Path) -> None:
    _fill(tmp_path, BOARDS)
    m, _, _ = await make_session(tmp_path)
    index = m.storage.index
    assert len(m.list_pedalboards()) == BOARDS  # the first listing reads each file once
    first = index.decoded
    assert first == BOARDS
    for k in range(5):
        await m.create_pedalboard(f"New {k}")
        assert len(m.list_pedalboards()) == BOARDS + k + 1
    await m.save_pedalboard_as("Copy")
    with pytest.raises(ConflictError):
        await m.create_pedalboard("board 7")  # names are still checked against every board
    assert index.decoded == first  # what the session wrote itself is never read back


async def test_the_index_follows_files_changed_behind_its_back(tmp_path: Path) -> None:
    _fill(tmp_path, 3)
    m, _, _ = await make_session(tmp_path)
    assert [b.name for b in m.list_pedalboards()] == ["Board 0", "Board 1", "Board 2"]
    boards = tmp_path / "pedalboards"
    doc = json.loads((boards / "b-0001.json").read_text())
    doc["name"] = "Renamed by hand"
    (boards / "b-0001.json").write_text(json.dumps(doc))
    (boards / "b-0002.json").unlink()
    (boards / "b-0009.json").write_text(json.dumps({**doc, "name": "Copied in"}))
    (boards / "b-0000.json").write_text("{ broken")
    names = [b.name for b in m.list_pedalboards()]
    assert names == ["Renamed by hand", "Copied in"]
    await m.create_pedalboard("Board 2")  # its file is gone: the name is free again
    with pytest.raises(ConflictError):
        await m.create_pedalboard("copied in")
