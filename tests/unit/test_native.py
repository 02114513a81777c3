"""The engine's C core: its own unit tests (rings, run order) build and pass, warning-free."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

NATIVE = Path(__file__).resolve().parents[2] / "src" / "stompbox" / "engine" / "native"


def _make(*targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "-C", str(NATIVE), *targets],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_c_unit_tests_pass() -> None:
    done = _make("check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all checks passed" in done.stdout


def test_library_loads_with_every_declared_function() -> None:
    from stompbox.engine.native import LIBRARY, load_library

    assert _make().returncode == 0
    load_library(LIBRARY)  # raises if a declared function is missing


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_c_unit_tests_pass_under_address_and_ub_sanitizers() -> None:
    done = _make("asan")
    assert done.returncode == 0, done.stdout + done.stderr
