"""Undo/redo through the real web process (REST and WebSocket) on the real stack, two clients."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
import websockets

from tests.support.stack import Stack

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"
WAIT = 20.0


def call(url: str, method: str, path: str, client: str, **kwargs: Any) -> httpx.Response:
    headers = {"X-Stompbox-Client": client}
    return httpx.request(method, url + path, headers=headers, timeout=30.0, **kwargs)


def gain(url: str, instance_id: str) -> float:
    state = httpx.get(url + "/api/state", timeout=30.0).json()
    plugin = next(p for p in state["pedalboard"]["plugins"] if p["instance_id"] == instance_id)
    return float(plugin["parameters"]["gain"])


async def test_history_routes_two_clients_and_the_websocket(stack: Stack) -> None:
    url = stack.web_url
    httpx.post(url + "/api/pedalboards", json={"name": f"hist-{uuid.uuid4().hex[:6]}"}, timeout=30)
    a, b = "api-a", "api-b"
    added = call(url, "POST", "/api/pedalboard/plugins", a, json={"uri": AMP}).json()
    iid = added["instance_id"]
    path = f"/api/pedalboard/plugins/{iid}/parameters/gain"
    for v in (-1, -2, -3):  # one gesture: one entry
        r = call(url, "PUT", path, a, json={"value": v, "gesture": "g1"})
        assert r.status_code == 200, r.text
    state = httpx.get(url + "/api/state", timeout=30).json()
    assert [(e["label"], e["client"]) for e in state["history"]][-2:] == [
        ("Add Simple amplifier", a),
        ("Change Simple amplifier Amps gain (dB)", a),
    ]
    undo = call(url, "POST", "/api/history/undo", a)
    assert undo.json() == {
        "done": True,
        "label": "Change Simple amplifier Amps gain (dB)",
        "message": "",
    }
    assert gain(url, iid) == 0
    assert call(url, "POST", "/api/history/redo", a).json()["done"] is True
    assert gain(url, iid) == -3
    # b's own history is empty
    assert call(url, "POST", "/api/history/undo", b).json() == {
        "done": False,
        "label": "",
        "message": "nothing to undo",
    }
    # b changes the same knob: a's undo is refused with 409 and a clear message
    call(url, "PUT", path, b, json={"value": -20})
    refused = call(url, "POST", "/api/history/undo", a)
    assert refused.status_code == 409
    assert "changed since by another client" in refused.json()["message"]
    assert gain(url, iid) == -20
    # the WebSocket: an undo message; every socket hears history_changed
    ws_url = url.replace("http://", "ws://") + "/ws"
    async with websockets.connect(ws_url, open_timeout=WAIT) as ws:
        first = json.loads(await ws.recv())
        assert first["type"] == "state"
        assert any(e["client"] == b for e in first["state"]["history"])
        await ws.send(json.dumps({"type": "undo", "client": b}))
        while True:
            msg = json.loads(await ws.recv())
            if msg.get("event") == "history_changed":
                assert msg["data"]["action"] == "undone"
                assert msg["data"]["client"] == b
                break
    assert gain(url, iid) == -3
    # bad input: a client id that is too long is refused
    assert call(url, "POST", "/api/history/undo", "x" * 65).status_code == 422
