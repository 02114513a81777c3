"""Raw garbage at every socket of a running stack; afterwards each process still serves.

Engine TCP (random bytes, unterminated lines, 1 MB lines, variadic counts larger than the
arguments), ZeroMQ RPC of bridge and session (wrong frame counts, non-JSON, wrong types,
oversized), WebSocket (binary, oversized, non-JSON, floods), HTTP (hand-made bad requests), and
pedalboard/preset names that try to reach outside the data dir.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
import zmq
import zmq.asyncio

from stompbox.zmqservice import RpcClient
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"


def engine_call(port: int, line: bytes, timeout: float = 20.0) -> bytes:
    """One command on a fresh connection; the reply up to its NUL."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(line)
        reply = b""
        while not reply.endswith(b"\0"):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    return reply


async def assert_all_serving(stack: Stack) -> None:
    """Engine (through the bridge: the engine serves the stack's bridge alone), bridge, session
    and web each answer a valid client."""
    async with RpcClient(stack.bridge_rpc, timeout=20.0) as bridge:
        assert (await bridge.call("ping"))["ok"] is True
    async with RpcClient(stack.session_rpc, timeout=20.0) as session:
        assert "pedalboard" in await session.call("state")
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=20.0) as http:
        health = (await http.get("/api/health")).json()
        assert health["session"] is True
        assert health["engine_connected"] is True
    async with (
        asyncio.timeout(20),
        websockets.connect(stack.web_url.replace("http", "ws") + "/ws") as ws,
    ):
        assert json.loads(await ws.recv())["type"] == "state"


# -- engine TCP ----------------------------------------------------------------------------


def _engine_garbage(port: int) -> int:
    rng = random.Random(11)
    payloads: list[bytes] = [
        bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 3000))) for _ in range(20)
    ]
    payloads += [
        b"param_set 0 gain",  # unterminated, then the connection closes
        b"add " + b"x" * (1024 * 1024) + b"\0",  # a 1 MB line
        b"y" * (2 * 1024 * 1024),  # 2 MB with no NUL at all
        b"multi_param_set gain 1.0 100 0\0",  # variadic count larger than the args
        b"multi_bypass 1 50 0\0",
        b"remove_multiple 999 1 2\0",
        b"param_set 0 gain nan\0param_set 0 gain inf\0param_set 0 gain 1e400\0",
        b'add "http://x\\" 0\0',
        b"\0\0\0\0",
        b"\xff\xfe\x00",
    ]
    for data in payloads:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 10) as s:
            s.sendall(data)
            s.settimeout(0.2)
            with contextlib.suppress(OSError):
                s.recv(65536)
    return len(payloads)


async def test_engine_tcp_garbage(stack: Stack) -> None:
    n = await asyncio.to_thread(_engine_garbage, stack.engine_port)
    # without the token from the runtime dir, a connection is closed with no reply
    reply = await asyncio.to_thread(
        engine_call, stack.engine_port, b"multi_param_set gain 1.0 100 0\0"
    )
    assert reply == b"", reply
    print(f"\nengine: {n} garbage payloads")
    await assert_all_serving(stack)


# -- ZeroMQ RPC ------------------------------------------------------------------------------


async def _zmq_garbage(endpoint: str) -> tuple[int, int]:
    ctx = zmq.asyncio.Context.instance()
    frames_sets: list[list[bytes]] = [
        [b"not json"],
        [b"", b"not json"],
        [b"", b"{}"],
        [b"", b"[]"],
        [b"", b'{"id": {}, "method": 5, "params": []}'],
        [b"", b'{"id": 7, "method": "state", "params": "x"}'],
        [b"", b'{"id": 8, "method": "no_such_method"}'],
        [b"", b'{"id": 9, "method": "plugin", "params": {"method": "load", "params": 5}}'],
        [b"", b'{"id": 10, "method": "set_parameter", "params": {"value": "loud"}}'],
        [b"", b"\xff" * 100],
        [b"a", b"b", b"c", b"d"],
        [b"", b" " * (5 * 1024 * 1024)],
        [b"", b'{"id": 11, "method": "state"}', b"extra"],
    ]
    answered = 0
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    try:
        for frames in frames_sets:
            await sock.send_multipart(frames)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                while answered < len(frames_sets):
                    await sock.recv_multipart()
                    answered += 1
    finally:
        sock.close(0)
    return len(frames_sets), answered


@pytest.mark.parametrize("service", ["bridge", "session"])
async def test_zmq_rpc_garbage(stack: Stack, service: str) -> None:
    endpoint = stack.bridge_rpc if service == "bridge" else stack.session_rpc
    sent, answered = await _zmq_garbage(endpoint)
    print(f"\n{service} RPC: {sent} malformed messages, {answered} error replies")
    assert answered >= 1
    await assert_all_serving(stack)


# -- WebSocket -------------------------------------------------------------------------------


async def test_websocket_garbage(stack: Stack) -> None:
    url = stack.web_url.replace("http", "ws") + "/ws"
    received: dict[str, int] = {}
    sends: list[Any] = [
        b"\x00\x01binary",
        "not json",
        "[]",
        '{"type": "nope"}',
        '{"type": "set_parameter", "instance_id": 5, "symbol": [], "value": "x"}',
        '{"type": "set_parameter", "instance_id": "nope", "symbol": "gain", "value": 1e400}',
        "x" * (2 * 1024 * 1024),
    ]
    for item in sends:
        with contextlib.suppress(websockets.WebSocketException, OSError, TimeoutError):
            async with asyncio.timeout(20), websockets.connect(url, max_size=None) as ws:
                await ws.recv()  # state
                await ws.send(item)
                reply = json.loads(await ws.recv())
                received[reply.get("type", "?")] = received.get(reply.get("type", "?"), 0) + 1
    # a flood: 5,000 knob turns as fast as the socket takes them, never read
    flood = json.dumps(
        {"type": "set_parameter", "instance_id": "nope", "symbol": "gain", "value": 1.0}
    )
    with contextlib.suppress(websockets.WebSocketException, OSError, TimeoutError):
        async with asyncio.timeout(30), websockets.connect(url) as ws:
            for _ in range(5000):
                await ws.send(flood)
    print(f"\nwebsocket: {len(sends)} bad messages + a 5,000 message flood; replies {received}")
    await assert_all_serving(stack)


# -- HTTP ------------------------------------------------------------------------------------


def _raw_http(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        out = b""
        with contextlib.suppress(OSError):
            while chunk := s.recv(65536):
                out += chunk
    return out


async def test_http_bad_requests(stack: Stack) -> None:
    bad = [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"a" * 100_000 + b"\r\n\r\n",
        b"POST /api/pedalboards HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999\r\n\r\n{",
        b"POST /api/pedalboards HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(200),  # TLS hello
    ]
    for data in bad:
        with contextlib.suppress(OSError):
            await asyncio.to_thread(_raw_http, stack.web_port, data)
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=20.0) as http:
        for body in (b"{", b"[]", b'{"name": 5}', b'{"value": "x"}', b"\xff\xfe"):
            r = await http.post(
                "/api/pedalboards", content=body, headers={"content-type": "application/json"}
            )
            assert r.status_code == 422, (body, r.status_code, r.text)
        r = await http.put("/api/pedalboard/plugins/nope/parameters/gain", json={"value": "x"})
        assert r.status_code == 422, r.text
    await assert_all_serving(stack)


# -- names -----------------------------------------------------------------------------------

MUST_REFUSE = ["", " ", "a\0b", "x" * 101, "\u202etxt", "tab\there"]
PATH_LIKE = ["../evil", "../../etc/passwd", "/etc/passwd", ".", "..", "con", "nul", "a/b\\c"]
BAD_IDS = ["..", "../x", "%2e%2e", "..%2F..%2Fetc%2Fpasswd", "a" * 65, "A", "x.json", "con."]


def _snapshot(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


async def test_pedalboard_names_never_leave_the_data_dir(stack: Stack) -> None:
    outside = stack.base.parent
    before = _snapshot(outside) - _snapshot(stack.data_dir)
    refused: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as http:
        for name in MUST_REFUSE:
            r = await http.post("/api/pedalboards", json={"name": name})
            assert r.status_code == 422, (name, r.text)
            r = await http.post("/api/pedalboard/save-as", json={"name": name})
            assert r.status_code == 422, (name, r.text)
        for name in PATH_LIKE:
            # names are labels, never paths; a name that looks like one is refused anyway
            for path in ("/api/pedalboards", "/api/pedalboard/save-as"):
                r = await http.post(path, json={"name": name})
                refused[name] = r.status_code
                assert r.status_code == 422, (name, r.text)
        for board_id in BAD_IDS:
            for method, path, body in (
                ("POST", f"/api/pedalboards/{board_id}/load", None),
                ("PATCH", f"/api/pedalboards/{board_id}", {"name": "x"}),
                ("DELETE", f"/api/pedalboards/{board_id}", None),
            ):
                r = await http.request(method, path, json=body)
                assert r.status_code in (404, 405, 422), (method, path, r.status_code, r.text)
        # preset labels go to the engine's preset bundle, never to a path the client chose
        r = await http.post("/api/pedalboard/plugins", json={"uri": AMP})
        assert r.status_code == 200, r.text
        iid = r.json()["instance_id"]
        marker = f"stompbox-evil-{os.getpid()}"
        for label in (f"../../../../tmp/{marker}", f"/tmp/{marker}", "a\0b", ""):
            r = await http.post(f"/api/pedalboard/plugins/{iid}/presets", json={"label": label})
            refused[f"preset {label!r}"] = r.status_code
            assert r.status_code == 422, (label, r.text)
        await http.delete(f"/api/pedalboard/plugins/{iid}")
    after = _snapshot(outside) - _snapshot(stack.data_dir)
    new_outside = {p for p in after - before if not p.is_relative_to(stack.base)}
    assert not new_outside, new_outside
    assert not list(Path("/tmp").glob(f"{marker}*"))
    assert not Path("/etc/passwd.json").exists()
    print(f"\npath-like names/labels → status {refused}")
    await assert_all_serving(stack)
