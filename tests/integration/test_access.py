"""Nobody let in: loopback by default, a token off loopback, Origin checked, files private,
no endpoint that reads arbitrary files.

The web process runs alone (no session, no JACK): access is decided before any request reaches
the session, so a refused request is refused whether or not the rest of the stack is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.support.proc import spawn
from tests.support.stack import free_port

pytestmark = pytest.mark.integration


class Web:
    def __init__(self, base: Path, host: str | None) -> None:
        self.port = free_port()
        self.runtime = base / "run" / "stompbox"  # not created: the process must make it 0700
        self.data = base / "data"
        self.log = base / "web.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("STOMPBOX_")}
        env |= {
            "STOMPBOX_RUNTIME_DIR": str(self.runtime),
            "STOMPBOX_DATA_DIR": str(self.data),
            "STOMPBOX_WEB_PORT": str(self.port),
            "STOMPBOX_RPC_TIMEOUT": "2",
            "PYTHONUNBUFFERED": "1",
        }
        if host is not None:
            env["STOMPBOX_WEB_HOST"] = host
        with open(self.log, "ab") as out:
            self.proc = spawn([sys.executable, "-m", "stompbox.cli", "web"], env=env, stdout=out)
        deadline = time.monotonic() + 60
        while "web ready" not in self.log.read_text(errors="replace"):
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, self.log.read_text()[-3000:]
            time.sleep(0.1)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def listening(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) of LISTEN sockets on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                address, hex_port = fields[1].rsplit(":", 1)
                if fields[3] == "0A" and int(hex_port, 16) == port:
                    found.add(address)
    return found


@pytest.fixture
def loopback_web(tmp_path: Path) -> Iterator[Web]:
    web = Web(tmp_path, None)
    try:
        yield web
    finally:
        web.stop()


@pytest.fixture
def open_web(tmp_path: Path) -> Iterator[Web]:
    web = Web(tmp_path, "0.0.0.0")
    try:
        yield web
    finally:
        web.stop()


def test_default_binds_loopback_only(loopback_web: Web) -> None:
    assert listening(loopback_web.port) == {"0100007F"}  # 127.0.0.1
    assert not (loopback_web.data / "token").exists()  # no token needed, none made
    r = httpx.get(f"http://127.0.0.1:{loopback_web.port}/api/health", timeout=20)
    assert r.status_code == 200
    # DNS rebinding: a foreign Host on the loopback server is refused
    r = httpx.get(
        f"http://127.0.0.1:{loopback_web.port}/api/health",
        headers={"host": "evil.example"},
        timeout=20,
    )
    assert r.status_code in (400, 403), r.text


def test_runtime_dir_is_private(loopback_web: Web) -> None:
    mode = stat.S_IMODE(loopback_web.runtime.stat().st_mode)
    assert mode == 0o700, oct(mode)


async def test_open_bind_requires_token(open_web: Web) -> None:
    assert listening(open_web.port) == {"00000000"}  # 0.0.0.0
    token_file = open_web.data / "token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert token
    assert token not in open_web.log.read_text()  # never in the output (it lands in logs)
    assert str(token_file) in open_web.log.read_text()  # where to find it instead
    base = f"http://127.0.0.1:{open_web.port}"
    async with httpx.AsyncClient(base_url=base, timeout=20) as http:
        for path in ("/api/health", "/api/state", "/api/pedalboards", "/", "/app.js"):
            r = await http.get(path)
            assert r.status_code in (401, 403), (path, r.status_code)
            r = await http.get(path, headers={"authorization": "Bearer wrong"})
            assert r.status_code in (401, 403), (path, r.status_code)
        r = await http.post("/api/pedalboards", json={"name": "x"})
        assert r.status_code in (401, 403)
        auth = {"authorization": f"Bearer {token}"}
        r = await http.get("/api/health", headers=auth)
        assert r.status_code == 200, r.text
        r = await http.get("/", headers=auth)
        assert r.status_code == 200
        # state-changing request from a foreign page, even with the token: refused (CSRF)
        r = await http.post(
            "/api/pedalboards",
            json={"name": "x"},
            headers={**auth, "origin": "http://evil.example"},
        )
        assert r.status_code == 403, r.text
        # opening /?token= once sets the cookie the page then uses
        r = await http.get("/", params={"token": token})
        assert r.status_code in (200, 303)
        assert "stompbox_token" in r.headers.get("set-cookie", "")

    ws_url = f"ws://127.0.0.1:{open_web.port}/ws"
    for url, headers in (
        (ws_url, {}),
        (ws_url + "?token=wrong", {}),
        (ws_url + f"?token={token}", {"Origin": "http://evil.example"}),
    ):
        with pytest.raises((websockets.WebSocketException, OSError)):
            async with (
                asyncio.timeout(20),
                websockets.connect(url, additional_headers=headers) as ws,
            ):
                await ws.recv()
    host = f"127.0.0.1:{open_web.port}"
    async with (
        asyncio.timeout(20),
        websockets.connect(
            ws_url + f"?token={token}", additional_headers={"Origin": f"http://{host}"}
        ),
    ):
        pass  # accepted (its first message needs the session, which is not running here)


TRAVERSALS = [
    b"/../../etc/passwd",
    b"/%2e%2e/%2e%2e/etc/passwd",
    b"/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    b"/static/../../../../etc/passwd",
    b"/..%2f..%2f..%2f..%2fetc%2fpasswd",
    b"/app.js/../../../../etc/passwd",
    b"/....//....//etc/passwd",
    b"//etc/passwd",
    b"/%00/etc/passwd",
    b"/\\..\\..\\etc\\passwd",
    b"/api/../../etc/passwd",
    b"/api/plugins/info?uri=file:///etc/passwd",
    b"/api/plugins/presets?uri=file:///etc/shadow",
    b"/api/pedalboards/..%2f..%2f..%2fetc%2fpasswd/load",
    b"/api/media/..%2f..%2f..%2fetc%2fpasswd",
    b"/api/media?name=/etc/passwd",
    b"/api/plugins/files?uri=file:///etc/passwd",
]


def _raw_get(port: int, target: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        out = b""
        with contextlib.suppress(OSError):
            while chunk := s.recv(65536):
                out += chunk
    return out


def test_no_file_reads_outside_static(loopback_web: Web) -> None:
    for target in TRAVERSALS:
        reply = _raw_get(loopback_web.port, target)
        assert b"root:" not in reply, target
        status = reply.split(b" ", 2)[1] if reply else b"closed"
        assert status != b"200" or b"<!doctype html" in reply.lower()[:2000], (target, reply[:300])
    # and the OpenAPI document lists no endpoint that runs commands or takes a file system path
    # (the media library names files like boards: `/api/media/{name}`, validated, in the data dir)
    spec = httpx.get(f"http://127.0.0.1:{loopback_web.port}/openapi.json", timeout=20)
    if spec.status_code == 200:
        paths = " ".join(spec.json().get("paths", {})).lower()
        for word in ("exec", "shell", "command", "install", "eval", "path"):
            assert word not in paths, word
