"""The REST routes of the HTTP API: each one a call of one contract/session_api.py method."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response

from stompbox.contract import history as h, session as s, session_api as S
from stompbox.contract.bridge import JackPortType, PortDirection
from stompbox.contract.errors import StompboxError
from stompbox.contract.method import Method

from .relay import JSON, SessionLink, session_link
from .routing import doc, params

Link = Annotated[SessionLink, Depends(session_link)]
InstanceId = Annotated[str, Path(min_length=1, max_length=256)]
Symbol = Annotated[str, Path(min_length=1, max_length=256)]
BoardId = Annotated[str, Path(min_length=1, max_length=256)]
Text = Annotated[str, Query(min_length=1, max_length=2048)]
OptionalText = Annotated[str | None, Query(max_length=2048)]
Client = Annotated[
    str,
    Header(
        alias="X-Stompbox-Client",
        max_length=64,
        description="the editing client's id (one per browser tab): whose undo history",
    ),
]

HEALTH_TIMEOUT = 2.0
E = s.Empty()


def build_router() -> APIRouter:
    r = APIRouter(prefix="/api")
    _system_routes(r)
    _catalog_routes(r)
    _pedalboard_routes(r)
    _plugin_routes(r)
    _connection_routes(r)
    _board_routes(r)
    _audio_routes(r)
    _history_routes(r)
    return r


def _system_routes(r: APIRouter) -> None:
    @r.get("/health", **doc(None, result="WebHealth"), tags=["system"])
    async def health(link: Link) -> Response:
        try:
            result = await link.call(S.HEALTH, E, timeout=HEALTH_TIMEOUT)
        except StompboxError:
            body = s.WebHealth(ok=False, session=False, engine_connected=False)
        else:
            engine = result.engine_connected
            body = s.WebHealth(ok=engine, session=True, engine_connected=engine)
        return Response(msgspec.json.encode(body), media_type=JSON)

    @r.get("/state", **doc(S.STATE), tags=["system"])
    async def state(link: Link) -> Response:
        return await link.respond(S.STATE, E)


def _catalog_routes(r: APIRouter) -> None:
    @r.get("/plugins", **doc(S.LIST_PLUGINS), tags=["plugins"])
    async def list_plugins(
        link: Link, q: OptionalText = None, category: OptionalText = None
    ) -> Response:
        return await link.respond(S.LIST_PLUGINS, s.ListPlugins(q or None, category or None))

    @r.get("/plugins/categories", **doc(S.CATEGORIES), tags=["plugins"])
    async def categories(link: Link) -> Response:
        return await link.respond(S.CATEGORIES, E)

    @r.get("/plugins/info", **doc(S.PLUGIN_INFO), tags=["plugins"])
    async def plugin_info(link: Link, uri: Text) -> Response:
        return await link.respond(S.PLUGIN_INFO, s.PluginUri(uri))

    @r.get("/plugins/presets", **doc(S.PLUGIN_PRESETS), tags=["plugins"])
    async def plugin_presets(link: Link, uri: Text) -> Response:
        return await link.respond(S.PLUGIN_PRESETS, s.PluginUri(uri))

    @r.delete("/plugins/presets", **doc(S.DELETE_PRESET), tags=["plugins"])
    async def delete_preset(link: Link, uri: Text) -> Response:
        """Delete a user preset (`uri` as `GET /plugins/presets` lists it, `user` true)."""
        return await link.respond(S.DELETE_PRESET, s.PresetUri(uri))


def _pedalboard_routes(r: APIRouter) -> None:
    @r.get("/pedalboard", **doc(S.PEDALBOARD_CURRENT), tags=["pedalboard"])
    async def current(link: Link) -> Response:
        return await link.respond(S.PEDALBOARD_CURRENT, E)

    @r.post(
        "/pedalboard/plugins",
        **doc(S.LOAD_PLUGIN, body=("client", "instance_id")),
        tags=["pedalboard"],
    )
    async def add_plugin(link: Link, request: Request, client: Client = "") -> Response:
        q = await params(request, S.LOAD_PLUGIN, client=client)
        return await link.respond(S.LOAD_PLUGIN, msgspec.structs.replace(q, instance_id=None))

    @r.delete("/pedalboard/plugins/{instance_id}", **doc(S.UNLOAD_PLUGIN), tags=["pedalboard"])
    async def remove_plugin(link: Link, instance_id: InstanceId, client: Client = "") -> Response:
        return await link.respond(S.UNLOAD_PLUGIN, h.EditInstance(instance_id, client))


def _plugin_routes(r: APIRouter) -> None:
    @r.put(
        "/pedalboard/plugins/{instance_id}/parameters/{symbol}",
        **doc(S.SET_PARAMETER, body=("instance_id", "symbol", "client")),
        tags=["pedalboard"],
    )
    async def set_parameter(
        link: Link, instance_id: InstanceId, symbol: Symbol, request: Request, client: Client = ""
    ) -> Response:
        q = await params(
            request, S.SET_PARAMETER, instance_id=instance_id, symbol=symbol, client=client
        )
        return await link.respond(S.SET_PARAMETER, q)

    for verb, tail, method in INSTANCE_EDITS:
        _instance_edit(r, verb, tail, method)

    @r.post(
        "/pedalboard/plugins/{instance_id}/presets",
        **doc(S.SAVE_PRESET, body=("instance_id",)),
        tags=["pedalboard"],
    )
    async def save_preset(link: Link, instance_id: InstanceId, request: Request) -> Response:
        q = await params(request, S.SAVE_PRESET, instance_id=instance_id)
        return await link.respond(S.SAVE_PRESET, q)


INSTANCE_EDITS: tuple[tuple[str, str, Method[Any, Any]], ...] = (
    ("PUT", "bypass", S.BYPASS_PLUGIN),
    ("PUT", "position", S.MOVE_PLUGIN),
    ("PUT", "knobs", S.SET_KNOBS),
    ("POST", "preset", S.LOAD_PRESET),
)
"""Edits of one plugin: its id in the path, the editing client in a header, the rest the body."""


def _instance_edit(r: APIRouter, verb: str, tail: str, method: Method[Any, Any]) -> None:
    async def route(
        link: Link, instance_id: InstanceId, request: Request, client: Client = ""
    ) -> Response:
        q = await params(request, method, instance_id=instance_id, client=client)
        return await link.respond(method, q)

    r.add_api_route(
        f"/pedalboard/plugins/{{instance_id}}/{tail}",
        route,
        methods=[verb],
        name=method.name.replace(".", "_"),
        tags=["pedalboard"],
        **doc(method, body=("instance_id", "client")),
    )


def _connection_routes(r: APIRouter) -> None:
    @r.post("/pedalboard/connections", **doc(S.CONNECT, body=("client",)), tags=["pedalboard"])
    async def connect(link: Link, request: Request, client: Client = "") -> Response:
        return await link.respond(S.CONNECT, await params(request, S.CONNECT, client=client))

    @r.delete("/pedalboard/connections", **doc(S.DISCONNECT), tags=["pedalboard"])
    async def disconnect(
        link: Link,
        source: Annotated[str, Query(min_length=1, max_length=1024)],
        target: Annotated[str, Query(min_length=1, max_length=1024)],
        client: Client = "",
    ) -> Response:
        return await link.respond(S.DISCONNECT, h.EditPorts(source, target, client))

    @r.post("/pedalboard/save", **doc(S.PEDALBOARD_SAVE), tags=["pedalboard"])
    async def save(link: Link) -> Response:
        return await link.respond(S.PEDALBOARD_SAVE, E)

    @r.post("/pedalboard/save-as", **doc(S.PEDALBOARD_SAVE_AS, body=()), tags=["pedalboard"])
    async def save_as(link: Link, request: Request) -> Response:
        q = await params(request, S.PEDALBOARD_SAVE_AS)
        return await link.respond(S.PEDALBOARD_SAVE_AS, q)

    @r.post("/pedalboard/pending/discard", **doc(S.PEDALBOARD_DISCARD_PENDING), tags=["pedalboard"])
    async def discard_pending(link: Link) -> Response:
        return await link.respond(S.PEDALBOARD_DISCARD_PENDING, E)

    @r.post("/pedalboard/pending/retry", **doc(S.PEDALBOARD_RETRY_PENDING), tags=["pedalboard"])
    async def retry_pending(link: Link) -> Response:
        return await link.respond(S.PEDALBOARD_RETRY_PENDING, E)


def _board_routes(r: APIRouter) -> None:
    @r.get("/pedalboards", **doc(S.PEDALBOARD_LIST), tags=["pedalboards"])
    async def list_boards(link: Link) -> Response:
        return await link.respond(S.PEDALBOARD_LIST, E)

    @r.post("/pedalboards", **doc(S.PEDALBOARD_CREATE, body=()), tags=["pedalboards"])
    async def create_board(link: Link, request: Request) -> Response:
        q = await params(request, S.PEDALBOARD_CREATE)
        return await link.respond(S.PEDALBOARD_CREATE, q)

    @r.post("/pedalboards/{board_id}/load", **doc(S.PEDALBOARD_LOAD), tags=["pedalboards"])
    async def load_board(link: Link, board_id: BoardId) -> Response:
        return await link.respond(S.PEDALBOARD_LOAD, s.BoardId(board_id))

    @r.patch(
        "/pedalboards/{board_id}", **doc(S.PEDALBOARD_RENAME, body=("id",)), tags=["pedalboards"]
    )
    async def rename_board(link: Link, board_id: BoardId, request: Request) -> Response:
        q = await params(request, S.PEDALBOARD_RENAME, id=board_id)
        return await link.respond(S.PEDALBOARD_RENAME, q)

    @r.delete("/pedalboards/{board_id}", **doc(S.PEDALBOARD_DELETE), tags=["pedalboards"])
    async def delete_board(link: Link, board_id: BoardId) -> Response:
        return await link.respond(S.PEDALBOARD_DELETE, s.BoardId(board_id))


def _audio_routes(r: APIRouter) -> None:
    @r.get("/audio/status", **doc(S.AUDIO_STATUS), tags=["audio"])
    async def audio_status(link: Link) -> Response:
        return await link.respond(S.AUDIO_STATUS, E)

    @r.put("/audio/buffer-size", **doc(S.AUDIO_SET_BUFFER_SIZE, body=()), tags=["audio"])
    async def buffer_size(link: Link, request: Request) -> Response:
        q = await params(request, S.AUDIO_SET_BUFFER_SIZE)
        return await link.respond(S.AUDIO_SET_BUFFER_SIZE, q)

    @r.put("/audio/processing", **doc(S.ENGINE_PROCESSING, body=()), tags=["audio"])
    async def processing(link: Link, request: Request) -> Response:
        """Global plugin processing on/off (off: every plugin outputs silence)."""
        q = await params(request, S.ENGINE_PROCESSING)
        return await link.respond(S.ENGINE_PROCESSING, q)

    @r.get("/audio/ports", **doc(S.AUDIO_LIST_PORTS), tags=["audio"])
    async def audio_ports(
        link: Link,
        type: Annotated[JackPortType | None, Query()] = None,
        direction: Annotated[PortDirection | None, Query()] = None,
    ) -> Response:
        kind, way = (type.value if type else None), (direction.value if direction else None)
        return await link.respond(S.AUDIO_LIST_PORTS, s.ListPorts(kind, way))


def _history_routes(r: APIRouter) -> None:
    @r.post("/history/undo", **doc(S.HISTORY_UNDO), tags=["history"])
    async def undo(link: Link, client: Client = "") -> Response:
        """Undo this client's newest edit of the current board (409: another client changed
        the same thing since; that entry is skipped)."""
        return await link.respond(S.HISTORY_UNDO, h.HistoryRequest(client))

    @r.post("/history/redo", **doc(S.HISTORY_REDO), tags=["history"])
    async def redo(link: Link, client: Client = "") -> Response:
        """Redo what this client undid last."""
        return await link.respond(S.HISTORY_REDO, h.HistoryRequest(client))
