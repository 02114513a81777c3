"""The tests' own children (tests/support/proc.py) end when the test run is killed: a pytest
killed with -9 leaves no jackd, engine or stack behind for the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RUN = """
import sys, time
from tests.support.proc import spawn
child = spawn([sys.executable, "-c", "import time; time.sleep(120)"])
print(child.pid, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return not stat.rpartition(") ")[2].startswith(("Z", "X"))


def test_a_child_of_a_killed_test_run_ends_with_it() -> None:
    run = subprocess.Popen(
        [sys.executable, "-c", RUN], cwd=ROOT, stdout=subprocess.PIPE, start_new_session=True
    )
    assert run.stdout is not None
    child = int(run.stdout.readline())
    try:
        assert _alive(child)
        run.send_signal(signal.SIGKILL)  # what a CI timeout or a killed pytest does
        run.wait(10)
        deadline = time.monotonic() + 30
        while _alive(child):
            assert time.monotonic() < deadline, "the child outlived its test run"
            time.sleep(0.05)
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)
