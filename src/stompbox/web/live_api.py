"""REST routes for playing live: snapshots, setlists, MIDI bindings, tuner, load, media.

Each route relays one contract/session_api.py method; a body is a JSON object decoded into the
method's params Struct (unknown fields and bad values are a 422). Media uploads are the raw file
bytes (`PUT /api/media/{name}`), limited in size here before they travel.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from stompbox.contract import live as lv, session as s, session_api as S
from stompbox.contract.errors import ValidationError
from stompbox.contract.method import Method

from .api import Client
from .relay import SessionLink, session_link
from .routing import doc, params

Link = Annotated[SessionLink, Depends(session_link)]
Index = Annotated[int, Path(ge=0, le=1000)]
Id = Annotated[str, Path(min_length=1, max_length=256)]

MAX_UPLOAD = 2 * 1024 * 1024
"""Largest media file accepted (it travels base64-encoded in one RPC frame of at most 4 MiB)."""
E = s.Empty()


def _plain(r: APIRouter, verb: str, path: str, method: Method[s.Empty, Any], tag: str) -> None:
    """A route that calls a method taking no params."""

    async def route(link: Link) -> Response:
        return await link.respond(method, E)

    route.__name__ = method.name.replace(".", "_")
    r.add_api_route(path, route, methods=[verb], tags=[tag], **doc(method))


def _body(r: APIRouter, verb: str, path: str, method: Method[Any, Any], tag: str) -> None:
    """A route whose JSON body is the method's whole params Struct."""

    async def route(link: Link, request: Request) -> Response:
        return await link.respond(method, await params(request, method))

    route.__name__ = method.name.replace(".", "_")
    r.add_api_route(path, route, methods=[verb], tags=[tag], **doc(method, body=()))


def build_live_router() -> APIRouter:
    r = APIRouter(prefix="/api")
    _snapshot_routes(r)
    _setlist_routes(r)
    _midi_routes(r)
    _tuner_routes(r)
    _media_routes(r)
    return r


def _snapshot_routes(r: APIRouter) -> None:
    tags: list[str | Any] = ["snapshots"]
    _plain(r, "GET", "/snapshots", S.SNAPSHOT_LIST, "snapshots")
    _body(r, "POST", "/snapshots", S.SNAPSHOT_SAVE, "snapshots")

    @r.post("/snapshots/{index}/recall", **doc(S.SNAPSHOT_RECALL), tags=tags)
    async def recall(link: Link, index: Index, client: Client = "") -> Response:
        return await link.respond(S.SNAPSHOT_RECALL, lv.SnapshotRef(index, client))

    @r.post("/snapshots/next", **doc(S.SNAPSHOT_STEP), tags=tags)
    async def next_(link: Link, client: Client = "") -> Response:
        return await link.respond(S.SNAPSHOT_STEP, lv.SnapshotStep(1, client))

    @r.post("/snapshots/previous", **doc(S.SNAPSHOT_STEP), tags=tags)
    async def previous(link: Link, client: Client = "") -> Response:
        return await link.respond(S.SNAPSHOT_STEP, lv.SnapshotStep(-1, client))

    @r.patch("/snapshots/{index}", **doc(S.SNAPSHOT_RENAME, body=("index",)), tags=tags)
    async def rename(link: Link, index: Index, request: Request) -> Response:
        q = await params(request, S.SNAPSHOT_RENAME, index=index)
        return await link.respond(S.SNAPSHOT_RENAME, q)

    @r.delete("/snapshots/{index}", **doc(S.SNAPSHOT_DELETE), tags=tags)
    async def delete(link: Link, index: Index) -> Response:
        return await link.respond(S.SNAPSHOT_DELETE, lv.SnapshotRef(index))


def _setlist_routes(r: APIRouter) -> None:
    tags: list[str | Any] = ["setlists"]
    _plain(r, "GET", "/setlists", S.SETLIST_LIST, "setlists")
    _body(r, "POST", "/setlists", S.SETLIST_CREATE, "setlists")
    _plain(r, "GET", "/setlist", S.SETLIST_STATE, "setlists")
    _plain(r, "POST", "/setlist/next", S.SETLIST_NEXT, "setlists")
    _plain(r, "POST", "/setlist/leave", S.SETLIST_LEAVE, "setlists")
    _plain(r, "POST", "/setlist/previous", S.SETLIST_PREVIOUS, "setlists")

    @r.get("/setlists/{setlist_id}", **doc(S.SETLIST_GET), tags=tags)
    async def get(link: Link, setlist_id: Id) -> Response:
        return await link.respond(S.SETLIST_GET, lv.SetlistRef(setlist_id))

    @r.patch("/setlists/{setlist_id}", **doc(S.SETLIST_UPDATE, body=("id",)), tags=tags)
    async def update(link: Link, setlist_id: Id, request: Request) -> Response:
        q = await params(request, S.SETLIST_UPDATE, id=setlist_id)
        return await link.respond(S.SETLIST_UPDATE, q)

    @r.delete("/setlists/{setlist_id}", **doc(S.SETLIST_DELETE), tags=tags)
    async def delete(link: Link, setlist_id: Id) -> Response:
        return await link.respond(S.SETLIST_DELETE, lv.SetlistRef(setlist_id))

    @r.post("/setlists/{setlist_id}/go/{position}", **doc(S.SETLIST_GO), tags=tags)
    async def go(link: Link, setlist_id: Id, position: Index) -> Response:
        return await link.respond(S.SETLIST_GO, lv.SetlistGo(id=setlist_id, position=position))


def _midi_routes(r: APIRouter) -> None:
    tags: list[str | Any] = ["midi"]
    _plain(r, "GET", "/midi/bindings", S.MIDI_BINDINGS, "midi")
    _body(r, "POST", "/midi/bindings", S.MIDI_BIND, "midi")
    _body(r, "POST", "/midi/learn", S.MIDI_LEARN, "midi")
    _plain(r, "DELETE", "/midi/learn", S.MIDI_LEARN_CANCEL, "midi")
    _body(r, "PUT", "/midi/program-change", S.MIDI_PROGRAM_CHANGE, "midi")
    _body(r, "POST", "/midi/input", S.MIDI_INPUT, "midi")
    _body(r, "PUT", "/stage/footswitches", S.STAGE_FOOTSWITCHES, "stage")

    @r.delete("/midi/bindings/{binding_id}", **doc(S.MIDI_UNBIND), tags=tags)
    async def unbind(link: Link, binding_id: Id) -> Response:
        return await link.respond(S.MIDI_UNBIND, lv.BindingRef(binding_id))


def _tuner_routes(r: APIRouter) -> None:
    _plain(r, "GET", "/tuner", S.TUNER_STATE, "tuner")
    _body(r, "POST", "/tuner/start", S.TUNER_START, "tuner")
    _plain(r, "POST", "/tuner/stop", S.TUNER_STOP, "tuner")
    _plain(r, "GET", "/meter", S.METER_STATE, "audio")
    _plain(r, "POST", "/meter/start", S.METER_START, "audio")
    _plain(r, "POST", "/meter/stop", S.METER_STOP, "audio")
    _plain(r, "GET", "/load", S.LOAD_STATS, "audio")


def _media_routes(r: APIRouter) -> None:
    tags: list[str | Any] = ["media"]
    _plain(r, "GET", "/media", S.MEDIA_LIST, "media")

    @r.get("/plugins/files", **doc(S.MEDIA_FILE_PARAMETERS), tags=tags)
    async def file_parameters(
        link: Link, uri: Annotated[str, Query(min_length=1, max_length=2048)]
    ) -> Response:
        """The plugin's file parameters (patch:writable paths) and the file types they take."""
        return await link.respond(S.MEDIA_FILE_PARAMETERS, s.PluginUri(uri))

    @r.put("/media/{name}", **doc(S.MEDIA_UPLOAD), tags=tags)
    async def upload(link: Link, name: Id, request: Request) -> Response:
        """Upload a media file: the body is the file's bytes (at most 2 MiB)."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_UPLOAD:
            raise ValidationError(f"file larger than {MAX_UPLOAD} bytes", {"limit": MAX_UPLOAD})
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > MAX_UPLOAD:
                raise ValidationError(f"file larger than {MAX_UPLOAD} bytes", {"limit": MAX_UPLOAD})
        return await link.respond(S.MEDIA_UPLOAD, lv.MediaUpload(name, bytes(data)))

    @r.delete("/media/{name}", **doc(S.MEDIA_DELETE), tags=tags)
    async def delete(link: Link, name: Id) -> Response:
        return await link.respond(S.MEDIA_DELETE, lv.MediaRef(name))

    @r.put(
        "/pedalboard/plugins/{instance_id}/files",
        **doc(S.MEDIA_SET_FILE, body=("instance_id",)),
        tags=tags,
    )
    async def set_file(link: Link, instance_id: Id, request: Request) -> Response:
        """Point a plugin's path parameter at a media file ({property, name})."""
        q = await params(request, S.MEDIA_SET_FILE, instance_id=instance_id)
        return await link.respond(S.MEDIA_SET_FILE, q)
