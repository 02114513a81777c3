"""WebSocket client messages: decoding, limits, error replies."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from stompbox.contract.errors import NotFoundError
from stompbox.contract.rpc import Event
from stompbox.web.messages import (
    MAX_CLIENT_MESSAGE,
    ClientMessageError,
    Resync,
    SetParameter,
    decode_client_message,
    encode_error,
    encode_event,
    encode_state,
    request_of,
)


def test_set_parameter_decodes() -> None:
    msg = decode_client_message(
        '{"type":"set_parameter","instance_id":"a","symbol":"gain","value":1}'
    )
    assert msg == SetParameter(instance_id="a", symbol="gain", value=1.0)
    assert request_of(msg) == {
        "type": "set_parameter",
        "instance_id": "a",
        "symbol": "gain",
        "value": 1.0,
    }


def test_resync_decodes() -> None:
    assert decode_client_message('{"type":"resync"}') == Resync()


@pytest.mark.parametrize(
    ("frame", "echo"),
    [
        (b'{"type":"resync"}', False),
        ("not json", False),
        ("[1, 2]", False),
        ('"resync"', False),
        ('{"type":"unknown"}', True),
        ('{"no_type": 1}', True),
        ('{"type":"set_parameter","instance_id":"a","symbol":"g","value":"x"}', True),
        ('{"type":"set_parameter","instance_id":"a","symbol":"g","value":true}', True),
        ('{"type":"set_parameter","instance_id":"a","symbol":"g"}', True),
        ('{"type":"set_parameter","instance_id":"","symbol":"g","value":1}', True),
        ('{"type":"set_parameter","instance_id":1,"symbol":"g","value":1}', True),
        ('{"type":"set_parameter","instance_id":"a","symbol":"g","value":1e999}', False),
        ('{"type":"set_parameter","instance_id":"a","symbol":"g","value":NaN}', False),
        ("", False),
        (None, False),
        ("\ud800", False),
    ],
)
def test_bad_messages_are_refused(frame: str | bytes | None, echo: bool) -> None:
    with pytest.raises(ClientMessageError) as info:
        decode_client_message(frame)
    assert (info.value.request is not None) is echo
    assert info.value.code == 422


def test_oversized_message_is_refused_without_echo() -> None:
    frame = json.dumps({"type": "resync", "pad": "x" * MAX_CLIENT_MESSAGE})
    with pytest.raises(ClientMessageError, match="exceeds") as info:
        decode_client_message(frame)
    assert info.value.request is None


def test_long_names_are_refused() -> None:
    frame = json.dumps(
        {"type": "set_parameter", "instance_id": "a" * 300, "symbol": "g", "value": 1}
    )
    with pytest.raises(ClientMessageError):
        decode_client_message(frame)


@given(st.text(max_size=200) | st.binary(max_size=200))
def test_arbitrary_frames_decode_or_raise_cleanly(frame: str | bytes) -> None:
    try:
        decode_client_message(frame)
    except ClientMessageError as exc:
        json.loads(encode_error(exc, exc.request))


@given(
    st.dictionaries(
        st.text(max_size=10),
        st.recursive(
            st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=10),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
            max_leaves=10,
        ),
        max_size=5,
    )
)
def test_arbitrary_objects_decode_or_raise_cleanly(obj: dict[str, object]) -> None:
    try:
        decode_client_message(json.dumps(obj))
    except ClientMessageError as exc:
        reply = json.loads(encode_error(exc, exc.request))
        assert reply["type"] == "error"
        assert reply["error_type"] == "validation"


def test_outgoing_shapes() -> None:
    assert json.loads(encode_state({"seq": 3})) == {"type": "state", "state": {"seq": 3}}
    event = Event(event="parameter_changed", seq=4, timestamp="t", data={"value": 1.0})
    assert json.loads(encode_event(event)) == {
        "type": "event",
        "event": "parameter_changed",
        "seq": 4,
        "timestamp": "t",
        "data": {"value": 1.0},
    }
    error = json.loads(encode_error(NotFoundError("no such instance"), {"type": "resync"}))
    assert error == {
        "type": "error",
        "code": 404,
        "error_type": "not_found",
        "message": "no such instance",
        "request": {"type": "resync"},
    }
