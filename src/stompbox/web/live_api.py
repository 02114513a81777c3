"""REST routes for playing live: snapshots, setlists, MIDI bindings, tuner, load, media.

Each route relays one session method; bodies are JSON objects that the session converts to the
contract's Structs (unknown fields and bad values are a 422 from there). Media uploads are the raw
file bytes (`PUT /api/media/{name}`), limited in size here before they travel.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response

from stompbox.contract.errors import ValidationError

from .api import Client
from .relay import SessionLink, session_link
from .schemas import ok

Link = Annotated[SessionLink, Depends(session_link)]
Index = Annotated[int, Path(ge=0, le=1000)]
Id = Annotated[str, Path(min_length=1, max_length=256)]
Json = Annotated[dict[str, Any], Body()]
OptionalJson = Annotated[dict[str, Any] | None, Body()]

MAX_UPLOAD = 2 * 1024 * 1024
"""Largest media file accepted (it travels base64-encoded in one RPC frame of at most 4 MiB)."""


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

    @r.get("/snapshots", responses=ok("Object"), tags=tags)
    async def snapshots(link: Link) -> Response:
        return await link.respond("snapshot.list", idempotent=True)

    @r.post("/snapshots", responses=ok("Object"), tags=tags)
    async def save(link: Link, body: Json) -> Response:
        """Save the current values as a snapshot ({name, index?, include?, exclude?, bypass?})."""
        return await link.respond("snapshot.save", body)

    @r.post("/snapshots/{index}/recall", responses=ok("Object"), tags=tags)
    async def recall(link: Link, index: Index, client: Client = "") -> Response:
        return await link.respond("snapshot.recall", {"index": index, "client": client})

    @r.post("/snapshots/next", responses=ok("Object"), tags=tags)
    async def next_(link: Link, client: Client = "") -> Response:
        return await link.respond("snapshot.step", {"step": 1, "client": client})

    @r.post("/snapshots/previous", responses=ok("Object"), tags=tags)
    async def previous(link: Link, client: Client = "") -> Response:
        return await link.respond("snapshot.step", {"step": -1, "client": client})

    @r.patch("/snapshots/{index}", responses=ok("Object"), tags=tags)
    async def rename(link: Link, index: Index, body: Json) -> Response:
        return await link.respond("snapshot.rename", {**body, "index": index})

    @r.delete("/snapshots/{index}", responses=ok("Object"), tags=tags)
    async def delete(link: Link, index: Index) -> Response:
        return await link.respond("snapshot.delete", {"index": index})


def _setlist_routes(r: APIRouter) -> None:
    tags: list[str | Any] = ["setlists"]

    @r.get("/setlists", responses=ok("Object"), tags=tags)
    async def setlists(link: Link) -> Response:
        return await link.respond("setlist.list", idempotent=True)

    @r.post("/setlists", responses=ok("Object"), tags=tags)
    async def create(link: Link, body: Json) -> Response:
        """Create a setlist ({name, entries: [{board, snapshot?, note?}]})."""
        return await link.respond("setlist.create", body)

    @r.get("/setlist", responses=ok("Object"), tags=tags)
    async def active(link: Link) -> Response:
        """The active setlist and position (= program number)."""
        return await link.respond("setlist.state", idempotent=True)

    @r.post("/setlist/next", responses=ok("Object"), tags=tags)
    async def next_(link: Link) -> Response:
        return await link.respond("setlist.next")

    @r.post("/setlist/leave", responses=ok("Object"), tags=tags)
    async def leave(link: Link) -> Response:
        """Stop following a setlist."""
        return await link.respond("setlist.leave")

    @r.post("/setlist/previous", responses=ok("Object"), tags=tags)
    async def previous(link: Link) -> Response:
        return await link.respond("setlist.previous")

    @r.get("/setlists/{setlist_id}", responses=ok("Object"), tags=tags)
    async def get(link: Link, setlist_id: Id) -> Response:
        return await link.respond("setlist.get", {"id": setlist_id}, idempotent=True)

    @r.patch("/setlists/{setlist_id}", responses=ok("Object"), tags=tags)
    async def update(link: Link, setlist_id: Id, body: Json) -> Response:
        return await link.respond("setlist.update", {**body, "id": setlist_id})

    @r.delete("/setlists/{setlist_id}", responses=ok("Object"), tags=tags)
    async def delete(link: Link, setlist_id: Id) -> Response:
        return await link.respond("setlist.delete", {"id": setlist_id})

    @r.post("/setlists/{setlist_id}/go/{position}", responses=ok("Object"), tags=tags)
    async def go(link: Link, setlist_id: Id, position: Index) -> Response:
        return await link.respond("setlist.go", {"id": setlist_id, "position": position})


def _midi_routes(r: APIRouter) -> None:
    tags: list[str | Any] = ["midi"]

    @r.get("/midi/bindings", responses=ok("Object"), tags=tags)
    async def bindings(link: Link) -> Response:
        return await link.respond("midi.bindings", idempotent=True)

    @r.post("/midi/bindings", responses=ok("Object"), tags=tags)
    async def bind(link: Link, body: Json) -> Response:
        """Add a binding ({target, channel, number, kind?, instance_id?, symbol?, …})."""
        return await link.respond("midi.bind", body)

    @r.delete("/midi/bindings/{binding_id}", responses=ok("Object"), tags=tags)
    async def unbind(link: Link, binding_id: Id) -> Response:
        return await link.respond("midi.unbind", {"id": binding_id})

    @r.post("/midi/learn", responses=ok("Object"), tags=tags)
    async def learn(link: Link, body: Json) -> Response:
        """Arm learning ({binding: {...}}): the next CC or note completes the binding."""
        return await link.respond("midi.learn", body)

    @r.delete("/midi/learn", responses=ok("Object"), tags=tags)
    async def cancel(link: Link) -> Response:
        return await link.respond("midi.learn_cancel")

    @r.put("/stage/footswitches", responses=ok("Object"), tags=tags)
    async def footswitches(link: Link, body: Json) -> Response:
        """The blocks the stage view shows footswitches for ({"ids": [...]}, or null: all)."""
        return await link.respond("stage.footswitches", body)

    @r.put("/midi/program-change", responses=ok("Object"), tags=tags)
    async def program_change(link: Link, body: Json) -> Response:
        return await link.respond("midi.program_change", body)

    @r.post("/midi/input", responses=ok("Object"), tags=tags)
    async def midi_input(link: Link, body: Json) -> Response:
        """Apply one MIDI message ({kind: cc|note_on|note_off|program, channel, number, value})."""
        return await link.respond("midi.input", body)


def _tuner_routes(r: APIRouter) -> None:
    tags: list[str | Any] = ["tuner"]

    @r.get("/tuner", responses=ok("Object"), tags=tags)
    async def tuner(link: Link) -> Response:
        return await link.respond("tuner.state", idempotent=True)

    @r.post("/tuner/start", responses=ok("Object"), tags=tags)
    async def start(link: Link, body: OptionalJson = None) -> Response:
        """Start the tuner ({source?, mute?, reference?})."""
        return await link.respond("tuner.start", body or {})

    @r.post("/tuner/stop", responses=ok("Object"), tags=tags)
    async def stop(link: Link) -> Response:
        return await link.respond("tuner.stop")

    @r.get("/meter", responses=ok("Object"), tags=["audio"])
    async def meter(link: Link) -> Response:
        """The board's output level (true peak, hold, clip) while the meter runs."""
        return await link.respond("meter.state", idempotent=True)

    @r.post("/meter/start", responses=ok("Object"), tags=["audio"])
    async def meter_start(link: Link) -> Response:
        return await link.respond("meter.start")

    @r.post("/meter/stop", responses=ok("Object"), tags=["audio"])
    async def meter_stop(link: Link) -> Response:
        return await link.respond("meter.stop")

    @r.get("/load", responses=ok("Object"), tags=["audio"])
    async def load(link: Link) -> Response:
        """DSP load and xruns since the board loaded (count and rate per minute)."""
        return await link.respond("load.stats", idempotent=True)


def _media_routes(r: APIRouter) -> None:
    tags: list[str | Any] = ["media"]

    @r.get("/media", responses=ok("Object"), tags=tags)
    async def media(link: Link) -> Response:
        return await link.respond("media.list", idempotent=True)

    @r.get("/plugins/files", responses=ok("Object"), tags=tags)
    async def file_parameters(
        link: Link, uri: Annotated[str, Query(min_length=1, max_length=2048)]
    ) -> Response:
        """The plugin's file parameters (patch:writable paths) and the file types they take."""
        return await link.respond("media.file_parameters", {"uri": uri}, idempotent=True)

    @r.put("/media/{name}", responses=ok("Object"), tags=tags)
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
        payload = base64.b64encode(bytes(data)).decode()
        return await link.respond("media.upload", {"name": name, "data": payload})

    @r.delete("/media/{name}", responses=ok("Object"), tags=tags)
    async def delete(link: Link, name: Id) -> Response:
        return await link.respond("media.delete", {"name": name})

    @r.put("/pedalboard/plugins/{instance_id}/files", responses=ok("Object"), tags=tags)
    async def set_file(link: Link, instance_id: Id, body: Json) -> Response:
        """Point a plugin's path parameter at a media file ({property, name})."""
        return await link.respond("media.set_file", {**body, "instance_id": instance_id})
