"""The HTTP API and the WebSocket of a real web process on the real stack (jackd, engine, bridge,
session, web): every route, its error bodies, and the WebSocket's state/events/fast path/garbage."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"
WAIT = 20.0


@pytest.fixture(scope="session")
def web_url(request: pytest.FixtureRequest) -> str:
    """The shared stack's web process, or an already running one at $STOMPBOX_TEST_WEB_URL."""
    external = os.environ.get("STOMPBOX_TEST_WEB_URL")
    if external:
        return external.rstrip("/")
    url: str = request.getfixturevalue("stack").web_url
    return url


def _ws_url(web_url: str) -> str:
    return web_url.replace("http://", "ws://") + "/ws"


def _error(response: httpx.Response, *codes: int) -> dict[str, Any]:
    assert response.status_code in codes, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    assert body["code"] == response.status_code
    assert isinstance(body["type"], str)
    assert isinstance(body["message"], str)
    return body


@pytest.fixture
async def api(web_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web_url, timeout=30.0) as client:
        yield client


@pytest.fixture
async def board(api: httpx.AsyncClient) -> dict[str, Any]:
    """A fresh, empty current pedalboard with one swh amp on it."""
    r = await api.post("/api/pedalboards", json={"name": f"web-{uuid.uuid4().hex[:8]}"})
    assert r.status_code == 200, r.text
    r = await api.post("/api/pedalboard/plugins", json={"uri": AMP, "x": 100, "y": 50})
    assert r.status_code == 200, r.text
    instance: dict[str, Any] = r.json()
    assert instance["uri"] == AMP
    return instance


async def _recv(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(WAIT):
        message: dict[str, Any] = json.loads(await ws.recv())
        return message


async def _recv_until(
    ws: ClientConnection, accept: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    async with asyncio.timeout(WAIT):
        while True:
            message: dict[str, Any] = json.loads(await ws.recv())
            if accept(message):
                return message


async def _drain(ws: ClientConnection) -> None:
    async with asyncio.timeout(WAIT):
        while True:
            await ws.recv()


def _changed(instance_id: str, value: float) -> Callable[[dict[str, Any]], bool]:
    def accept(m: dict[str, Any]) -> bool:
        return (
            m.get("type") == "event"
            and m.get("event") == "parameter_changed"
            and m["data"].get("instance_id") == instance_id
            and m["data"].get("value") == value
        )

    return accept


# -- HTTP ------------------------------------------------------------------------------------


async def test_health_and_state(api: httpx.AsyncClient) -> None:
    r = await api.get("/api/health")
    assert r.json() == {"ok": True, "session": True, "engine_connected": True}
    state = (await api.get("/api/state")).json()
    assert {"pedalboard", "seq", "engine_connected"} <= state.keys()
    assert (await api.get("/openapi.json")).json()["paths"]["/api/state"]


async def test_catalog(api: httpx.AsyncClient) -> None:
    plugins = (await api.get("/api/plugins", params={"q": "amplifier"})).json()
    assert any(p["uri"] == AMP for p in plugins)
    assert isinstance((await api.get("/api/plugins/categories")).json(), list)
    info = (await api.get("/api/plugins/info", params={"uri": AMP})).json()
    assert any(p["symbol"] == "gain" for p in info["ports"])
    assert isinstance((await api.get("/api/plugins/presets", params={"uri": AMP})).json(), list)
    _error(await api.get("/api/plugins/info", params={"uri": "urn:nothing"}), 404)
    _error(await api.get("/api/plugins/info"), 422)


async def test_plugin_parameter_bypass_position(
    api: httpx.AsyncClient, board: dict[str, Any]
) -> None:
    iid = board["instance_id"]
    r = await api.put(f"/api/pedalboard/plugins/{iid}/parameters/gain", json={"value": -6.0})
    assert r.status_code == 200, r.text
    assert r.json() == {"value": -6.0}
    assert (
        await api.put(f"/api/pedalboard/plugins/{iid}/bypass", json={"bypassed": True})
    ).is_success
    r = await api.put(f"/api/pedalboard/plugins/{iid}/position", json={"x": 300, "y": 40})
    assert r.is_success
    current = (await api.get("/api/pedalboard")).json()
    (plugin,) = [p for p in current["plugins"] if p["instance_id"] == iid]
    assert plugin["parameters"]["gain"] == -6.0
    assert plugin["enabled"] is False
    assert (plugin["x"], plugin["y"]) == (300, 40)
    # refusals, each with the error body
    _error(await api.put("/api/pedalboard/plugins/nope/parameters/gain", json={"value": 1}), 404)
    _error(
        await api.put(f"/api/pedalboard/plugins/{iid}/parameters/nope", json={"value": 1}),
        404,
        422,
    )
    _error(
        await api.put(f"/api/pedalboard/plugins/{iid}/parameters/gain", json={"value": "x"}), 422
    )
    _error(await api.put(f"/api/pedalboard/plugins/{iid}/bypass", json={}), 422)
    _error(await api.post("/api/pedalboard/plugins", json={"uri": "urn:not-installed"}), 404, 422)
    assert (await api.delete(f"/api/pedalboard/plugins/{iid}")).is_success
    _error(await api.delete(f"/api/pedalboard/plugins/{iid}"), 404)


async def test_connections(api: httpx.AsyncClient, board: dict[str, Any]) -> None:
    iid = board["instance_id"]
    link = {"source": "system:capture_1", "target": f"{iid}:input"}
    r = await api.post("/api/pedalboard/connections", json=link)
    assert r.status_code == 200, r.text
    out = {"source": f"{iid}:output", "target": "system:playback_1"}
    assert (await api.post("/api/pedalboard/connections", json=out)).is_success
    current = (await api.get("/api/pedalboard")).json()
    assert link in current["connections"]
    assert out in current["connections"]
    _error(await api.post("/api/pedalboard/connections", json=link), 409, 422)
    _error(await api.post("/api/pedalboard/connections", json={"source": "x:y"}), 422)
    assert (await api.delete("/api/pedalboard/connections", params=link)).is_success
    _error(await api.delete("/api/pedalboard/connections", params=link), 404)


async def test_boards_save_load_rename_delete(
    api: httpx.AsyncClient, board: dict[str, Any]
) -> None:
    name = f"saved-{uuid.uuid4().hex[:8]}"
    r = await api.post("/api/pedalboard/save-as", json={"name": name})
    assert r.status_code == 200, r.text
    saved_id = r.json()["id"]
    await api.put(
        f"/api/pedalboard/plugins/{board['instance_id']}/parameters/gain", json={"value": 3.0}
    )
    assert (await api.post("/api/pedalboard/save")).is_success
    listing = (await api.get("/api/pedalboards")).json()
    assert any(b["id"] == saved_id and b["plugins"] == 1 for b in listing)
    # switch away, then load it back
    other = f"other-{uuid.uuid4().hex[:8]}"
    assert (await api.post("/api/pedalboards", json={"name": other})).is_success
    r = await api.post(f"/api/pedalboards/{saved_id}/load")
    assert r.status_code == 200, r.text
    loaded = r.json()
    assert loaded["missing"] == []
    assert loaded["pedalboard"]["plugins"][0]["parameters"]["gain"] == 3.0
    # rename, with a clash
    renamed = f"renamed-{uuid.uuid4().hex[:8]}"
    assert (await api.patch(f"/api/pedalboards/{saved_id}", json={"name": renamed})).is_success
    _error(await api.patch(f"/api/pedalboards/{saved_id}", json={"name": other}), 409)
    _error(await api.post("/api/pedalboards", json={"name": renamed}), 409)
    _error(await api.post("/api/pedalboards/no-such-board/load"), 404)
    _error(await api.patch(f"/api/pedalboards/{saved_id}", json={}), 422)
    r = await api.post("/api/pedalboards", json={"name": "../../etc/passwd"})
    if r.status_code == 200:  # the session may accept the name, with a safe id of its own
        assert "/" not in r.json()["pedalboard"]["id"]
        assert ".." not in r.json()["pedalboard"]["id"]
    else:
        _error(r, 422, 409)
    listing = (await api.get("/api/pedalboards")).json()
    other_id = next(b["id"] for b in listing if b["name"] == other)
    assert (await api.delete(f"/api/pedalboards/{other_id}")).is_success
    _error(await api.delete(f"/api/pedalboards/{other_id}"), 404)


async def test_audio(api: httpx.AsyncClient) -> None:
    status = (await api.get("/api/audio/status")).json()
    assert status["sample_rate"] == 48000
    ports = (await api.get("/api/audio/ports", params={"type": "audio"})).json()
    assert any(p["name"].startswith("system:") for p in ports)
    _error(await api.get("/api/audio/ports", params={"direction": "sideways"}), 422)
    _error(await api.put("/api/audio/buffer-size", json={"size": 0}), 422)


# -- WebSocket -------------------------------------------------------------------------------


async def test_ws_state_first_then_events_to_every_socket(
    web_url: str, api: httpx.AsyncClient, board: dict[str, Any]
) -> None:
    iid = board["instance_id"]
    async with websockets.connect(_ws_url(web_url)) as a, websockets.connect(_ws_url(web_url)) as b:
        first_a, first_b = await _recv(a), await _recv(b)
        assert first_a["type"] == first_b["type"] == "state"
        assert any(p["instance_id"] == iid for p in first_a["state"]["pedalboard"]["plugins"])
        seq = first_a["state"]["seq"]
        change = {"type": "set_parameter", "instance_id": iid, "symbol": "gain", "value": 12.5}
        await a.send(json.dumps(change))
        event_a = await _recv_until(a, _changed(iid, 12.5))
        event_b = await _recv_until(b, _changed(iid, 12.5))
        assert event_a["seq"] == event_b["seq"] > seq
        # a change made over HTTP reaches both sockets too, in seq order
        await api.put(f"/api/pedalboard/plugins/{iid}/parameters/gain", json={"value": -3.0})
        later = await _recv_until(b, _changed(iid, -3.0))
        assert later["seq"] > event_b["seq"]
        # resync answers with a fresh state holding the value
        await b.send(json.dumps({"type": "resync"}))
        state = await _recv_until(b, lambda m: m["type"] == "state")
        (plugin,) = [p for p in state["state"]["pedalboard"]["plugins"] if p["instance_id"] == iid]
        assert plugin["parameters"]["gain"] == -3.0


async def test_ws_burst_coalesces_to_the_newest_value(
    web_url: str, api: httpx.AsyncClient, board: dict[str, Any]
) -> None:
    iid = board["instance_id"]
    async with websockets.connect(_ws_url(web_url)) as ws:
        await _recv(ws)
        for i in range(500):
            value = -20.0 + i * 0.05
            change = {"type": "set_parameter", "instance_id": iid, "symbol": "gain", "value": value}
            await ws.send(json.dumps(change))
        await _recv_until(ws, _changed(iid, -20.0 + 499 * 0.05))
    current = (await api.get("/api/pedalboard")).json()
    (plugin,) = [p for p in current["plugins"] if p["instance_id"] == iid]
    assert plugin["parameters"]["gain"] == pytest.approx(-20.0 + 499 * 0.05)


async def test_ws_errors_come_back_on_the_socket(web_url: str, board: dict[str, Any]) -> None:
    async with websockets.connect(_ws_url(web_url)) as ws:
        await _recv(ws)
        bad = {"type": "set_parameter", "instance_id": "nope", "symbol": "gain", "value": 1.0}
        await ws.send(json.dumps(bad))
        error = await _recv_until(ws, lambda m: m["type"] == "error")
        assert error["code"] == 404
        assert error["error_type"] == "not_found"
        assert error["request"] == bad


async def test_ws_garbage_keeps_socket_and_server_working(
    web_url: str, api: httpx.AsyncClient, board: dict[str, Any]
) -> None:
    iid = board["instance_id"]
    async with websockets.connect(_ws_url(web_url)) as bystander:
        await _recv(bystander)
        async with websockets.connect(_ws_url(web_url), max_size=None) as ws:
            await _recv(ws)
            garbage: list[str | bytes] = [
                b"\x00\xff binary",
                "x" * (200 * 1024),  # over the 64 KiB message limit, under the frame limit
                "not json",
                "[]",
                '{"type": "launch_missiles"}',
                '{"type": "set_parameter", "instance_id": 1}',
                '{"type": "set_parameter", "instance_id": "a", "symbol": "gain", "value": NaN}',
            ]
            for frame in garbage:
                await ws.send(frame)
                error = await _recv_until(ws, lambda m: m["type"] == "error")
                assert error["code"] == 422
            for _ in range(2000):  # a flood of refusals: replies are rate-limited, never fatal
                await ws.send("{")
            change = {"type": "set_parameter", "instance_id": iid, "symbol": "gain", "value": 7.0}
            await ws.send(json.dumps(change))
            await _recv_until(ws, _changed(iid, 7.0))
        await _recv_until(bystander, _changed(iid, 7.0))
        # a frame over the 1 MiB frame limit closes only that socket
        async with websockets.connect(_ws_url(web_url), max_size=None) as big:
            await _recv(big)
            await big.send("y" * (2 * 1024 * 1024))
            with pytest.raises(websockets.ConnectionClosed):
                await _drain(big)
        await api.put(f"/api/pedalboard/plugins/{iid}/parameters/gain", json={"value": 8.0})
        await _recv_until(bystander, _changed(iid, 8.0))
    assert (await api.get("/api/health")).json()["ok"] is True


async def test_ws_foreign_origin_is_refused(web_url: str) -> None:
    with pytest.raises(websockets.InvalidStatus) as info:
        async with websockets.connect(_ws_url(web_url), origin="http://evil.example"):  # type: ignore[arg-type]
            pass
    assert info.value.response.status_code == 403
    page_origin = web_url  # the page's own origin is fine
    async with websockets.connect(_ws_url(web_url), origin=page_origin) as ws:  # type: ignore[arg-type]
        assert (await _recv(ws))["type"] == "state"
