"""`make soak`: many WebSocket clients turn knobs for minutes while boards switch; prints figures.

A fresh stack (own jackd, dirs, ports; loopback only) runs two 4-plugin boards. N clients
(STOMPBOX_SOAK_CLIENTS, default 50) send `set_parameter` at a total STOMPBOX_SOAK_RATE (default
2,000/s) for STOMPBOX_SOAK_SECONDS (default 600); the board switches every
STOMPBOX_SOAK_SWITCH seconds (default 10). Every client checks the `seq` of the events it
receives (a gap = lost, a step back = reordered; a fresh `state` — sent to a client that fell
behind — restarts the count and is reported as a resync). Every 10 s: RSS of each process, p99
latency (send → the client sees its own value in `parameter_changed`), xruns. Stops by itself.
First, `bench.soak_kills` kills the engine's PID 100 times and prints its recovery table.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets
from tests.support.stack import Stack

AMP = "http://plugin.org.uk/swh-plugins/amp"
PLUGINS = 4
WINDOW = 10.0


def _env(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (an engine's jalvs), KiB."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                        pids.append(int(entry))
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Client:
    """One browser: sends knob turns at its share of the rate, checks the seq of what it gets."""

    def __init__(self, index: int, url: str) -> None:
        self.index = index
        self.url = url
        self.sent = 0
        self.received = 0
        self.lost = 0
        self.reordered = 0
        self.resyncs = 0
        self.errors = 0
        self.seq: int | None = None
        self.pending: dict[float, float] = {}
        self.latencies: list[float] = []
        self.instances: list[str] = []

    def _value(self) -> float:
        self.sent += 1
        return ((self.index + 50 * self.sent) % 140_000) / 1000.0 - 70.0

    def _on(self, msg: dict[str, Any]) -> None:
        if msg.get("type") == "state":
            state = msg["state"]
            self.instances = [p["instance_id"] for p in state["pedalboard"]["plugins"]]
            if self.seq is not None:
                self.resyncs += 1
            self.seq = int(state["seq"])
            return
        if msg.get("type") == "error":
            self.errors += 1
            return
        if msg.get("type") != "event":
            return
        self.received += 1
        seq = int(msg["seq"])
        if self.seq is not None:
            if seq > self.seq + 1:
                self.lost += seq - self.seq - 1
            elif seq <= self.seq:
                self.reordered += 1
        self.seq = max(seq, self.seq or 0)
        data = msg.get("data") or {}
        if msg["event"] == "parameter_changed":
            sent_at = self.pending.pop(data.get("value"), None)
            if sent_at is not None:
                self.latencies.append(time.perf_counter() - sent_at)
        elif msg["event"] == "pedalboard_loaded":
            board = data.get("pedalboard") or {}
            self.instances = [p["instance_id"] for p in board.get("plugins", [])]

    async def run(self, rate: float, until: float) -> None:
        async with websockets.connect(self.url, max_size=None) as ws:

            async def reader() -> None:
                async for raw in ws:
                    self._on(json.loads(raw))

            async def writer() -> None:
                period = 1.0 / rate
                next_at = time.perf_counter()
                while time.perf_counter() < until:
                    if self.instances:
                        value = self._value()
                        self.pending[value] = time.perf_counter()
                        msg = {
                            "type": "set_parameter",
                            "instance_id": random.choice(self.instances),
                            "symbol": "gain",
                            "value": value,
                        }
                        await ws.send(json.dumps(msg))
                    next_at += period
                    await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                if len(self.pending) > 10_000:
                    self.pending.clear()
                await asyncio.sleep(2.0)  # let the last events arrive
                await ws.close()

            async with asyncio.TaskGroup() as tg:
                tg.create_task(reader())
                tg.create_task(writer())


async def build_boards(url: str) -> list[str]:
    ids = []
    async with httpx.AsyncClient(base_url=url, timeout=60.0) as http:
        for name in ("soak A", "soak B"):
            r = await http.post("/api/pedalboards", json={"name": f"{name} {time.time_ns()}"})
            r.raise_for_status()
            ids.append(r.json()["pedalboard"]["id"])
            previous = "system:capture_1"
            for i in range(PLUGINS):
                r = await http.post("/api/pedalboard/plugins", json={"uri": AMP, "x": 100 * i})
                r.raise_for_status()
                iid = r.json()["instance_id"]
                await http.post(
                    "/api/pedalboard/connections",
                    json={"source": previous, "target": f"{iid}:input"},
                )
                previous = f"{iid}:output"
            await http.post(
                "/api/pedalboard/connections",
                json={"source": previous, "target": "system:playback_1"},
            )
            (await http.post("/api/pedalboard/save")).raise_for_status()
    return ids


async def switcher(
    url: str, boards: list[str], every: float, until: float, log: list[float]
) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60.0) as http:
        i = 0
        while time.perf_counter() + every < until:
            await asyncio.sleep(every)
            t = time.perf_counter()
            r = await http.post(f"/api/pedalboards/{boards[i % len(boards)]}/load")
            if r.status_code == 200:
                log.append(time.perf_counter() - t)
            i += 1


async def sampler(
    stack: Stack, clients: list[Client], until: float, rows: list[dict[str, Any]]
) -> None:
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as http:
        start = time.perf_counter()
        seen = 0
        while time.perf_counter() < until + 3:
            row: dict[str, Any] = {"t": time.perf_counter() - start}
            for name, child in stack.children.items():
                row[name] = rss_kib(child.pid) if child.alive() else 0
            with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
                row["xruns"] = (await http.get("/api/audio/status")).json()["xruns"]
            lat = [x for c in clients for x in c.latencies]
            row["p99_ms"] = percentile(lat[seen:], 0.99) * 1000 if len(lat) > seen else float("nan")
            row["sent"] = sum(c.sent for c in clients)
            seen = len(lat)
            rows.append(row)
            print(
                f"  t={row['t']:6.0f}s sent={row['sent']:8d} p99={row['p99_ms']:8.1f} ms "
                f"xruns={row.get('xruns', '?')} rss(MiB) "
                + " ".join(f"{n}={row[n] / 1024:.0f}" for n in stack.children),
                flush=True,
            )
            await asyncio.sleep(WINDOW)


async def main() -> None:
    seconds = _env("STOMPBOX_SOAK_SECONDS", 600)
    rate = _env("STOMPBOX_SOAK_RATE", 2000)
    n = int(_env("STOMPBOX_SOAK_CLIENTS", 50))
    every = _env("STOMPBOX_SOAK_SWITCH", 10)
    base = Path(tempfile.mkdtemp(prefix="stompbox-soak-"))
    cache = Path(os.environ.get("STOMPBOX_SOAK_CACHE", Path.home() / ".cache" / "stompbox"))
    stack = Stack(base, cache)
    print(f"soak: {n} clients, {rate:.0f} changes/s, {seconds:.0f} s, switch every {every:.0f} s")
    print(f"starting the stack in {base} …", flush=True)
    try:
        await asyncio.to_thread(stack.start)
        boards = await build_boards(stack.web_url)
        ws_url = stack.web_url.replace("http://", "ws://") + "/ws"
        clients = [Client(i, ws_url) for i in range(n)]
        until = time.perf_counter() + seconds
        rows: list[dict[str, Any]] = []
        switches: list[float] = []
        async with asyncio.TaskGroup() as tg:
            for c in clients:
                tg.create_task(c.run(rate / n, until))
            tg.create_task(switcher(stack.web_url, boards, every, until, switches))
            tg.create_task(sampler(stack, clients, until, rows))
        report(stack, clients, rows, switches, seconds)
    finally:
        await asyncio.to_thread(stack.stop)


def report(
    stack: Stack,
    clients: list[Client],
    rows: list[dict[str, Any]],
    switches: list[float],
    seconds: float,
) -> None:
    lat = [x for c in clients for x in c.latencies]
    sent = sum(c.sent for c in clients)
    print("\nsummary")
    received = sum(c.received for c in clients)
    print(f"  sent {sent} changes ({sent / seconds:.0f}/s), events received {received}")
    print(
        f"  lost events {sum(c.lost for c in clients)}, "
        f"reordered {sum(c.reordered for c in clients)}, "
        f"resyncs (fell behind → fresh state) {sum(c.resyncs for c in clients)}, "
        f"error replies {sum(c.errors for c in clients)}"
    )
    print(
        f"  latency own change → parameter_changed: n={len(lat)} "
        f"p50={percentile(lat, 0.5) * 1000:.1f} ms "
        f"p99={percentile(lat, 0.99) * 1000:.1f} ms max={max(lat, default=0) * 1000:.1f} ms"
    )
    if switches:
        print(
            f"  board switches {len(switches)}: p50 {percentile(switches, 0.5) * 1000:.0f} ms, "
            f"max {max(switches) * 1000:.0f} ms"
        )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        for name in stack.children:
            print(
                f"  rss {name:8s} {first[name] / 1024:7.1f} → {last[name] / 1024:7.1f} MiB "
                f"({(last[name] - first[name]) / 1024:+.1f})"
            )
        print(f"  xruns {first.get('xruns', '?')} → {last.get('xruns', '?')}")


if __name__ == "__main__":
    from bench import soak_kills

    asyncio.run(soak_kills.main())
    asyncio.run(main())
