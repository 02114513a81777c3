"""kill -9 of the engine's own PID (what a segfault does), with plugins loaded — in the one-client
C core and in isolation mode (one jalv per plugin): no jalv survives it, the supervisor sweeps and
restarts, the board is rebuilt; `stompbox up` then stops leaving nothing running. A short loop
here; `make soak` runs the long one (bench/soak.py)."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stompbox import lifetime
from tests.integration.test_faults import AMP, UP_TIMEOUT, Up, converge

pytestmark = pytest.mark.integration

KILLS = 3
PLUGINS = 3


def alive(pid: int) -> bool:
    return lifetime._alive(pid)


async def build_chain(up: Up, n: int = PLUGINS) -> list[str]:
    async with httpx.AsyncClient(base_url=up.url, timeout=30.0) as http:
        deadline = time.monotonic() + UP_TIMEOUT
        while (await http.get("/api/plugins/info", params={"uri": AMP})).status_code != 200:
            assert time.monotonic() < deadline, "plugin catalog not ready"
            await asyncio.sleep(0.5)
        r = await http.post("/api/pedalboards", json={"name": f"kills {time.time_ns()}"})
        assert r.status_code == 200, r.text
        ids = []
        for i in range(n):
            r = await http.post("/api/pedalboard/plugins", json={"uri": AMP, "x": i, "y": 0})
            assert r.status_code == 200, r.text
            ids.append(str(r.json()["instance_id"]))
        for a, b in itertools.pairwise(ids):
            wire = {"source": f"{a}:output", "target": f"{b}:input"}
            r = await http.post("/api/pedalboard/connections", json=wire)
            assert r.status_code == 200, r.text
        r = await http.put(f"/api/pedalboard/plugins/{ids[0]}/parameters/gain", json={"value": -3})
        assert r.status_code == 200, r.text
    return ids


@pytest.fixture(params=[False, True], ids=["one-client", "isolation"])
def up(request: pytest.FixtureRequest, tmp_path: Path, catalog_cache_dir: Path) -> Iterator[Up]:
    stack = Up(tmp_path, catalog_cache_dir)
    stack.env["STOMPBOX_ENGINE_ISOLATION"] = "true" if request.param else "false"
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def _jalvs_expected(up: Up) -> int:
    """One jalv per plugin in isolation mode; none when the C core hosts the board."""
    return PLUGINS if up.env["STOMPBOX_ENGINE_ISOLATION"] == "true" else 0


async def kill_engine_once(up: Up) -> float:
    """kill -9 the engine PID only; return seconds until the engine equals the model again."""
    engine = up.pid_of("engine")
    jalvs = up.jalv_pids()
    assert engine is not None
    assert len(jalvs) == _jalvs_expected(up), jalvs
    t0 = time.monotonic()
    os.kill(engine, signal.SIGKILL)
    deadline = t0 + 20
    while any(alive(p) for p in jalvs):
        assert time.monotonic() < deadline, f"jalv outlived the engine: {jalvs}"
        await asyncio.sleep(0.05)
    while up.pid_of("engine") in (None, engine):  # wait for the replacement, then compare
        assert time.monotonic() < t0 + 60, "no new engine"
        await asyncio.sleep(0.05)
    await converge(up)
    assert up.pid_of("engine") not in (None, engine)
    assert len(up.jalv_pids()) == _jalvs_expected(up)
    return time.monotonic() - t0


async def test_kill9_engine_pid_leaves_no_jalv_and_rebuilds(up: Up) -> None:
    await build_chain(up)
    await converge(up)
    times = [await kill_engine_once(up) for _ in range(KILLS)]
    print(f"\nkill -9 engine x{KILLS}: recovered in " + ", ".join(f"{t:.1f} s" for t in times))
    # `stompbox up` stops (SIGTERM) leaving nothing of the stack running
    assert up.proc is not None
    up.proc.send_signal(signal.SIGTERM)
    up.proc.wait(60)
    left = lifetime.tagged(f"{up.runtime_dir}|")
    assert left == [], f"left running after stompbox up stopped: {left}"
    probe = subprocess.run(["pgrep", "-f", up.jack_name], capture_output=True, text=True)
    assert probe.stdout.strip() == "", "jackd outlived stompbox up"
