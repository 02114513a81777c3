"""Nothing acknowledged is lost: replies wait for the autosave, failed autosaves are retried and
flushed on shutdown, a damaged or foreign current.json is set aside, never overwritten."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import msgspec
import pytest

from stompbox.contract.errors import ResourceError
from stompbox.contract.model import Pedalboard
from stompbox.session import autosave as autosave_mod
from stompbox.session.autosave import Autosaver
from stompbox.session.state import SessionState
from stompbox.session.storage import CurrentState, Storage


class _Events:
    seq = 0

    def publish(self, event: str, data: Any = None) -> Any:
        return None


def _state() -> SessionState:
    st = SessionState(None, _Events())  # type: ignore[arg-type]
    st.board = Pedalboard(id="b", name="B")
    return st


def _saved_name(data_dir: Path) -> str | None:
    path = data_dir / "current.json"
    if not path.exists():
        return None
    saved = msgspec.json.decode(path.read_bytes(), type=CurrentState)
    return saved.pedalboard.name if saved.pedalboard else None


async def test_settled_returns_after_the_write_containing_the_change(tmp_path: Path) -> None:
    st = _state()
    saver = Autosaver(st, Storage(tmp_path), debounce=30.0)  # a long debounce: settled skips it
    st.on_change = saver.request
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(saver.run())
        assert st.board is not None
        st.board.name = "turned"
        st.changed()
        async with asyncio.timeout(10):
            await saver.settled()
        assert _saved_name(tmp_path) == "turned"  # on disk before the reply would leave
        task.cancel()


async def test_failed_autosave_is_retried_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(autosave_mod, "RETRY_MIN", 0.01)
    st = _state()
    reported: list[str] = []
    saver = Autosaver(st, Storage(tmp_path), debounce=0.0, on_failure=reported.append)
    st.on_change = saver.request
    real = saver._write
    fails = {"left": 2}

    def flaky(data: list[tuple[str, bytes]], sync: bool = True) -> None:
        if fails["left"]:
            fails["left"] -= 1
            raise ResourceError("cannot write current.json: No space left on device")
        real(data, sync)

    saver._write = flaky  # type: ignore[method-assign]
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(saver.run())
        st.changed()
        async with asyncio.timeout(10):
            await saver.settled()  # the failed attempt does not hold the reply forever
            while saver.pending:
                await asyncio.sleep(0.01)
        task.cancel()
    assert saver.failures == 2
    assert reported == ["cannot write current.json: No space left on device"]  # once
    assert saver.failing == ""
    assert _saved_name(tmp_path) == "B"


def test_flush_on_shutdown_writes_after_a_failed_autosave(tmp_path: Path) -> None:
    st = _state()
    saver = Autosaver(st, Storage(tmp_path))
    saver.request()
    saver.attempted = saver.requested  # as after a failed attempt: tried, not saved
    assert saver.pending
    saver.flush()
    assert not saver.pending
    assert _saved_name(tmp_path) == "B"


def test_damaged_current_is_set_aside_and_reported(tmp_path: Path) -> None:
    store = Storage(tmp_path)
    (tmp_path / "current.json").write_text('{"schema": 1, "pedalboard": {"name": ')
    assert store.load_current() is None
    kept = sorted(p.name for p in tmp_path.glob("current.damaged-*.json"))
    assert len(kept) == 1
    assert (tmp_path / kept[0]).read_text().startswith('{"schema": 1')
    assert not (tmp_path / "current.json").exists()
    assert store.problems
    assert kept[0] in store.problems[0]


def test_symlink_out_of_the_data_dir_is_set_aside_not_followed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    outside = tmp_path / "precious.txt"
    outside.write_text("not ours")
    os.symlink(outside, data / "current.json")
    store = Storage(data)
    assert store.load_current() is None  # no crash, no ValidationError
    assert not (data / "current.json").exists()
    (kept,) = data.glob("current.foreign-*.json")
    assert kept.is_symlink()
    assert outside.read_text() == "not ours"
    assert "symlink" in store.problems[0]


def test_board_count_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stompbox.session import storage as storage_mod

    monkeypatch.setattr(storage_mod, "MAX_BOARDS", 2)
    store = Storage(tmp_path)
    store.save(Pedalboard(id="a", name="A"))
    store.save(Pedalboard(id="b", name="B"))
    store.save(Pedalboard(id="b", name="B again"))  # overwriting an existing one is fine
    with pytest.raises(ResourceError, match="at most 2 pedalboards"):
        store.save(Pedalboard(id="c", name="C"))
