"""Benchmark the codec work of one RPC hop (no sockets): a `set_parameter` request and its reply,
encoded by the client, decoded by the server, the result encoded and decoded again.

`typed` is today's path (contract Method: Struct encoded in one pass, params kept `msgspec.Raw`
until one cached Decoder turns them into the Struct, the result decoded into its type);
`dicts` re-creates the path it replaced (to_builtins → encode, params decoded to a dict then
`msgspec.convert`, the result through to_builtins and convert). Printed, not asserted.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

from stompbox.contract import session_api as S
from stompbox.contract.history import EditParameter
from stompbox.contract.rpc import OutgoingRequest, Response, decode_raw_response, decode_request
from stompbox.contract.session import ValueResult

ROUNDS = 50_000


class _DictRequest(msgspec.Struct):
    id: int
    method: str
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    timeout: float | None = None


_dict_request = msgspec.json.Decoder(_DictRequest)
_dict_response = msgspec.json.Decoder(Response)
_encode = msgspec.json.Encoder().encode


def typed_hop(params: EditParameter) -> ValueResult:
    wire = _encode(OutgoingRequest(1, S.SET_PARAMETER.name, params, 5.0))
    request = decode_request(wire)
    q = S.SET_PARAMETER.decode_params(request.params)
    reply = _encode(Response(request.id, ValueResult(q.value)))
    return S.SET_PARAMETER.decode_result(decode_raw_response(reply).result)


def dict_hop(params: EditParameter) -> ValueResult:
    wire = _encode({"id": 1, "method": "set_parameter", "params": msgspec.to_builtins(params)})
    request = _dict_request.decode(wire)
    q = msgspec.convert(request.params, EditParameter)
    reply = _encode(Response(request.id, msgspec.to_builtins(ValueResult(q.value))))
    return msgspec.convert(_dict_response.decode(reply).result, ValueResult)


def _per_hop(hop: Any) -> float:
    params = EditParameter("amp_1", "gain", -6.5, client="c-1", gesture="g-1")
    for _ in range(1000):
        hop(params)
    started = time.perf_counter()
    for _ in range(ROUNDS):
        hop(params)
    return (time.perf_counter() - started) / ROUNDS * 1e6


def main() -> None:
    assert typed_hop(EditParameter("a", "g", 1.0)) == dict_hop(EditParameter("a", "g", 1.0))
    typed, dicts = _per_hop(typed_hop), _per_hop(dict_hop)
    print(
        f"rpc codec, one set_parameter hop (request + reply, no sockets): typed {typed:.2f} µs, "
        f"dict/convert path it replaced {dicts:.2f} µs (ratio {dicts / typed:.2f}×)"
    )


if __name__ == "__main__":
    main()
