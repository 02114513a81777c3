"""Request bodies of the HTTP API (pydantic, validated by FastAPI) and the response schemas.

Responses are the contract's msgspec types relayed from the session; their JSON schemas come from
`msgspec.json.schema_components` and are merged into the OpenAPI document (`openapi_components`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from pydantic import BaseModel, ConfigDict, Field

from stompbox.contract.errors import ErrorBody
from stompbox.contract.history import UndoResult
from stompbox.contract.model import Pedalboard, PluginInstance
from stompbox.contract.plugin import PluginInfo, PluginSummary, PresetInfo

Uri = Annotated[str, Field(min_length=1, max_length=2048)]
Name = Annotated[str, Field(min_length=1, max_length=256)]
Port = Annotated[str, Field(min_length=1, max_length=1024)]
Coordinate = Annotated[float, Field(ge=-1e9, le=1e9, allow_inf_nan=False)]
Value = Annotated[float, Field(allow_inf_nan=False)]


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PortPair(Body):
    source: Annotated[str, Field(min_length=1, max_length=1024)]
    target: Annotated[str, Field(min_length=1, max_length=1024)]


class Splice(Body):
    """Cables to remove and to draw with the new plugin ("@new:<symbol>" is one of its ports)."""

    disconnect: Annotated[list[PortPair], Field(max_length=64)] = []
    connect: Annotated[list[PortPair], Field(max_length=64)] = []


class AddPlugin(Body):
    uri: Uri
    x: Coordinate | None = None
    y: Coordinate | None = None
    splice: Splice | None = None


class ParameterValue(Body):
    value: Value
    gesture: Annotated[str, Field(max_length=64)] | None = None  # one undo entry per gesture id


class Bypass(Body):
    bypassed: bool


class Position(Body):
    x: Coordinate
    y: Coordinate


class Knobs(Body):
    """The control symbols a block shows (2–4; null or [] for the ones its metadata suggests)."""

    knobs: Annotated[list[Annotated[str, Field(max_length=256)]], Field(max_length=4)] | None


class PresetLoad(Body):
    uri: Uri


class PresetSave(Body):
    label: Name


class ConnectionBody(Body):
    source: Port
    target: Port


class NameBody(Body):
    name: Name


class BufferSize(Body):
    size: Annotated[int, Field(ge=1, le=1 << 20)]


class Processing(Body):
    enabled: bool


PortKind = Literal["audio", "midi"]
PortDirection = Literal["input", "output"]


# -- response schemas ----------------------------------------------------------------------


class Health(msgspec.Struct):
    ok: bool
    session: bool
    engine_connected: bool


class ParameterResult(msgspec.Struct):
    value: float


class PedalboardEntry(msgspec.Struct):
    id: str
    name: str
    modified_at: str
    plugins: int


class LoadedPedalboard(msgspec.Struct):
    pedalboard: Pedalboard
    missing: list[str]


class SessionState(msgspec.Struct):
    pedalboard: Pedalboard
    seq: int
    engine_connected: bool
    audio: dict[str, Any]
    saved: list[str]


RESPONSE_TYPES: dict[str, Any] = {
    "Health": Health,
    "SessionState": SessionState,
    "PluginSummaryList": list[PluginSummary],
    "CategoryList": list[str],
    "PluginInfo": PluginInfo,
    "PresetInfoList": list[PresetInfo],
    "Pedalboard": Pedalboard,
    "PluginInstance": PluginInstance,
    "ParameterResult": ParameterResult,
    "PedalboardList": list[PedalboardEntry],
    "LoadedPedalboard": LoadedPedalboard,
    "ErrorBody": ErrorBody,
    "UndoResult": UndoResult,
    "Object": dict[str, Any],
    "AnyList": list[Any],
}


def openapi_components() -> tuple[dict[str, Any], dict[str, Any]]:
    """(name → schema of each response type, component schemas they refer to)."""
    names = list(RESPONSE_TYPES)
    schemas, components = msgspec.json.schema_components(
        [RESPONSE_TYPES[n] for n in names], ref_template="#/components/schemas/{name}"
    )
    return dict(zip(names, schemas, strict=True)), components


def ok(name: str, description: str = "OK") -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route answering the named response type (plus the error body)."""
    error = {"content": {"application/json": {"schema": {"$ref": "#/x-stompbox/ErrorBody"}}}}
    return {
        200: {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/x-stompbox/{name}"}}},
        },
        "4XX": {"description": "refused", **error},
        "5XX": {"description": "session or engine failed", **error},
    }
