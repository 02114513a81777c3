"""Names users give boards and presets: labels only; path-like or control-laden ones refused."""

from __future__ import annotations

import pytest

from stompbox.contract.errors import ValidationError
from stompbox.contract.names import MAX_NAME, check_name
from stompbox.session.storage import Storage


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "../evil",
        "/etc/passwd",
        "a/b",
        "a\\b",
        ".",
        "..",
        ".hidden",
        "con",
        "NUL.json",
        "com1",
        "lpt9",
        "bad\0name",
        "tab\there",
        "x" * (MAX_NAME + 1),
    ],
)
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        check_name(name)


@pytest.mark.parametrize(
    "name", ["Crunch", "  Lead tone  ", "Été à Paris", "v1.2 live", "Con moto"]
)
def test_good_names_are_kept_stripped(name: str) -> None:
    assert check_name(name) == name.strip()


def test_sweep_removes_only_orphaned_temp_files(tmp_path):  # type: ignore[no-untyped-def]
    storage = Storage(tmp_path)
    storage.ensure()
    orphan = storage.boards_dir / ".default.json.123.abcd.tmp"
    orphan.write_bytes(b"{half")
    board = storage.boards_dir / "default.json"
    board.write_bytes(b"{}")
    assert storage.sweep_temp() == 1
    assert not orphan.exists()
    assert board.exists()
