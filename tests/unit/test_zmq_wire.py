"""RPC framing rules: splitting ROUTER frames, salvaging ids, encoding replies (pure)."""

from __future__ import annotations

import msgspec
from hypothesis import given, strategies as st

from stompbox.contract.errors import NotFoundError, ValidationError
from stompbox.contract.rpc import MAX_MESSAGE_BYTES, Response, decode_response
from stompbox.zmqservice.wire import (
    error_reply,
    result_reply,
    salvage_id,
    split_reply,
    split_request,
)


def test_well_formed_request() -> None:
    assert split_request([b"id", b"", b"{}"]) == (b"id", b"{}")


def test_no_frames_cannot_be_answered() -> None:
    identity, error = split_request([])
    assert identity is None
    assert isinstance(error, ValidationError)


@given(st.lists(st.binary(max_size=20), min_size=1, max_size=6))
def test_any_frames_split_without_raising(frames: list[bytes]) -> None:
    identity, payload = split_request(frames)
    assert identity == frames[0]
    if len(frames) == 3 and frames[1] == b"":
        assert payload == frames[2]
    else:
        assert isinstance(payload, ValidationError)


def test_oversized_payload_is_a_validation_error() -> None:
    _, error = split_request([b"id", b"", b" " * (MAX_MESSAGE_BYTES + 1)])
    assert isinstance(error, ValidationError)
    assert "exceeds" in error.message


def test_salvage_id() -> None:
    assert salvage_id(b'{"id": 7, "method": 3}') == 7
    assert salvage_id(b'{"id": "a", "params": []}') == "a"
    assert salvage_id(b'{"method": "x"}') is None
    assert salvage_id(b"not json") is None
    assert salvage_id(b'{"id": [1]}') is None
    assert salvage_id(b"[1, 2]") is None


@given(st.binary(max_size=200))
def test_salvage_id_never_raises(data: bytes) -> None:
    salvage_id(data)


def test_error_reply_round_trips() -> None:
    response = decode_response(error_reply(3, NotFoundError("no such method", {"m": "x"})))
    assert response.id == 3
    assert response.error is not None
    assert response.error.type == "not_found"
    assert response.error.code == 404
    assert response.error.data == {"m": "x"}


def test_result_reply_converts_structs() -> None:
    class Point(msgspec.Struct):
        x: int
        y: int

    response = decode_response(result_reply("r", [Point(1, 2)]))
    assert response == Response(id="r", result=[{"x": 1, "y": 2}])


def test_split_reply() -> None:
    assert split_reply([b"", b"x"]) == b"x"
    assert split_reply([b"x"]) is None
    assert split_reply([b"a", b"x"]) is None
    assert split_reply([b"", b"x", b"y"]) is None
