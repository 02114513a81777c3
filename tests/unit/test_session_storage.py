"""Storage of pedalboards: names, ids, confinement to the data dir, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stompbox.contract.errors import NotFoundError, ResourceError, ValidationError
from stompbox.contract.model import Connection, Pedalboard, PluginInstance
from stompbox.session import storage as storage_mod
from stompbox.session.storage import CurrentState, Storage, slugify, validate_id, validate_name


def board(board_id: str = "b", name: str = "B") -> Pedalboard:
    return Pedalboard(
        id=board_id,
        name=name,
        plugins=[PluginInstance(uri="urn:x", instance_id="x_1", name="X", parameters={"g": 1.5})],
        connections=[Connection("system:capture_1", "x_1:in")],
    )


@pytest.mark.parametrize("name", ["", "   ", "a\0b", "tab\there", "x" * 101, "line\nbreak"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        validate_name(name)


def test_good_names_are_stripped() -> None:
    assert validate_name("  Crunch  ") == "Crunch"
    assert validate_name("Ünïcødé 🎸") == "Ünïcødé 🎸"
    assert validate_name("x" * 100) == "x" * 100


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("My Board", "my-board"),
        ("../../etc/passwd", "etc-passwd"),
        ("日本", "board"),
        ("Ünï", "uni"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug
    validate_id(slugify(name))


@pytest.mark.parametrize("bad", ["", "../x", "a/b", "A", "x" * 65, ".", "a.json", "a\0"])
def test_ids_outside_the_pattern_are_refused(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        Storage(tmp_path).board_path(bad)


def test_save_load_list_delete_roundtrip(tmp_path: Path) -> None:
    store = Storage(tmp_path)
    store.save(board("one", "One"))
    store.save(board("two", "Two"))
    assert store.ids() == ["one", "two"]
    loaded = store.load("one")
    assert loaded.name == "One"
    assert loaded.plugins[0].parameters == {"g": 1.5}
    assert loaded.connections == [Connection("system:capture_1", "x_1:in")]
    assert (tmp_path / "pedalboards" / "one.json").is_file()
    store.delete("one")
    assert store.ids() == ["two"]
    with pytest.raises(NotFoundError):
        store.load("one")
    with pytest.raises(NotFoundError):
        store.delete("one")


def test_new_ids_are_unique(tmp_path: Path) -> None:
    store = Storage(tmp_path)
    store.save(board("crunch", "Crunch"))
    assert store.new_id("Crunch") == "crunch-2"
    assert store.new_id("Crunch", taken={"crunch-2"}) == "crunch-3"
    assert store.name_taken("CRUNCH")
    assert not store.name_taken("Crunch", except_id="crunch")


def test_newer_schema_and_garbage_are_refused(tmp_path: Path) -> None:
    store = Storage(tmp_path)
    store.ensure()
    (store.boards_dir / "future.json").write_text('{"id":"future","name":"F","schema":99}')
    (store.boards_dir / "junk.json").write_text("{not json")
    with pytest.raises(ValidationError, match="schema"):
        store.load("future")
    with pytest.raises(ValidationError):
        store.load("junk")
    assert store.list() == []  # broken files are skipped in listings


def test_crash_between_write_and_rename_leaves_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Storage(tmp_path)
    store.save(board("b", "Old"))
    before = (store.boards_dir / "b.json").read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError(5, "simulated crash before rename")

    monkeypatch.setattr(storage_mod.os, "replace", crash)
    with pytest.raises(ResourceError):
        store.save(board("b", "New"))
    monkeypatch.undo()
    assert (store.boards_dir / "b.json").read_bytes() == before
    assert store.load("b").name == "Old"
    assert [p.name for p in store.boards_dir.iterdir()] == ["b.json"]  # no temp left behind


def test_temp_file_is_in_the_same_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str]] = []
    real = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append((str(src), str(dst)))
        real(src, dst)

    monkeypatch.setattr(storage_mod.os, "replace", spy)
    Storage(tmp_path).save(board())
    ((src, dst),) = seen
    assert Path(src).parent == Path(dst).parent


def test_current_state_roundtrip_and_damage(tmp_path: Path) -> None:
    store = Storage(tmp_path)
    assert store.load_current() is None
    store.save_current(CurrentState(pedalboard=board(), modified=True))
    restored = store.load_current()
    assert restored is not None
    assert restored.modified
    assert restored.pedalboard is not None
    assert restored.pedalboard.plugins[0].instance_id == "x_1"
    (tmp_path / "current.json").write_text("garbage")
    assert store.load_current() is None


def test_symlink_escape_is_refused(tmp_path: Path) -> None:
    store = Storage(tmp_path / "data")
    store.ensure()
    outside = tmp_path / "outside.json"
    outside.write_text("{}")
    (store.boards_dir / "evil.json").symlink_to(outside)
    with pytest.raises(ValidationError, match="escapes"):
        store.load("evil")
