"""How a route relays one session method: request body → the method's params Struct, and the
OpenAPI request/response schemas generated from the same Structs (no second set of shapes).

A route that takes a body declares `**doc(METHOD, body=("instance_id", "client"))`: its
requestBody schema is the params Struct's without the fields the path and headers supply; it
reads the body with `await params(request, METHOD, instance_id=..., client=...)`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from functools import cache
from typing import Any, TypeVar

import msgspec
from fastapi import Request

from stompbox.contract import session_api
from stompbox.contract.errors import ErrorBody, ValidationError
from stompbox.contract.method import Method
from stompbox.contract.session import WebHealth

P = TypeVar("P")

MARK = "#/x-stompbox/"
"""Schema references `doc` leaves in the routes; `resolve` replaces them (web/app.py)."""


async def params(request: Request, method: Method[P, Any], **fields: Any) -> P:
    """The JSON object body merged with `fields` (path, headers: they win), as `method.params`;
    null members count as absent. ValidationError (422) when it does not fit."""
    raw = await request.body()
    try:
        body = msgspec.json.decode(raw) if raw.strip() else {}
    except msgspec.DecodeError as exc:
        raise ValidationError(f"request body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ValidationError("request body must be a JSON object")
    merged = {k: v for k, v in body.items() if v is not None}
    merged.update(fields)
    try:
        return msgspec.convert(merged, method.params)
    except msgspec.ValidationError as exc:
        raise ValidationError(f"invalid request body: {exc}") from exc


def doc(
    method: Method[Any, Any] | None, *, body: Iterable[str] | None = None, result: str = ""
) -> dict[str, Any]:
    """`responses=` (the method's result type, or `result` by name) and, when the route takes a
    body, `openapi_extra=` whose requestBody is the params Struct minus the fields in `body`."""
    if not result and method is None:
        raise ValueError("doc() needs a method or a result name")
    name = result or f"result/{method.name}"  # type: ignore[union-attr]
    error = {"content": {"application/json": {"schema": {"$ref": f"{MARK}ErrorBody"}}}}
    out: dict[str, Any] = {
        "responses": {
            200: {
                "description": "OK",
                "content": {"application/json": {"schema": {"$ref": MARK + name}}},
            },
            "4XX": {"description": "refused", **error},
            "5XX": {"description": "session or engine failed", **error},
        }
    }
    if body is not None and method is not None:
        ref = f"{MARK}params/{method.name}/-{','.join(body)}"
        content = {"application/json": {"schema": {"$ref": ref}}}
        out["openapi_extra"] = {"requestBody": {"required": True, "content": content}}
    return out


@cache
def _components() -> tuple[dict[str, Any], dict[str, Any]]:
    methods = session_api.ALL
    types: list[Any] = [m.params for m in methods] + [m.result for m in methods]
    names = [f"params/{m.name}" for m in methods] + [f"result/{m.name}" for m in methods]
    types += [ErrorBody, WebHealth]
    names += ["ErrorBody", "WebHealth"]
    schemas, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}"
    )
    return dict(zip(names, schemas, strict=True)), components


def components() -> dict[str, Any]:
    """The component schemas the resolved references point to."""
    return _components()[1]


def resolve(ref: str) -> dict[str, Any]:
    """The schema behind one `MARK` reference (a params schema inlined, minus dropped fields)."""
    named, comps = _components()
    key = ref.removeprefix(MARK)
    drop: list[str] = []
    if key.startswith("params/"):
        key, _, dropped = key.rpartition("/-")
        drop = [f for f in dropped.split(",") if f]
    schema: dict[str, Any] = named[key]
    if not drop:
        return schema
    target = schema.get("$ref", "")
    inline: dict[str, Any] = copy.deepcopy(comps[target.rsplit("/", 1)[1]] if target else schema)
    props = inline.get("properties", {})
    for field in drop:
        props.pop(field, None)
    inline["required"] = [r for r in inline.get("required", []) if r not in drop]
    if not inline["required"]:
        del inline["required"]
    return inline
