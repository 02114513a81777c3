"""The engine is the stack's alone: a web page's HTTP request, a second client or a stray
connect to the feedback port changes nothing in the running engine; preset_save stays in the
data dir."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stompbox.jackd import JackServer
from stompbox.zmqservice import RpcClient
from tests.support.engine import EngineClient, start_engine
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"


def http_post_with_command(port: int, command: bytes) -> bytes:
    """What one `fetch("http://127.0.0.1:<port>/", {method: "POST", body})` sends, with a
    mod-host command (NUL-terminated) as the body; returns whatever comes back before EOF."""
    body = command + b"\0"
    request = (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:9999\r\n"
        b"Content-Type: text/plain;charset=UTF-8\r\nContent-Length: %d\r\n\r\n" % (port, len(body))
    ) + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        out = b""
        with contextlib.suppress(OSError):
            while chunk := s.recv(4096):
                out += chunk
    return out


@pytest.fixture(scope="module")
def guarded(
    tmp_path_factory: pytest.TempPathFactory, catalog_cache_dir: Path
) -> Iterator[tuple[Stack, str]]:
    stack = Stack(tmp_path_factory.mktemp("guard"), catalog_cache_dir)
    try:
        stack.start()
        iid = asyncio.run(_add_amp(stack))
        yield stack, iid
    finally:
        stack.stop()


async def _add_amp(stack: Stack) -> str:
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as http:
        deadline = time.monotonic() + 120
        while (await http.get("/api/plugins/info", params={"uri": AMP})).status_code != 200:
            assert time.monotonic() < deadline, "catalog not ready"
            await asyncio.sleep(0.5)
        r = await http.post("/api/pedalboard/plugins", json={"uri": AMP, "x": 0, "y": 0})
        assert r.status_code == 200, r.text
        iid = str(r.json()["instance_id"])
        r = await http.put(f"/api/pedalboard/plugins/{iid}/parameters/gain", json={"value": -6.5})
        assert r.status_code == 200, r.text
    return iid


async def engine_gain(stack: Stack, iid: str) -> float:
    async with RpcClient(stack.bridge_rpc, timeout=10.0, retries=1) as bridge:
        got: dict[str, Any] = await bridge.call(
            "plugin", {"method": "get_parameter", "params": {"instance_id": iid, "symbol": "gain"}}
        )
    return float(got["value"])


async def bridge_stats(stack: Stack) -> dict[str, Any]:
    async with RpcClient(stack.bridge_rpc, timeout=10.0, retries=1) as bridge:
        return dict((await bridge.call("statistics"))["engine"])


async def test_http_post_with_embedded_param_set_changes_nothing(
    guarded: tuple[Stack, str],
) -> None:
    stack, iid = guarded
    before = await engine_gain(stack, iid)
    number = 0  # the first plugin of a fresh stack is effect_0
    reply = await asyncio.to_thread(
        http_post_with_command, stack.engine_port, b"param_set %d gain 30" % number
    )
    assert reply == b""  # closed, nothing answered
    await asyncio.sleep(0.5)
    assert await engine_gain(stack, iid) == pytest.approx(before)
    assert "refused a connection" in stack.children["engine"].log_text()


async def test_second_client_cannot_take_over(guarded: tuple[Stack, str]) -> None:
    stack, iid = guarded
    before = await bridge_stats(stack)
    token = (stack.runtime_dir / f"engine-{stack.engine_port}.token").read_text().strip()

    def intruder() -> bytes:  # even with the token: the bridge holds the port
        with socket.create_connection(("127.0.0.1", stack.engine_port), timeout=10) as s:
            s.sendall(b"stompbox_auth " + token.encode() + b"\0remove -1\0")
            out = b""
            with contextlib.suppress(OSError):
                while chunk := s.recv(4096):
                    out += chunk
            return out

    assert await asyncio.to_thread(intruder) == b""
    after = await bridge_stats(stack)
    assert after["connected"] is True
    assert after.get("disconnects", 0) == before.get("disconnects", 0)
    assert await engine_gain(stack, iid) == pytest.approx(-6.5)


async def test_connect_to_feedback_port_leaves_plugins_running(
    guarded: tuple[Stack, str],
) -> None:
    stack, iid = guarded
    before = await bridge_stats(stack)
    with socket.create_connection(("127.0.0.1", stack.engine_port + 1), timeout=10) as s:
        await asyncio.sleep(1.0)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.5)
    await asyncio.sleep(1.0)
    after = await bridge_stats(stack)
    assert after.get("disconnects", 0) == before.get("disconnects", 0)
    # the same instance runs on: a re-added plugin would be back at its default gain (0 dB)
    assert await engine_gain(stack, iid) == pytest.approx(-6.5)


async def test_without_token_http_is_still_rejected(
    jack_server: JackServer, tmp_path: Path
) -> None:
    eng = start_engine(jack_server, tmp_path, extra_env={"STOMPBOX_ENGINE_AUTH": "false"})
    try:
        async with EngineClient(eng.host, eng.port, auth=False) as c:
            assert await c.cmd(f"add {AMP} 0") == "resp 0"
            assert await c.cmd("param_set 0 gain -6.5") == "resp 0"
        await asyncio.sleep(0.3)  # the port is free: the page's request gets the slot
        reply = await asyncio.to_thread(http_post_with_command, eng.port, b"param_set 0 gain 30")
        assert reply == b""
        async with EngineClient(eng.host, eng.port, auth=False) as c:
            assert await c.cmd("param_get 0 gain") == "resp 0 -6.5000"
            evil = tmp_path / "outside"
            assert await c.cmd(f"preset_save 0 x {evil} x.ttl") == "resp -902"
            assert not evil.exists()
            assert await c.cmd("remove -1") == "resp 0"
    finally:
        eng.stop()
