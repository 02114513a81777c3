"""`Method[P, R]`: one RPC method declared once — wire name, params Struct, result type.

Both ends use the same object: the server registers `server.register(METHOD, handler)` and
decodes each request's params straight from the wire bytes into `P` (one cached Decoder per
method); the client calls `await client.call(METHOD, P(...))` and gets the result decoded into
`R`. Declarations live in `session_api.py` and `bridge_api.py`, one line per method.

An `envelope` method travels in the seed's action mapping: `bridge_api.PLUGIN_LOAD`, named
`plugin.load`, is sent as RPC method `plugin` with params `{"method": "load", "params": {...}}`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import msgspec

from .errors import ValidationError

P = TypeVar("P")
R = TypeVar("R")


class Method(Generic[P, R]):
    """One RPC method. `idempotent`: repeating it changes nothing (the client may retry it)."""

    __slots__ = ("_params_decoder", "_result_decoder", "envelope", "idempotent", "name", "params",
                 "result")  # fmt: skip

    def __init__(
        self,
        name: str,
        params: type[P],
        result: type[R],
        *,
        idempotent: bool = False,
        envelope: bool = False,
    ) -> None:
        if envelope and "." not in name:
            raise ValueError(f"envelope method {name!r} must be named <action>.<method>")
        self.name = name
        self.params = params
        self.result = result
        self.idempotent = idempotent
        self.envelope = envelope
        self._params_decoder: msgspec.json.Decoder[P] | None = None
        self._result_decoder: msgspec.json.Decoder[R] | None = None

    def __repr__(self) -> str:
        return f"Method({self.name!r})"

    @property
    def wire(self) -> tuple[str, str | None]:
        """(RPC method on the wire, inner method of the action envelope or None)."""
        if self.envelope:
            action, inner = self.name.split(".", 1)
            return action, inner
        return self.name, None

    def decode_params(self, data: bytes | msgspec.Raw) -> P:
        """Params from their JSON bytes, or ValidationError (what a bad request gets)."""
        decoder = self._params_decoder
        if decoder is None:
            decoder = self._params_decoder = msgspec.json.Decoder(self.params)
        try:
            return decoder.decode(data)
        except (msgspec.DecodeError, RecursionError) as exc:  # ValidationError is a DecodeError
            raise ValidationError(f"invalid params: {exc}") from exc

    def decode_result(self, data: bytes | msgspec.Raw) -> R:
        """The result from its JSON bytes, or ValidationError (the peer broke the contract)."""
        decoder = self._result_decoder
        if decoder is None:
            decoder = self._result_decoder = msgspec.json.Decoder(self.result)
        try:
            return decoder.decode(data)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise ValidationError(f"{self.name}: unexpected result: {exc}") from exc

    def route(self, handler: Callable[[P], Awaitable[R]]) -> Route:
        """This method served by `handler` (type-checked), for a registration table."""
        return Route(self, handler)


class Route:
    """A method and its handler, types checked where `Method.route` built it."""

    __slots__ = ("handler", "method")

    def __init__(self, method: Method[Any, Any], handler: Callable[[Any], Awaitable[Any]]) -> None:
        self.method = method
        self.handler = handler

    def wrap(self, wrapper: Callable[[Callable[[Any], Awaitable[Any]]], Any]) -> Route:
        """The same method with `wrapper(handler)` as its handler (e.g. ack after autosave)."""
        return Route(self.method, wrapper(self.handler))
