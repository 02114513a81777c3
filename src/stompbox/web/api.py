"""The REST routes of the HTTP API: each one a call of one session method, relayed."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import Response

from stompbox.contract.errors import StompboxError

from .relay import JSON, SessionLink, session_link
from .schemas import (
    AddPlugin,
    BufferSize,
    Bypass,
    ConnectionBody,
    Knobs,
    NameBody,
    ParameterValue,
    PortDirection,
    PortKind,
    Position,
    PresetLoad,
    PresetSave,
    Processing,
    ok,
)

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


def _body(model: Any, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {k: v for k, v in model.model_dump().items() if v is not None}
    params.update(extra)
    return params


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
    @r.get("/health", responses=ok("Health"), tags=["system"])
    async def health(link: Link) -> Response:
        try:
            result = await link.call("health", idempotent=True, call_timeout=HEALTH_TIMEOUT)
        except StompboxError:
            body = {"ok": False, "session": False, "engine_connected": False}
        else:
            engine = bool(isinstance(result, dict) and result.get("engine_connected", False))
            body = {"ok": engine, "session": True, "engine_connected": engine}
        return Response(msgspec.json.encode(body), media_type=JSON)

    @r.get("/state", responses=ok("SessionState"), tags=["system"])
    async def state(link: Link) -> Response:
        return await link.respond("state", idempotent=True)


def _catalog_routes(r: APIRouter) -> None:
    @r.get("/plugins", responses=ok("PluginSummaryList"), tags=["plugins"])
    async def list_plugins(
        link: Link, q: OptionalText = None, category: OptionalText = None
    ) -> Response:
        params = {k: v for k, v in (("query", q), ("category", category)) if v}
        return await link.respond("list_plugins", params, idempotent=True)

    @r.get("/plugins/categories", responses=ok("CategoryList"), tags=["plugins"])
    async def categories(link: Link) -> Response:
        return await link.respond("categories", idempotent=True)

    @r.get("/plugins/info", responses=ok("PluginInfo"), tags=["plugins"])
    async def plugin_info(link: Link, uri: Text) -> Response:
        return await link.respond("plugin_info", {"uri": uri}, idempotent=True)

    @r.get("/plugins/presets", responses=ok("PresetInfoList"), tags=["plugins"])
    async def plugin_presets(link: Link, uri: Text) -> Response:
        return await link.respond("plugin_presets", {"uri": uri}, idempotent=True)

    @r.delete("/plugins/presets", responses=ok("Object"), tags=["plugins"])
    async def delete_preset(link: Link, uri: Text) -> Response:
        """Delete a user preset (`uri` as `GET /plugins/presets` lists it, `user` true)."""
        return await link.respond("delete_preset", {"uri": uri})


def _pedalboard_routes(r: APIRouter) -> None:
    @r.get("/pedalboard", responses=ok("Pedalboard"), tags=["pedalboard"])
    async def current(link: Link) -> Response:
        return await link.respond("pedalboard.current", idempotent=True)

    @r.post("/pedalboard/plugins", responses=ok("PluginInstance"), tags=["pedalboard"])
    async def add_plugin(link: Link, body: AddPlugin, client: Client = "") -> Response:
        return await link.respond("load_plugin", _body(body, client=client))

    @r.delete("/pedalboard/plugins/{instance_id}", responses=ok("Object"), tags=["pedalboard"])
    async def remove_plugin(link: Link, instance_id: InstanceId, client: Client = "") -> Response:
        return await link.respond("unload_plugin", {"instance_id": instance_id, "client": client})


def _plugin_routes(r: APIRouter) -> None:
    @r.put(
        "/pedalboard/plugins/{instance_id}/parameters/{symbol}",
        responses=ok("ParameterResult"),
        tags=["pedalboard"],
    )
    async def set_parameter(
        link: Link,
        instance_id: InstanceId,
        symbol: Symbol,
        body: ParameterValue,
        client: Client = "",
    ) -> Response:
        params = {"instance_id": instance_id, "symbol": symbol, "value": body.value}
        params.update(client=client, gesture=body.gesture or "")
        return await link.respond("set_parameter", params)

    @r.put("/pedalboard/plugins/{instance_id}/bypass", responses=ok("Object"), tags=["pedalboard"])
    async def bypass(
        link: Link, instance_id: InstanceId, body: Bypass, client: Client = ""
    ) -> Response:
        return await link.respond(
            "bypass_plugin", _body(body, instance_id=instance_id, client=client)
        )

    @r.put(
        "/pedalboard/plugins/{instance_id}/position", responses=ok("Object"), tags=["pedalboard"]
    )
    async def move(
        link: Link, instance_id: InstanceId, body: Position, client: Client = ""
    ) -> Response:
        return await link.respond(
            "move_plugin", _body(body, instance_id=instance_id, client=client)
        )

    @r.put("/pedalboard/plugins/{instance_id}/knobs", responses=ok("Object"), tags=["pedalboard"])
    async def set_knobs(
        link: Link, instance_id: InstanceId, body: Knobs, client: Client = ""
    ) -> Response:
        params = {"instance_id": instance_id, "knobs": body.knobs, "client": client}
        return await link.respond("set_knobs", params)

    @r.post("/pedalboard/plugins/{instance_id}/preset", responses=ok("Object"), tags=["pedalboard"])
    async def load_preset(
        link: Link, instance_id: InstanceId, body: PresetLoad, client: Client = ""
    ) -> Response:
        return await link.respond(
            "load_preset", _body(body, instance_id=instance_id, client=client)
        )

    @r.post(
        "/pedalboard/plugins/{instance_id}/presets", responses=ok("Object"), tags=["pedalboard"]
    )
    async def save_preset(link: Link, instance_id: InstanceId, body: PresetSave) -> Response:
        return await link.respond("save_preset", _body(body, instance_id=instance_id))


def _connection_routes(r: APIRouter) -> None:
    @r.post("/pedalboard/connections", responses=ok("Object"), tags=["pedalboard"])
    async def connect(link: Link, body: ConnectionBody, client: Client = "") -> Response:
        return await link.respond("connect", _body(body, client=client))

    @r.delete("/pedalboard/connections", responses=ok("Object"), tags=["pedalboard"])
    async def disconnect(
        link: Link,
        source: Annotated[str, Query(min_length=1, max_length=1024)],
        target: Annotated[str, Query(min_length=1, max_length=1024)],
        client: Client = "",
    ) -> Response:
        params = {"source": source, "target": target, "client": client}
        return await link.respond("disconnect", params)

    @r.post("/pedalboard/save", responses=ok("Object"), tags=["pedalboard"])
    async def save(link: Link) -> Response:
        return await link.respond("pedalboard.save")

    @r.post("/pedalboard/save-as", responses=ok("Object"), tags=["pedalboard"])
    async def save_as(link: Link, body: NameBody) -> Response:
        return await link.respond("pedalboard.save_as", _body(body))


def _board_routes(r: APIRouter) -> None:
    @r.get("/pedalboards", responses=ok("PedalboardList"), tags=["pedalboards"])
    async def list_boards(link: Link) -> Response:
        return await link.respond("pedalboard.list", idempotent=True)

    @r.post("/pedalboards", responses=ok("Object"), tags=["pedalboards"])
    async def create_board(link: Link, body: NameBody) -> Response:
        return await link.respond("pedalboard.create", _body(body))

    @r.post("/pedalboards/{board_id}/load", responses=ok("LoadedPedalboard"), tags=["pedalboards"])
    async def load_board(link: Link, board_id: BoardId) -> Response:
        return await link.respond("pedalboard.load", {"id": board_id})

    @r.patch("/pedalboards/{board_id}", responses=ok("Object"), tags=["pedalboards"])
    async def rename_board(link: Link, board_id: BoardId, body: NameBody) -> Response:
        return await link.respond("pedalboard.rename", _body(body, id=board_id))

    @r.delete("/pedalboards/{board_id}", responses=ok("Object"), tags=["pedalboards"])
    async def delete_board(link: Link, board_id: BoardId) -> Response:
        return await link.respond("pedalboard.delete", {"id": board_id})


def _audio_routes(r: APIRouter) -> None:
    @r.get("/audio/status", responses=ok("Object"), tags=["audio"])
    async def audio_status(link: Link) -> Response:
        return await link.respond("audio.status", idempotent=True)

    @r.put("/audio/buffer-size", responses=ok("Object"), tags=["audio"])
    async def buffer_size(link: Link, body: BufferSize) -> Response:
        return await link.respond("audio.set_buffer_size", _body(body))

    @r.put("/audio/processing", responses=ok("Object"), tags=["audio"])
    async def processing(link: Link, body: Processing) -> Response:
        """Global plugin processing on/off (off: every plugin outputs silence)."""
        return await link.respond("engine.processing", _body(body))

    @r.get("/audio/ports", responses=ok("AnyList"), tags=["audio"])
    async def audio_ports(
        link: Link,
        type: Annotated[PortKind | None, Query()] = None,
        direction: Annotated[PortDirection | None, Query()] = None,
    ) -> Response:
        params = {k: v for k, v in (("type", type), ("direction", direction)) if v}
        return await link.respond("audio.list_ports", params, idempotent=True)


def _history_routes(r: APIRouter) -> None:
    @r.post("/history/undo", responses=ok("UndoResult"), tags=["history"])
    async def undo(link: Link, client: Client = "") -> Response:
        """Undo this client's newest edit of the current board (409: another client changed
        the same thing since; that entry is skipped)."""
        return await link.respond("history.undo", {"client": client})

    @r.post("/history/redo", responses=ok("UndoResult"), tags=["history"])
    async def redo(link: Link, client: Client = "") -> Response:
        """Redo what this client undid last."""
        return await link.respond("history.redo", {"client": client})
