"""The web process's link to the session: typed calls of contract/session_api.py methods."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from fastapi import Request
from fastapi.responses import Response

from stompbox.contract.errors import StompboxError, ValidationError
from stompbox.contract.method import Method
from stompbox.zmqservice.client import RpcClient

JSON = "application/json"

P = TypeVar("P")
R = TypeVar("R")


def _unencodable(method: Method[Any, Any], exc: Exception) -> ValidationError:
    """Params that cannot be encoded (lone surrogates, huge integers) are the client's fault."""
    return ValidationError(f"{method.name}: parameters cannot be encoded: {exc}")


class SessionLink:
    """Calls session methods through one shared RpcClient (many calls in flight at once)."""

    def __init__(self, rpc: RpcClient) -> None:
        self.rpc = rpc

    async def call(
        self,
        method: Method[P, R],
        params: P,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> R:
        """The session's typed result, or its StompboxError (ValidationError, never a 500, for
        params that cannot be encoded)."""
        try:
            return await self.rpc.call(method, params, timeout=timeout)
        except StompboxError:
            raise
        except (TypeError, ValueError, OverflowError, msgspec.EncodeError) as exc:
            raise _unencodable(method, exc) from exc

    async def respond(self, method: Method[P, Any], params: P) -> Response:
        """Call `method` and answer its result's JSON as the session sent it (not re-encoded)."""
        try:
            raw = await self.rpc.call_raw(method, params)
        except StompboxError:
            raise
        except (TypeError, ValueError, OverflowError, msgspec.EncodeError) as exc:
            raise _unencodable(method, exc) from exc
        return Response(bytes(raw), media_type=JSON)


async def session_link(request: Request) -> SessionLink:
    """FastAPI dependency: the app's SessionLink (async: FastAPI runs a plain `def`
    dependency in its thread pool, two thread hand-offs on every request)."""
    link = request.app.state.link
    assert isinstance(link, SessionLink)
    return link
