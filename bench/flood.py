"""Cross-user flood: 20 sockets flood `set_parameter` as fast as they can write, each on its own
plugin; another user turns a knob 5 times a second and measures send → its `parameter_changed`.
Printed: that user's delay alone, then under the flood (median, p95, max), and the flood's rate.
The flooders run in a process of their own (not on the measuring loop). The web paces each
socket (CALL_RATE session calls/s, values in between coalesced), so one client cannot slow
another much; this prints how much it still does.

Then the slow-client case: while the same flood runs, one socket with a small receive buffer
reads one message every `SLOW_PAUSE` s. Printed: events the hub relayed vs messages that socket
got (the hub coalesces the values it cannot take in time), the hub's `coalesced` count, fresh
states it was sent (0 wanted), and the time from the flood's end until it has seen the final
value of every control.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets
from tests.support.stack import Stack

from stompbox.settings import Settings

AMP = "http://plugin.org.uk/swh-plugins/amp"
FLOODERS = 20
SAMPLES = 40
PERIOD = 0.2
SLOW_PAUSE = 0.01
SLOW_FLOOD_SECONDS = 8.0


def _change(iid: str, value: float) -> str:
    return json.dumps(
        {"type": "set_parameter", "instance_id": iid, "symbol": "gain", "value": value}
    )


def _summary(ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return f"median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms"


async def _knob_delays(ws_url: str, iid: str) -> list[float]:
    delays: list[float] = []
    async with websockets.connect(ws_url, max_size=None) as ws:
        for k in range(SAMPLES):
            value = round(-20 + (k % 2) * 0.5 + k * 0.01, 2)
            t0 = time.perf_counter()
            await ws.send(_change(iid, value))
            while True:
                msg: Any = json.loads(await ws.recv())
                data = msg.get("data") or {}
                mine = msg.get("event") == "parameter_changed" and data.get("instance_id") == iid
                if mine and data.get("value") == value:
                    break
            delays.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(PERIOD)
    return delays


async def _flood(ws_url: str, iid: str, until: float) -> int:
    async with websockets.connect(ws_url, max_size=None) as ws:

        async def drain() -> None:
            with contextlib.suppress(websockets.ConnectionClosed):
                async for _ in ws:
                    pass

        reader = asyncio.create_task(drain())
        i = 0
        while time.monotonic() < until:
            await ws.send(_change(iid, round(-20 + (i % 300) * 0.1, 2)))
            i += 1
            if i % 20 == 0:
                await asyncio.sleep(0)
        reader.cancel()
        return i


async def _flood_all(ws_url: str, ids: list[str], seconds: float) -> None:
    """The flooders, in a process of their own (so they do not share the measuring loop)."""
    until = time.monotonic() + seconds
    print("flooding", flush=True)
    counts = await asyncio.gather(*(_flood(ws_url, iid, until) for iid in ids))
    print(sum(counts), flush=True)


async def run(stack: Stack) -> None:
    ws_url = stack.web_url.replace("http://", "ws://") + "/ws"
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=60) as http:
        deadline = time.monotonic() + 120
        while (await http.get("/api/plugins/info", params={"uri": AMP})).status_code != 200:
            assert time.monotonic() < deadline, "catalog not ready"
            await asyncio.sleep(0.5)
        ids = []
        for _ in range(FLOODERS + 1):
            r = await http.post("/api/pedalboard/plugins", json={"uri": AMP})
            r.raise_for_status()
            ids.append(r.json()["instance_id"])
    mine, theirs = ids[0], ids[1:]
    alone = await _knob_delays(ws_url, mine)
    print(f"another user's knob, alone: {_summary(alone)}", flush=True)
    seconds = 1.0 + SAMPLES * (PERIOD + 0.5)
    flood = subprocess.Popen(
        [sys.executable, "-m", "bench.flood", "--flood", ws_url, str(seconds), *theirs],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert flood.stdout is not None
    assert flood.stdout.readline().strip() == "flooding"
    await asyncio.sleep(1.0)
    flooded = await _knob_delays(ws_url, mine)
    total = int(await asyncio.to_thread(flood.stdout.readline))
    flood.wait(30)
    rate = total / seconds
    print(f"another user's knob, {FLOODERS} sockets flooding: {_summary(flooded)}")
    print(f"  the flood wrote {rate:,.0f} set_parameter/s in all")
    ratio = statistics.median(flooded) / statistics.median(alone)
    print(f"  median delay under the flood / alone: {ratio:.1f}x", flush=True)


def _plugins(stack: Stack) -> list[dict[str, Any]]:
    state = httpx.get(stack.web_url + "/api/state", timeout=60).json()
    plugins: list[dict[str, Any]] = state["pedalboard"]["plugins"]
    return plugins


def _start_flood(ws_url: str, ids: list[str], seconds: float) -> subprocess.Popen[str]:
    flood = subprocess.Popen(
        [sys.executable, "-m", "bench.flood", "--flood", ws_url, str(seconds), *ids],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert flood.stdout is not None
    assert flood.stdout.readline().strip() == "flooding"
    return flood


async def _hub(http: httpx.AsyncClient) -> dict[str, Any]:
    hub: dict[str, Any] = (await http.get("/api/stats")).json()["hub"]
    return hub


async def slow_client(stack: Stack, ids: list[str]) -> None:
    ws_url = stack.web_url.replace("http://", "ws://") + "/ws"
    port = int(stack.web_url.rsplit(":", 1)[1])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    got = states = 0
    seen: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=60) as http:
        before = await _hub(http)
        async with websockets.connect(ws_url, sock=sock, max_queue=1, max_size=None) as ws:
            await ws.recv()  # the state
            flood = _start_flood(ws_url, ids, SLOW_FLOOD_SECONDS)
            ended = asyncio.create_task(asyncio.to_thread(flood.wait, 120))
            want: dict[str, float] | None = None
            end = 0.0
            while want is None or seen != want:
                try:
                    async with asyncio.timeout(1.0):
                        msg: Any = json.loads(await ws.recv())
                except TimeoutError:
                    msg = {"type": "none"}  # all read: check whether the flood is over
                got += msg["type"] != "none"
                states += msg["type"] == "state"
                data = msg.get("data") or {}
                if msg.get("event") == "parameter_changed" and data.get("instance_id") in ids:
                    seen[data["instance_id"]] = data["value"]
                if want is None and ended.done():
                    end = time.perf_counter()
                    plugins = (await http.get("/api/state")).json()["pedalboard"]["plugins"]
                    gains = {p["instance_id"]: p["parameters"].get("gain") for p in plugins}
                    want = {iid: gains[iid] for iid in ids if iid in seen}
                await asyncio.sleep(SLOW_PAUSE)
            took = time.perf_counter() - end
        after = await _hub(http)
    relayed = after["events"] - before["events"]
    coalesced = after.get("coalesced", 0) - before.get("coalesced", 0)
    print(f"slow client (one read per {SLOW_PAUSE * 1000:.0f} ms) under the flood:")
    print(f"  the hub relayed {relayed:,} events; the slow socket got {got:,} messages")
    print(f"  coalesced by the hub (all sockets): {coalesced:,}; fresh states sent to it: {states}")
    print(f"  flood's end → it has seen the final value of all {len(seen)} controls: {took:.2f} s")


async def main() -> None:
    base = Path(tempfile.mkdtemp(prefix=f"sbx-bench-flood-{os.getpid()}-"))
    stack = Stack(base, Path(Settings().cache_dir))
    try:
        await asyncio.to_thread(stack.start, "web")
        await run(stack)
        ids = [p["instance_id"] for p in await asyncio.to_thread(_plugins, stack)][1:]
        await slow_client(stack, ids)
    finally:
        await asyncio.to_thread(stack.stop)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--flood"]:
        asyncio.run(_flood_all(sys.argv[2], sys.argv[4:], float(sys.argv[3])))
    else:
        asyncio.run(main())
