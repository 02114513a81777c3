"""The web process's link to the session: RPC calls, with unencodable params made 422s."""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import Request
from fastapi.responses import Response

from stompbox.contract.errors import StompboxError, ValidationError
from stompbox.zmqservice.client import RpcClient

JSON = "application/json"


class SessionLink:
    """Calls session methods through one shared RpcClient (many calls in flight at once)."""

    def __init__(self, rpc: RpcClient) -> None:
        self.rpc = rpc

    async def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        idempotent: bool = False,
        call_timeout: float | None = None,
    ) -> Any:
        """The session's result, or its StompboxError; params that cannot be encoded (lone
        surrogates, huge integers) are the client's fault: ValidationError, never a 500."""
        try:
            return await self.rpc.call(method, params, idempotent=idempotent, timeout=call_timeout)
        except StompboxError:
            raise
        except (TypeError, ValueError, OverflowError, msgspec.EncodeError) as exc:
            raise ValidationError(f"{method}: parameters cannot be encoded: {exc}") from exc

    async def respond(
        self, method: str, params: dict[str, Any] | None = None, *, idempotent: bool = False
    ) -> Response:
        """Call `method` and answer its result as JSON, relayed as the session sent it."""
        result = await self.call(method, params, idempotent=idempotent)
        return Response(msgspec.json.encode({} if result is None else result), media_type=JSON)


def session_link(request: Request) -> SessionLink:
    """FastAPI dependency: the app's SessionLink."""
    link = request.app.state.link
    assert isinstance(link, SessionLink)
    return link
