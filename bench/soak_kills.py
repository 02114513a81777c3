"""Part of `make soak`: kill -9 the engine's own PID 100 times (2 s apart; every other one at a
random moment of a switch between two boards of different plugins) under `stompbox up`; each
time no jalv may survive and the engine must equal the model again.

Prints one table row per fault class: tries, recovered, median and max time to recovery.
STOMPBOX_SOAK_KILLS sets the number of kills (default 100; 0 skips this soak) and
STOMPBOX_SOAK_PLUGINS the plugins per board (default 10: the chain the issue's 7-of-15 failures
were seen with; `make test`'s short loop in test_crash_recovery uses 3).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import tempfile
import time
from pathlib import Path

import httpx
from tests.integration.test_crash_recovery import alive, build_chain
from tests.integration.test_faults import Up, converge

GAP = 2.0
PLUGINS = int(os.environ.get("STOMPBOX_SOAK_PLUGINS", "10"))
LESLIE = "http://drobilla.net/plugins/mda/Leslie"


async def build_other_board(up: Up) -> None:
    """A second board with other plugins, so that switching boards loads and unloads for real."""
    async with httpx.AsyncClient(base_url=up.url, timeout=30.0) as http:
        r = await http.post("/api/pedalboards", json={"name": f"kills other {time.time_ns()}"})
        assert r.status_code == 200, r.text
        for i in range(PLUGINS):
            r = await http.post("/api/pedalboard/plugins", json={"uri": LESLIE, "x": i, "y": 0})
            assert r.status_code == 200, r.text


async def _kill_once(up: Up, load: str | None) -> float | None:
    engine = up.pid_of("engine")
    jalvs = up.jalv_pids()
    if engine is None:
        return None
    t0 = time.monotonic()
    if load is not None:
        async with httpx.AsyncClient(base_url=up.url, timeout=30.0) as http:
            loading = asyncio.create_task(http.post(f"/api/pedalboards/{load}/load"))
            await asyncio.sleep(random.uniform(0.0, 0.3))
            os.kill(engine, signal.SIGKILL)
            await asyncio.gather(loading, return_exceptions=True)
    else:
        os.kill(engine, signal.SIGKILL)
    deadline = t0 + 20
    while any(alive(p) for p in jalvs):
        if time.monotonic() > deadline:
            print(f"  jalv outlived the engine: {[p for p in jalvs if alive(p)]}", flush=True)
            return None
        await asyncio.sleep(0.05)
    while up.pid_of("engine") in (None, engine):  # the supervisor's replacement
        if time.monotonic() > t0 + 60:
            print("  no new engine after 60 s", flush=True)
            return None
        await asyncio.sleep(0.05)
    try:
        await converge(up, 60.0)
    except AssertionError as exc:
        print(f"  not recovered: {str(exc)[:300]}", flush=True)
        return None
    return time.monotonic() - t0


async def main() -> None:
    kills = int(os.environ.get("STOMPBOX_SOAK_KILLS", "100"))
    if kills <= 0:
        return
    base = Path(tempfile.mkdtemp(prefix="stompbox-soak-kills-"))
    cache = Path(os.environ.get("STOMPBOX_SOAK_CACHE", Path.home() / ".cache" / "stompbox"))
    up = Up(base, cache)
    print(f"soak kills: {kills} x kill -9 engine pid, {PLUGINS}-plugin boards, in {base}")
    results: dict[str, list[float | None]] = {"idle": [], "during load": []}
    try:
        await asyncio.to_thread(up.start)
        await build_chain(up, PLUGINS)
        await build_other_board(up)
        async with httpx.AsyncClient(base_url=up.url, timeout=30.0) as http:
            boards = [b["id"] for b in (await http.get("/api/pedalboards")).json()]
        await converge(up)
        loads = 0
        for i in range(kills):
            if i % 2:
                loads += 1
                board = boards[loads % len(boards)]
                results["during load"].append(await _kill_once(up, board))
            else:
                results["idle"].append(await _kill_once(up, None))
            await asyncio.sleep(GAP)
    finally:
        await asyncio.to_thread(up.stop)
    print("\nclass                      tries  recovered  median s  max s")
    for kind, rows in results.items():
        ok = sorted(t for t in rows if t is not None)
        median = ok[len(ok) // 2] if ok else float("nan")
        print(
            f"kill -9 engine ({kind:11s}) {len(rows):5d}  {len(ok):9d}  {median:8.1f}  "
            f"{max(ok, default=float('nan')):5.1f}"
        )
