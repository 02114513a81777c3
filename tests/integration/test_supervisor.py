"""The supervisor survives whatever a child writes and restarts a child that dies; nothing a
child started outlives it (PR_SET_PDEATHSIG, process groups, the sweep of tagged leftovers)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from stompbox import lifetime
from stompbox.supervisor import Child

pytestmark = pytest.mark.integration

LONG_LINE_CHILD = """
import sys, time
sys.stdout.write("x" * (1 << 20) + "\\n")  # 1 MiB in one line: asyncio's limit is 64 KiB
sys.stdout.write("noisy ready\\n")
sys.stdout.flush()
time.sleep(0.3)
sys.exit(3)
"""


async def _wait(predicate: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_child_printing_a_1_mib_line_is_relayed_and_restarted(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    argv = [sys.executable, "-c", LONG_LINE_CHILD]
    child = Child("noisy", dict(os.environ), tmp_path, argv=argv)
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(child.supervise())
        async with asyncio.timeout(60):
            await child.ready.wait()
        await _wait(lambda: child.restarts >= 1)  # it exited (status 3) and was started again
        child.ready.clear()
        async with asyncio.timeout(60):
            await child.ready.wait()  # ... and the new one got past its long line too
        await child.stop()
        await task
    err = capfd.readouterr().err
    assert "bytes truncated]" in err
    assert "noisy ready" in err
    assert max(len(line) for line in err.splitlines()) < 20_000


SLEEPER = "import time; time.sleep(120)"
PARENT = f"""
import os, signal, subprocess, sys, time
from stompbox.lifetime import die_with_parent
p = subprocess.Popen([sys.executable, "-c", {SLEEPER!r}], start_new_session=True,
                     preexec_fn=die_with_parent(signal.SIGTERM))
print(p.pid, flush=True)
time.sleep(120)
"""


def test_a_child_dies_with_its_parent_killed_9() -> None:
    import subprocess

    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    grandchild = int(parent.stdout.readline())
    assert os.getpgid(grandchild) == grandchild  # a process group of its own
    os.kill(parent.pid, signal.SIGKILL)  # only that PID, as a segfault would
    parent.wait(10)
    deadline = time.monotonic() + 10
    while lifetime._alive(grandchild):
        assert time.monotonic() < deadline, "the grandchild outlived its parent"
        time.sleep(0.05)


def test_sweep_ends_tagged_processes_only(tmp_path: Path) -> None:
    import subprocess

    tag = lifetime.owner_tag(tmp_path, "engine", 0)
    env = {**os.environ, lifetime.OWNER_VAR: tag}
    mine = subprocess.Popen([sys.executable, "-c", SLEEPER], env=env)
    other_env = {**os.environ, lifetime.OWNER_VAR: lifetime.owner_tag(tmp_path, "web", 0)}
    other = subprocess.Popen([sys.executable, "-c", SLEEPER], env=other_env)
    try:
        deadline = time.monotonic() + 10
        while mine.pid not in lifetime.tagged(f"{tmp_path}|engine|"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert lifetime.sweep(f"{tmp_path}|engine|") == [mine.pid]
        assert mine.wait(5) is not None
        assert other.poll() is None
    finally:
        for p in (mine, other):
            p.kill()
            p.wait(5)
