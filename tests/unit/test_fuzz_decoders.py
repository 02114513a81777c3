"""Fuzzing (hypothesis): every decoder of outside input raises only our typed errors.

The contract decoders (RPC request/response/event, params conversion), the pedalboard file loader
(arbitrary bytes, wrong schema versions, huge values, NaN/inf, unicode names) and the mod-host
server-side parser and feedback parser.
"""

from __future__ import annotations

import contextlib
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from stompbox.contract import bridge_api, session_api
from stompbox.contract.errors import NotFoundError, ResourceError, ValidationError
from stompbox.contract.model import SCHEMA_VERSION, Pedalboard
from stompbox.contract.rpc import (
    DecodeError,
    decode_event,
    decode_request,
    decode_response,
)
from stompbox.modhost.errors import ProtocolError
from stompbox.modhost.feedback import FeedbackParser
from stompbox.modhost.server import CommandError, parse_command
from stompbox.session.storage import Storage, validate_id, validate_name

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda kids: (
        st.lists(kids, max_size=5) | st.dictionaries(st.text(max_size=10), kids, max_size=5)
    ),
    max_leaves=20,
)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()  # NaN/Infinity: not JSON, still sent


envelopes = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "method": json_values,
        "params": json_values,
        "result": json_values,
        "error": json_values,
        "event": json_values,
        "seq": json_values,
        "timestamp": json_values,
        "data": json_values,
    },
)


@FUZZ
@given(st.binary(max_size=2000) | envelopes.map(_json_bytes) | json_values.map(_json_bytes))
def test_envelope_decoders_raise_only_decode_error(data: bytes) -> None:
    for decode in (decode_request, decode_response, decode_event):
        with contextlib.suppress(DecodeError):
            decode(data)


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000,
        b'{"id":1,"method":"' + b"a" * (65 * 2**20) + b'"}',  # over every limit
        b'{"id":1,"method":"x","params":' + DEEP + b"}",
        b'{"id":1,"result":' + DEEP + b"}",
        b'{"event":"x","seq":1,"timestamp":"t","data":' + DEEP + b"}",
    ],
    ids=["array", "oversized", "deep-params", "deep-result", "deep-data"],
)
@pytest.mark.parametrize("decode", [decode_request, decode_response, decode_event])
def test_oversized_and_deep_messages_are_decode_errors(data: bytes, decode: Any) -> None:
    with pytest.raises(DecodeError):
        decode(data)


METHODS = [*session_api.ALL, *bridge_api.ALL]


@FUZZ
@given(
    json_values.map(_json_bytes) | st.binary(max_size=200),
    st.sampled_from(METHODS),
)
def test_params_decoders_raise_only_validation_error(data: bytes, method: Any) -> None:
    """Every method's params decoder (what a server runs on a request's raw params)."""
    with contextlib.suppress(ValidationError):
        method.decode_params(data)


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
def test_each_params_decoder_refuses_garbage(method: Any) -> None:
    """Each must fail on a non-object (so the test above is not vacuous)."""
    with pytest.raises(ValidationError, match="invalid params"):
        method.decode_params(b"[1, 2")


# -- the pedalboard file loader ----------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
odd_floats = st.floats() | st.sampled_from([math.inf, -math.inf, math.nan, 1e308, -1e308, 5e-324])
names = st.text(min_size=0, max_size=300)


@st.composite
def board_documents(draw: st.DrawFn) -> Any:
    """Pedalboard-shaped JSON with wrong schemas, huge/NaN values, unicode names, wrong types."""
    plugin = st.fixed_dictionaries(
        {
            "uri": names,
            "instance_id": names,
            "name": names,
            "parameters": st.dictionaries(names, odd_floats | json_values, max_size=4),
            "x": odd_floats | json_values,
            "y": odd_floats,
        }
    )
    doc: dict[str, Any] = {
        "id": draw(names | json_values),
        "name": draw(names | json_values),
        "schema": draw(
            st.integers(min_value=-(2**70), max_value=2**70)
            | st.sampled_from([SCHEMA_VERSION, SCHEMA_VERSION + 1, 0])
            | json_values
        ),
        "plugins": draw(st.lists(plugin, max_size=3) | json_values),
        "connections": draw(
            st.lists(st.fixed_dictionaries({"source": names, "target": names}), max_size=3)
            | json_values
        ),
    }
    for key in draw(st.lists(st.sampled_from(sorted(doc)), unique=True)):
        del doc[key]
    return doc


_STORE = tempfile.TemporaryDirectory(prefix="stompbox-fuzz-")


@FUZZ
@given(st.binary(max_size=3000) | board_documents().map(_json_bytes))
def test_board_loader_raises_only_typed_errors(data: bytes) -> None:
    storage = Storage(Path(_STORE.name))
    storage.ensure()
    storage.boards_dir.joinpath("fuzz.json").write_bytes(data)
    try:
        board = storage.load("fuzz")
    except (ValidationError, NotFoundError, ResourceError):
        return
    assert isinstance(board, Pedalboard)
    assert board.schema <= SCHEMA_VERSION
    assert board.id == "fuzz"
    # what loaded saves again and loads back the same
    storage.save(board)
    assert msgspec.to_builtins(storage.load("fuzz")) == msgspec.to_builtins(board)


@FUZZ
@given(st.binary(max_size=3000))
def test_current_state_loader_never_raises(data: bytes) -> None:
    storage = Storage(Path(_STORE.name))
    storage.ensure()
    (Path(_STORE.name) / "current.json").write_bytes(data)
    storage.load_current()  # a damaged autosave is None, never an exception


@FUZZ
@given(names | st.sampled_from(["../x", "/etc/passwd", "a\0b", ".", "..", "con", "", "x" * 5000]))
def test_names_and_ids_are_validated(name: str) -> None:
    with contextlib.suppress(ValidationError):
        validate_name(name)
    try:
        board_id = validate_id(name)
    except ValidationError:
        return
    assert "/" not in board_id
    assert board_id not in (".", "..")


# -- mod-host parsers ----------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_server_parser_raises_only_command_error(line: str) -> None:
    with contextlib.suppress(CommandError):
        parse_command(line)


@FUZZ
@given(st.lists(st.binary(max_size=200), max_size=10))
def test_feedback_parser_raises_only_protocol_error(chunks: list[bytes]) -> None:
    parser = FeedbackParser()
    for chunk in chunks:
        try:
            parser.feed(chunk)
        except ProtocolError:
            parser = FeedbackParser()


def test_requests_stop_at_4_mib_replies_and_events_at_64() -> None:
    """A reply or event comes from our own servers; a board's state may be tens of MiB."""
    from stompbox.contract.rpc import MAX_MESSAGE_BYTES, MAX_REPLY_BYTES

    big = "a" * (5 * 2**20)
    assert MAX_MESSAGE_BYTES < len(big) < MAX_REPLY_BYTES
    with pytest.raises(DecodeError):
        decode_request(b'{"id":1,"method":"' + big.encode() + b'"}')
    assert decode_response(b'{"id":1,"result":"' + big.encode() + b'"}').result == big
    event = b'{"event":"x","seq":1,"timestamp":"t","data":{"s":"' + big.encode() + b'"}}'
    assert decode_event(event).data["s"] == big
