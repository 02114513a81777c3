"""A board of large plugins stays loadable: 22 of LSP's biggest (1,082 ports each) make a state
over 4 MiB (the RPC request limit), and it still reaches the web, REST and a WebSocket client.
Processing is off: the test is about the size of the model, not about DSP load."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import httpx
import pytest
import websockets

from stompbox.contract.rpc import MAX_MESSAGE_BYTES
from stompbox.zmqservice import RpcClient
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

BIG = "http://lsp-plug.in/plugins/lv2/sc_mb_dyna_processor_lr"
COUNT = 22


async def _load(session: RpcClient, uri: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            await session.call("load_plugin", {"uri": uri}, timeout=60)
            return
        except Exception:
            assert time.monotonic() < deadline, "catalog not ready"
            await asyncio.sleep(0.5)


async def test_a_board_over_4_mib_of_state_still_reaches_every_client(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory("web")
    async with RpcClient(stack.session_rpc, timeout=60.0) as session:
        await session.call("engine.processing", {"enabled": False})
        for _ in range(COUNT):
            await _load(session, BIG)
        state = await session.call("state")
        assert len(state["pedalboard"]["plugins"]) == COUNT
        size = len(json.dumps(state))
        assert size > MAX_MESSAGE_BYTES, size  # the case this test is about
        await session.call("engine.processing", {"enabled": True})
    r = httpx.get(f"{stack.web_url}/api/state", timeout=60)
    assert r.status_code == 200, r.text[:300]
    assert len(r.json()["pedalboard"]["plugins"]) == COUNT
    host = stack.web_url.removeprefix("http://")
    async with websockets.connect(f"ws://{host}/ws", max_size=None, open_timeout=30) as ws:
        async with asyncio.timeout(60):
            while True:
                message = json.loads(await ws.recv())
                if message.get("type") == "state":
                    break
        assert len(message["state"]["pedalboard"]["plugins"]) == COUNT
    print(f"\nstate of {COUNT} × {BIG.rsplit('/', 1)[-1]}: {size / 2**20:.1f} MiB")
