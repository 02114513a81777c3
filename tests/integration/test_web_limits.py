"""Bounded web process: body size, request-head deadline and size, resync and call rates per
socket. Most run the web process alone (no session): those limits act before a request reaches
it; the knob-flood test uses the shared stack."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.integration.test_access import Web
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    w = Web(tmp_path_factory.mktemp("limits"), None)
    try:
        yield w
    finally:
        w.stop()


def test_body_over_the_limit_is_413(web: Web) -> None:
    big = b"{" + b" " * (3 * 1024 * 1024) + b"}"
    r = httpx.post(
        f"http://127.0.0.1:{web.port}/api/pedalboards",
        content=big,
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 413, r.text
    assert r.json()["type"] == "validation"


def _chunked_upload(port: int, total: int, chunk: int = 64 * 1024) -> bytes:
    """POST `total` bytes as a chunked body (no Content-Length); the response's first line."""
    head = (
        b"POST /api/pedalboards HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head)
        with contextlib.suppress(OSError):  # the server may stop reading once it answered
            sent = 0
            while sent < total:
                s.sendall(b"%x\r\n" % chunk + b" " * chunk + b"\r\n")
                sent += chunk
            s.sendall(b"0\r\n\r\n")
        answer = b""
        with contextlib.suppress(OSError):
            while b"\r\n" not in answer:
                got = s.recv(4096)
                if not got:
                    break
                answer += got
    return answer.split(b"\r\n", 1)[0]


def test_a_chunked_body_over_the_limit_is_413(web: Web) -> None:
    """No Content-Length to check: the count of what arrives decides, and the client is told."""
    status = _chunked_upload(web.port, 3 * 1024 * 1024)
    assert status.startswith(b"HTTP/1.1 413"), status


def _closed_within(port: int, first: bytes, seconds: float) -> float:
    """Send `first` and then nothing; seconds until the server closes the connection."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as s:
        if first:
            s.sendall(first)
        with contextlib.suppress(OSError):
            while s.recv(4096):
                pass
    return time.monotonic() - t0


async def test_a_half_open_request_is_dropped(web: Web) -> None:
    half = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    took = await asyncio.gather(
        asyncio.to_thread(_closed_within, web.port, half, 30),
        asyncio.to_thread(_closed_within, web.port, b"", 30),  # connect and say nothing
    )
    assert max(took) < 30


def test_a_huge_request_head_is_refused(web: Web) -> None:
    r = httpx.get(
        f"http://127.0.0.1:{web.port}/api/health",
        headers={"x-filler": "y" * (64 * 1024)},
        timeout=30,
    )
    assert r.status_code == 400


async def test_resync_spam_is_rate_limited(web: Web) -> None:
    url = f"ws://127.0.0.1:{web.port}/ws"
    limited = 0
    async with asyncio.timeout(40), websockets.connect(url) as ws:
        for _ in range(20):
            await ws.send(json.dumps({"type": "resync"}))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(20):  # the first state fetch waits for the (absent) session
                while limited < 10:
                    reply = json.loads(await ws.recv())
                    if "resync per second" in json.dumps(reply):
                        limited += 1
    assert limited >= 10


def test_runtime_dir_of_another_user_is_refused(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    if os.getuid() != 0:
        pytest.skip("needs root to give the runtime dir to another user")
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    os.chown(run, 65534, 65534)
    env = {**os.environ, "STOMPBOX_RUNTIME_DIR": str(run), "STOMPBOX_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "stompbox.cli", "web"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "belongs to uid 65534" in done.stderr


async def test_a_parameter_flood_is_paced_per_socket_newest_wins(stack: Stack) -> None:
    """One socket turning four knobs as fast as it can for 3 s is held to CALL_RATE session
    calls a second (the values in between are coalesced); the newest values are what land."""
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as http:
        ids = []
        for _ in range(4):
            r = await http.post("/api/pedalboard/plugins", json={"uri": AMP})
            assert r.status_code == 200, r.text
            ids.append(r.json()["instance_id"])
        before = (await http.get("/api/stats")).json()["hub"].get("calls_paced", 0)
        url = stack.web_url.replace("http://", "ws://") + "/ws"
        async with asyncio.timeout(60), websockets.connect(url) as ws:
            until = time.monotonic() + 3.0
            i = 0
            while time.monotonic() < until:
                for iid in ids:
                    value = round(-20 + (i % 400) * 0.1, 2)
                    msg = {"type": "set_parameter", "instance_id": iid, "symbol": "gain"}
                    await ws.send(json.dumps({**msg, "value": value}))
                i += 1
                await asyncio.sleep(0.001)
            for iid in ids:
                msg = {"type": "set_parameter", "instance_id": iid, "symbol": "gain"}
                await ws.send(json.dumps({**msg, "value": 7.25}))
            deadline = time.monotonic() + 30
            while True:
                state = (await http.get("/api/state")).json()
                gains = {
                    p["instance_id"]: p["parameters"]["gain"]
                    for p in state["pedalboard"]["plugins"]
                    if p["instance_id"] in ids
                }
                if set(gains.values()) == {7.25}:
                    break
                assert time.monotonic() < deadline, f"the newest values never landed: {gains}"
                await asyncio.sleep(0.2)
        after = (await http.get("/api/stats")).json()["hub"].get("calls_paced", 0)
        assert after > before
        for iid in ids:
            await http.delete(f"/api/pedalboard/plugins/{iid}")
