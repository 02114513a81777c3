"""Save an instance's state (port values and the plugin's own state) as a preset bundle, safely.

The C core (lilv) writes into a fresh temporary directory inside the bundle; each file is then
fsynced and renamed into place and the directory fsynced, so a crash leaves the old preset or the
new one, never half of one. The bundle must lie inside the engine's data dir.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .native import NativeEngine


class StateError(OSError):
    """The bundle is outside the data dir, or the plugin's state could not be written."""


def inside(path: Path, root: Path) -> Path:
    """`path` resolved, if it lies inside `root` (resolved); StateError otherwise."""
    resolved = path.expanduser().resolve()
    base = root.expanduser().resolve()
    if resolved != base and base not in resolved.parents:
        raise StateError(f"{path} is outside the data dir {base}")
    return resolved


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_state(
    native: NativeEngine, number: int, bundle: Path, filename: str, label: str
) -> tuple[str, str]:
    """Write `bundle/filename` + `manifest.ttl` (+ files the plugin saves); (preset URI, Turtle).

    Blocking: run it in a thread."""
    bundle.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".save-", dir=bundle))
    try:
        if native.state_save(number, tmp, filename, label) != 0:
            raise StateError(f"effect_{number}: the plugin's state could not be saved")
        for item in sorted(tmp.iterdir()):
            if item.is_symlink():  # a link to a file the plugin uses: point at it absolutely
                target = item.resolve()
                item.unlink()
                item.symlink_to(target)
            elif item.is_file():
                _fsync(item)
            os.replace(item, bundle / item.name)
        _fsync(bundle)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    native.load_bundle(bundle)
    target = bundle / filename
    return target.as_uri(), target.read_text(encoding="utf-8", errors="replace")
