"""Build the web application (`create_app`) and run it under uvicorn (`main`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import uvicorn
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from starlette.websockets import WebSocket

from stompbox.contract.stats import WebStatistics
from stompbox.settings import Settings
from stompbox.zmqservice.client import RpcClient
from stompbox.zmqservice.curve import keys_for
from stompbox.zmqservice.endpoints import pub_endpoint, rpc_endpoint
from stompbox.zmqservice.pubsub import Subscriber

from . import routing
from .access import TOKEN_FILE, Access, is_loopback, load_or_create_token
from .api import build_router
from .errors import install_error_handlers
from .hub import Hub
from .limits import IDLE_KEEP_ALIVE, BodyLimit, BoundedHttpTools
from .live_api import build_live_router
from .middleware import AccessMiddleware
from .relay import SessionLink
from .static import build_static_router
from .ws import SocketSession

log = logging.getLogger(__name__)

WS_MAX_FRAME = 1024 * 1024
"""Frames above this close the socket (1009); up to it, over-long messages get an error reply."""
MAX_SOCKETS = 1000
MAX_CONNECTIONS = MAX_SOCKETS + 200
"""Connections and requests at once (uvicorn answers 503 beyond): the sockets plus REST."""
HUB_RESTART_DELAY = 1.0


def access_for(settings: Settings) -> Access:
    """Loopback binds need no token; any other bind uses the token in `<data_dir>/token`.

    The token itself is never written to the output (which `stompbox up` and service managers
    keep in log files): only where it is, and how to open the page with it."""
    if is_loopback(settings.web_host):
        return Access(None, loopback_only=True)
    path = settings.data_dir / TOKEN_FILE
    token, created = load_or_create_token(path)
    print(
        f"stompbox web: access token {'created' if created else 'kept'} in {path} (mode 0600); "
        f"open http://<this host>:{settings.web_port}/?token=$(cat {path}) once",
        file=sys.stderr,
        flush=True,
    )
    return Access(token, loopback_only=False)


async def _pump(hub: Hub) -> None:
    """Run the hub; if its subscriber ever fails, log and start over (never take the app down)."""
    while True:
        try:
            await hub.run()
        except Exception:
            log.exception("event relay failed; restarting it")
        await asyncio.sleep(HUB_RESTART_DELAY)


def _custom_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        cached: dict[str, Any] = app.openapi_schema
        return cached
    raw = get_openapi(title=app.title, version=app.version, routes=app.routes)

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(routing.MARK):
                return routing.resolve(ref)
            return {k: fix(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    spec: dict[str, Any] = fix(raw)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in routing.components().items():
        schemas.setdefault(name, schema)
    error = routing.resolve(routing.MARK + "ErrorBody")
    for path in spec.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"] = {
                    "description": "validation error",
                    "content": {"application/json": {"schema": error}},
                }
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    app.openapi_schema = spec
    return spec


def create_app(settings: Settings) -> FastAPI:
    """The FastAPI app: REST under /api, WebSocket at /ws, docs at /docs, web client at /."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rpc_ep, pub_ep = rpc_endpoint("session", settings), pub_endpoint("session", settings)
        curve = keys_for(settings.keys_dir, rpc_ep, pub_ep)  # tcp endpoints are CURVE-only
        rpc = RpcClient(
            rpc_ep,
            timeout=settings.rpc_timeout,
            retries=settings.rpc_retries,
            retry_delay=settings.rpc_retry_delay,
            curve=curve,
        )
        subscriber = Subscriber(pub_ep, curve=curve)
        async with rpc, subscriber:
            link = SessionLink(rpc)
            hub = Hub(link, subscriber)
            app.state.link = link
            app.state.hub = hub
            async with asyncio.TaskGroup() as tg:
                pump = tg.create_task(_pump(hub), name="web event relay")
                try:
                    yield
                finally:
                    pump.cancel()

    app = FastAPI(
        title="stompbox",
        version="0.1.0",
        description="A pedalboard for the browser: LV2 plugins on JACK.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(build_router())
    app.include_router(build_live_router())

    @app.get("/api/stats", include_in_schema=False)
    async def stats() -> Response:
        hub: Hub = app.state.hub
        link: SessionLink = app.state.link
        body = WebStatistics(hub.statistics(), link.rpc.statistics())
        return Response(msgspec.json.encode(body), media_type="application/json")

    @app.delete("/api/stats", include_in_schema=False)
    async def reset_delivery_samples() -> dict[str, Any]:
        hub: Hub = app.state.hub
        hub.delivery.clear()
        return {}

    @app.websocket("/ws")
    async def websocket(ws: WebSocket) -> None:
        hub: Hub = app.state.hub
        if len(hub.clients) >= MAX_SOCKETS:
            await ws.close(code=1013)
            return
        await ws.accept()
        await SocketSession(ws, hub, app.state.link).run()

    app.include_router(build_static_router())
    app.openapi = lambda: _custom_openapi(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit)
    app.add_middleware(AccessMiddleware, access=access_for(settings))
    return app


class _Server(uvicorn.Server):
    """uvicorn's server, logging the "web ready" line once it listens."""

    def __init__(self, config: uvicorn.Config, session_rpc: str) -> None:
        super().__init__(config)
        self.session_rpc = session_rpc

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            where = f"http://{self.config.host}:{self.config.port}"
            log.info("web ready on %s (session %s)", where, self.session_rpc)


def build_server(settings: Settings) -> uvicorn.Server:
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.web_host,
        port=settings.web_port,
        log_level=settings.log_level.lower(),
        access_log=False,
        http=BoundedHttpTools,
        timeout_keep_alive=IDLE_KEEP_ALIVE,
        limit_concurrency=MAX_CONNECTIONS,
        ws_max_size=WS_MAX_FRAME,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        timeout_graceful_shutdown=3,
        lifespan="on",
    )
    return _Server(config, rpc_endpoint("session", settings))


def main(settings: Settings) -> int:
    """`stompbox web`: serve until SIGINT/SIGTERM (uvicorn's handlers stop it cleanly)."""
    server = build_server(settings)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()  # uvloop when installed (loop="auto")
    return 0 if server.started else 1
