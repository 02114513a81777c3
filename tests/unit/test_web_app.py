"""The web app in-process (ASGI, no sockets, no session): error bodies, access, static, OpenAPI.

The session link is an RpcClient that was never opened, so every relayed call fails fast with a
connection error (503) — which is what these tests need: everything here is decided before or
instead of the session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from stompbox.settings import Settings
from stompbox.web.app import create_app
from stompbox.web.relay import SessionLink
from stompbox.web.static import resolve
from stompbox.zmqservice.client import RpcClient


def _app(tmp_path: Path, host: str = "127.0.0.1") -> FastAPI:
    settings = Settings(web_host=host, data_dir=tmp_path / "data", runtime_dir=tmp_path / "run")
    app = create_app(settings)
    app.state.link = SessionLink(RpcClient(f"ipc://{tmp_path}/run/session.rpc", retries=0))
    return app


def _client(app: FastAPI, base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(_app(tmp_path), "http://127.0.0.1:8080") as c:
        yield c


def _is_error(body: dict[str, object], code: int, type_: str) -> None:
    assert body["code"] == code
    assert body["type"] == type_
    assert isinstance(body["message"], str)


async def test_session_unreachable_is_503(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/pedalboard")
    assert r.status_code == 503
    _is_error(r.json(), 503, "connection")


async def test_health_reports_session_down(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/health")
    assert r.status_code == 200
    assert r.json() == {"ok": False, "session": False, "engine_connected": False}


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("PUT", "/api/pedalboard/plugins/a/parameters/gain", {"value": "loud"}),
        ("PUT", "/api/pedalboard/plugins/a/parameters/gain", {}),
        ("PUT", "/api/pedalboard/plugins/a/bypass", {"bypassed": "maybe"}),
        ("PUT", "/api/pedalboard/plugins/a/position", {"x": 1}),
        ("POST", "/api/pedalboard/plugins", {"x": 1}),
        ("POST", "/api/pedalboard/plugins", [1, 2]),
        ("POST", "/api/pedalboard/connections", {"source": "", "target": "x"}),
        ("PUT", "/api/audio/buffer-size", {"size": 10**30}),
        ("POST", "/api/pedalboards", {"name": "x" * 1000}),
    ],
)
async def test_bad_bodies_are_422_with_error_body(
    client: httpx.AsyncClient, method: str, url: str, body: object
) -> None:
    r = await client.request(method, url, json=body)
    assert r.status_code == 422
    _is_error(r.json(), 422, "validation")


async def test_nan_and_malformed_json_are_422(client: httpx.AsyncClient) -> None:
    for raw in (b'{"value": NaN}', b'{"value": Infinity}', b"{not json", b""):
        r = await client.put(
            "/api/pedalboard/plugins/a/parameters/gain",
            content=raw,
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 422, raw
        _is_error(r.json(), 422, "validation")


async def test_bad_query_is_422(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/audio/ports", params={"type": "video"})
    assert r.status_code == 422
    r = await client.delete("/api/pedalboard/connections", params={"source": "a"})
    assert r.status_code == 422
    _is_error(r.json(), 422, "validation")


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/nothing")
    assert r.status_code == 404
    _is_error(r.json(), 404, "not_found")
    r = await client.post("/api/health")
    assert r.status_code == 405
    assert r.json()["code"] == 405


async def test_cross_origin_writes_are_refused(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/pedalboard/save", headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    r = await client.post("/api/pedalboard/save", headers={"origin": "http://127.0.0.1:8080"})
    assert r.status_code == 503  # allowed through, session absent


async def test_dns_rebinding_host_is_refused(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/pedalboard", headers={"host": "evil.example:8080"})
    assert r.status_code == 403


async def test_token_required_off_loopback(tmp_path: Path) -> None:
    app = _app(tmp_path, host="0.0.0.0")
    token = (tmp_path / "data" / "token").read_text().strip()
    async with _client(app, "http://pedal.local:8080") as c:
        await _token_checks(c, token)


async def _token_checks(c: httpx.AsyncClient, token: str) -> None:
    r = await c.get("/api/pedalboard")
    assert r.status_code == 401
    _is_error(r.json(), 401, "unauthorized")
    assert (await c.get("/", params={"token": "wrong"})).status_code == 401
    r = await c.get("/api/pedalboard", headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 503
    r = await c.get("/", params={"token": token})
    assert r.status_code == 303
    assert r.headers["location"] == "/"
    assert "HttpOnly" in r.headers["set-cookie"]
    assert (await c.get("/api/pedalboard")).status_code == 503  # the cookie now lets us in


def test_static_paths_stay_inside(tmp_path: Path) -> None:
    root = tmp_path / "static"
    root.mkdir()
    (root / "index.html").write_text("<html></html>")
    (tmp_path / "secret").write_text("no")
    assert resolve(root, "index.html") == (root / "index.html").resolve()
    for bad in ("../secret", "/../secret", "..%2fsecret", "a\x00b", "", ".", "..\\secret"):
        assert resolve(root, bad) is None, bad


async def test_static_client_is_served_with_types(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    if r.status_code == 404:
        pytest.skip("web client not written yet")
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache"
    again = await client.get("/", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304
    js = await client.get("/app.js")
    if js.status_code == 200:
        assert js.headers["content-type"].startswith("text/javascript")
    assert (await client.get("/../../etc/passwd")).status_code == 404


async def test_openapi_has_contract_schemas(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for name in ("PluginInfo", "Pedalboard", "PluginInstance", "ErrorBody", "LoadPlugin"):
        assert name in schemas
    # a request body is the method's params Struct without what the path and headers supply
    bypass = spec["paths"]["/api/pedalboard/plugins/{instance_id}/bypass"]["put"]
    body = bypass["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"bypassed"}
    assert body["required"] == ["bypassed"]
    ok = bypass["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Done"}
    put = spec["paths"]["/api/pedalboard/plugins/{instance_id}/parameters/{symbol}"]["put"]
    refused = put["responses"].get("422") or put["responses"]["4XX"]
    assert refused["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert "HTTPValidationError" not in schemas
    assert "x-stompbox" not in str(spec)
    assert (await client.get("/docs")).status_code == 200
