"""Web figures: WebSocket knob-turn round trip, fan-out to 10/50 sockets, sustained knob changes/s.

Starts its own jackd (unique name), engine, bridge, session and web processes, loads the swh amp and
turns its gain: (1) round trip = send `set_parameter` on a socket → receive its `parameter_changed`
on that socket (with the same through REST and straight to the session for comparison); (2) fan-out
= one socket turns the knob while 10 / 50 others listen: send→receive at every listener, and the
spread between the first and the last listener; (3) sustained = one socket floods pre-encoded
changes as fast as a raw client writes them; accepted/s = changes / time until the newest value's
event arrives (the server coalesces them into far fewer session calls).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import websockets
from tests.support.stack import Stack

from stompbox.settings import Settings
from stompbox.zmqservice.client import RpcClient

AMP = "http://plugin.org.uk/swh-plugins/amp"
ROUND_TRIPS = 300
TURN_GAP = 0.01
"""Seconds between two sequential turns: 100 changes/s, a fast knob gesture, under the web's
per-socket call rate (ws.CALL_RATE, 120/s) — faster, the pacing would be measured instead."""
FANOUT_TURNS = 100
FLOOD = 20_000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(label: str, ms: list[float]) -> None:
    print(
        f"  {label:<46} p50 {pct(ms, 0.5):7.2f} ms   p99 {pct(ms, 0.99):7.2f} ms   "
        f"mean {statistics.fmean(ms):7.2f} ms   (n={len(ms)})",
        flush=True,
    )


def change(iid: str, value: float) -> str:
    return json.dumps(
        {"type": "set_parameter", "instance_id": iid, "symbol": "gain", "value": value}
    )


async def server_delivery(web_url: str, reset: bool = False) -> str:
    """The web process's own fan-out figure: hub receipt → text written to each socket."""
    async with httpx.AsyncClient(base_url=web_url) as http:
        if reset:
            await http.delete("/api/stats")
            return ""
        d = (await http.get("/api/stats")).json()["hub"]["delivery_ms"]
        return f"p50 {d['p50']:7.3f} ms   p99 {d['p99']:7.3f} ms   (n={d['n']})"


def is_change(message: str | bytes, value: float) -> bool:
    m = json.loads(message)
    return bool(m.get("event") == "parameter_changed" and m["data"].get("value") == value)


async def wait_value(ws: Any, value: float) -> float:
    async with asyncio.timeout(30):
        while True:
            if is_change(await ws.recv(), value):
                return time.perf_counter()


async def round_trips(ws_url: str, web_url: str, stack: Stack, iid: str) -> None:
    print("knob-turn round trip (send → its parameter_changed):")
    async with websockets.connect(ws_url) as ws:
        await ws.recv()  # state
        ms = []
        for i in range(ROUND_TRIPS):
            value = -30.0 + (i % 600) * 0.1
            t0 = time.perf_counter()
            await ws.send(change(iid, value))
            ms.append((await wait_value(ws, value) - t0) * 1000)
            await asyncio.sleep(TURN_GAP)
        line("WebSocket set_parameter → event", ms)
        async with httpx.AsyncClient(base_url=web_url) as http:
            ms = []
            for i in range(ROUND_TRIPS):
                value = 10.0 + (i % 300) * 0.1
                t0 = time.perf_counter()
                r = await http.put(
                    f"/api/pedalboard/plugins/{iid}/parameters/gain", json={"value": value}
                )
                r.raise_for_status()
                ms.append((time.perf_counter() - t0) * 1000)
            line("REST PUT parameter (reply)", ms)
    async with RpcClient(stack.session_rpc) as rpc:
        ms = []
        for i in range(ROUND_TRIPS):
            t0 = time.perf_counter()
            await rpc.call(
                "set_parameter", {"instance_id": iid, "symbol": "gain", "value": i * 0.01}
            )
            ms.append((time.perf_counter() - t0) * 1000)
        line("session RPC set_parameter (no web, reply)", ms)


async def fan_out(ws_url: str, web_url: str, iid: str, listeners: int) -> None:
    sockets = [await websockets.connect(ws_url, max_queue=None) for _ in range(listeners)]
    try:
        async with websockets.connect(ws_url) as sender:
            await sender.recv()
            for ws in sockets:
                await ws.recv()
            per_client: list[float] = []
            spread: list[float] = []
            await server_delivery(web_url, reset=True)
            for i in range(FANOUT_TURNS):
                value = -40.0 + i * 0.25
                t0 = time.perf_counter()
                await sender.send(change(iid, value))
                arrivals = await asyncio.gather(*(wait_value(ws, value) for ws in sockets))
                per_client.extend((t - t0) * 1000 for t in arrivals)
                spread.append((max(arrivals) - min(arrivals)) * 1000)
            line(f"fan-out to {listeners}: send → each listener", per_client)
            line(f"fan-out to {listeners}: first → last listener", spread)
            where = f"fan-out to {listeners}: in the web process"
            print(f"  {where:<46} {await server_delivery(web_url)}", flush=True)
    finally:
        for ws in sockets:
            await ws.close()


def frame(text: str) -> bytes:
    """A masked client text frame (zero mask key: valid, and the payload stays as it is)."""
    payload = text.encode()
    n = len(payload)
    head = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
    return head + b"\0\0\0\0" + payload


async def raw_socket(ws_url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(ws_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: c3RvbXBib3hiZW5jaCEhIQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readuntil(b"\r\n\r\n")
    if b" 101 " not in status.split(b"\r\n", 1)[0]:
        raise RuntimeError(f"handshake refused: {status[:200]!r}")
    return reader, writer


async def sustained(ws_url: str, web_url: str, iid: str) -> None:
    async with httpx.AsyncClient(base_url=web_url) as http, websockets.connect(ws_url) as watch:
        await watch.recv()
        calls_before = (await http.get("/api/stats")).json()["rpc"].get("calls", 0)
        reader, writer = await raw_socket(ws_url)
        drain = asyncio.create_task(reader.read(-1))  # discard what the server sends this socket
        values = [-60.0 + (i % 12_000) * 0.01 for i in range(FLOOD)]
        last = 66.6
        data = b"".join(frame(change(iid, v)) for v in values) + frame(change(iid, last))
        t0 = time.perf_counter()
        writer.write(data)
        await writer.drain()
        written = time.perf_counter() - t0
        done = await wait_value(watch, last)
        elapsed = done - t0
        calls = (await http.get("/api/stats")).json()["rpc"].get("calls", 0) - calls_before
        writer.close()
        drain.cancel()
        n = FLOOD + 1
        print("sustained knob changes through one socket:")
        print(f"  {n} changes written in {written * 1000:.0f} ms; newest value's event after")
        print(f"  {elapsed * 1000:.0f} ms → {n / elapsed:,.0f} changes/s accepted", flush=True)
        print(f"  forwarded to the session as {calls} calls (coalesced {n / max(calls, 1):.0f}:1)")


async def run(stack: Stack) -> None:
    web_url = stack.web_url
    ws_url = web_url.replace("http://", "ws://") + "/ws"
    async with httpx.AsyncClient(base_url=web_url, timeout=60) as http:
        (
            await http.post("/api/pedalboards", json={"name": f"bench-{os.getpid()}"})
        ).raise_for_status()
        r = await http.post("/api/pedalboard/plugins", json={"uri": AMP})
        r.raise_for_status()
        iid = r.json()["instance_id"]
    await round_trips(ws_url, web_url, stack, iid)
    for listeners in (10, 50):
        await fan_out(ws_url, web_url, iid, listeners)
    await sustained(ws_url, web_url, iid)


async def main() -> None:
    base = Path(tempfile.mkdtemp(prefix=f"sbx-bench-web-{os.getpid()}-"))
    stack = Stack(base, Path(Settings().cache_dir))
    try:
        await asyncio.to_thread(stack.start, "web")
        await run(stack)
    finally:
        await asyncio.to_thread(stack.stop)


if __name__ == "__main__":
    asyncio.run(main())
