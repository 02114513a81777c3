"""The runtime dir must be this user's own, private directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stompbox.settings import UnsafeDirError, private_dir


def test_created_private(tmp_path: Path) -> None:
    path = private_dir(tmp_path / "a" / "run")
    assert (path.stat().st_mode & 0o777) == 0o700


def test_loose_mode_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "run"
    path.mkdir(mode=0o777)
    path.chmod(0o777)
    private_dir(path)
    assert (path.stat().st_mode & 0o777) == 0o700


def test_symlink_refused(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(UnsafeDirError):
        private_dir(tmp_path / "link")


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give a dir to another user")
def test_owned_by_another_user_refused(tmp_path: Path) -> None:
    path = tmp_path / "run"
    path.mkdir(mode=0o700)
    os.chown(path, 65534, 65534)
    with pytest.raises(UnsafeDirError, match="belongs to uid 65534"):
        private_dir(path)
