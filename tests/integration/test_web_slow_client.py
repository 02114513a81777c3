"""A WebSocket that reads slowly while others flood knob turns: the hub coalesces its queue, so
it ends on the newest value of every control without a resync, and its own change reaches it
through the flood (not behind a backlog). The real stack; figures printed, never asserted."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import httpx
import pytest
import websockets

from tests.support.stack import Stack

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"
FLOODERS = 6
FLOOD_SECONDS = 8.0
READ_PAUSE = 0.2  # the slow client's pause between two reads
FINAL = [3.5, 1.25, 2.5, 7.75, 4.0, 1.5]  # outside the flood's values (-20..0)
OWN = 5.5


def _tiny_window_socket(port: int) -> socket.socket:
    """A TCP socket with a small receive buffer, so a slow reader pushes back on the server
    soon instead of after megabytes of kernel buffers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


def _set(iid: str, value: float) -> str:
    msg = {"type": "set_parameter", "instance_id": iid, "symbol": "gain", "value": value}
    return json.dumps(msg)


async def _flood(url: str, iid: str, final: float, stop: asyncio.Event) -> None:
    """Turn one knob as fast as the socket is allowed while reading everything it is sent."""
    async with websockets.connect(url) as ws:
        landed = asyncio.Event()

        async def read() -> None:
            async for text in ws:
                msg = json.loads(text)
                data = msg.get("data") or {}
                if data.get("instance_id") == iid and data.get("value") == final:
                    landed.set()

        async with asyncio.TaskGroup() as tg:
            reader = tg.create_task(read())
            i = 0
            while not stop.is_set():
                await ws.send(_set(iid, round(-20 + (i % 200) * 0.1, 2)))
                i += 1
                await asyncio.sleep(0.001)
            await ws.send(_set(iid, final))
            await landed.wait()  # closing before would cancel the call of the final value
            reader.cancel()


async def test_a_slow_socket_ends_on_the_newest_values_without_a_resync(stack: Stack) -> None:
    url = stack.web_url.replace("http://", "ws://") + "/ws"
    port = int(stack.web_url.rsplit(":", 1)[1])
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as http:
        ids: list[str] = []
        for _ in range(FLOODERS + 1):
            r = await http.post("/api/pedalboard/plugins", json={"uri": AMP})
            assert r.status_code == 200, r.text
            ids.append(r.json()["instance_id"])
        flooded, own = ids[:FLOODERS], ids[FLOODERS]
        want = {**dict(zip(flooded, FINAL, strict=True)), own: OWN}
        before: dict[str, Any] = (await http.get("/api/stats")).json()["hub"]
        seen: dict[str, float] = {}
        states = 0
        read = behind = events = 0
        own_sent = own_seen = 0.0
        try:
            async with asyncio.timeout(120):
                sock = _tiny_window_socket(port)
                async with websockets.connect(url, sock=sock, max_queue=1) as slow:
                    assert json.loads(await slow.recv())["type"] == "state"
                    stop = asyncio.Event()
                    floods = [
                        asyncio.create_task(_flood(url, iid, v, stop))
                        for iid, v in zip(flooded, FINAL, strict=True)
                    ]
                    start = time.monotonic()
                    while seen != want:
                        now = time.monotonic()
                        if not stop.is_set() and now - start > FLOOD_SECONDS:
                            stop.set()
                        if not own_sent and now - start > FLOOD_SECONDS / 2:
                            own_sent = now
                            await slow.send(_set(own, OWN))
                        msg = json.loads(await slow.recv())
                        read += 1
                        behind += 1 if own_sent and not own_seen else 0
                        if msg["type"] == "state":
                            states += 1
                        elif msg["type"] == "event":
                            events += 1
                        if msg.get("event") == "parameter_changed":
                            data = msg["data"]
                            if data["instance_id"] in want:
                                seen[data["instance_id"]] = data["value"]
                            if data["instance_id"] == own and not own_seen:
                                own_seen = time.monotonic()
                        if not stop.is_set():
                            await asyncio.sleep(READ_PAUSE)
                    await asyncio.gather(*floods)
                    after: dict[str, Any] = (await http.get("/api/stats")).json()["hub"]
        finally:
            for iid in ids:
                await http.delete(f"/api/pedalboard/plugins/{iid}")
    coalesced = after.get("coalesced", 0) - before.get("coalesced", 0)
    published = after["events"] - before["events"]
    print(
        f"\nslow socket: {events} of {published} events read, {coalesced} coalesced by the hub, "
        f"its own change seen {1000 * (own_seen - own_sent):.0f} ms after sending it, "
        f"{behind} messages later (what the kernel and the server's write buffer held, plus "
        "about one per control)"
    )
    assert seen == want  # the newest value of every control
    assert states == 0  # never told to resync
    assert events < published  # values it could not take in time were skipped, not queued
    assert coalesced > 0
    assert after.get("overflows", 0) == before.get("overflows", 0)
