"""The whole stack with its bridge and session on tcp endpoints: every hop uses CURVE, the web
process included (it once connected without keys and so never reached a tcp session)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest
import websockets

from tests.support.stack import Stack

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"


async def test_web_reaches_a_tcp_session_and_its_events(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory(tcp=True)
    assert stack.session_rpc.startswith("tcp://")
    assert stack.bridge_pub.startswith("tcp://")
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=20) as api:
        health = (await api.get("/api/health")).json()
        assert health == {"ok": True, "session": True, "engine_connected": True}
        ws_url = stack.web_url.replace("http://", "ws://") + "/ws"
        async with websockets.connect(ws_url) as ws:
            first = json.loads(await asyncio.wait_for(ws.recv(), 20))
            assert first["type"] == "state"
            r = await api.post("/api/pedalboard/plugins", json={"uri": AMP})
            assert r.status_code in (200, 201), r.text
            iid = r.json()["instance_id"]
            async with asyncio.timeout(20):
                while True:
                    message = json.loads(await ws.recv())
                    if message.get("event") == "plugin_loaded":
                        assert message["data"]["instance_id"] == iid
                        break
    # the tcp sockets really are CURVE: the keys were created in the stack's keys dir
    assert (stack.data_dir / "keys" / "server.key").exists()
