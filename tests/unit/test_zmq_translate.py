"""zmq.ZMQError is translated into the stompbox error tree (no sockets involved)."""

from __future__ import annotations

import errno

import pytest
import zmq

from stompbox.contract.errors import ConflictError, StompboxConnectionError, ValidationError
from stompbox.zmqservice.translate import translate, zmq_errors


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (zmq.EADDRINUSE, ConflictError),
        (zmq.EINVAL, ValidationError),
        (zmq.EPROTONOSUPPORT, ValidationError),
        (errno.ENOENT, StompboxConnectionError),
        (zmq.ETERM, StompboxConnectionError),
        (zmq.EHOSTUNREACH, StompboxConnectionError),
    ],
)
def test_translate(code: int, expected: type[Exception]) -> None:
    error = translate(zmq.ZMQError(code), "bind ipc:///x")
    assert type(error) is expected
    assert error.message.startswith("bind ipc:///x: ")
    assert error.data == {"errno": code}


def test_zmq_errors_reraises_ours_with_cause() -> None:
    with pytest.raises(StompboxConnectionError) as info, zmq_errors("receive"):
        raise zmq.ZMQError(zmq.ETERM)
    assert isinstance(info.value.__cause__, zmq.ZMQError)


def test_zmq_errors_leaves_other_exceptions_alone() -> None:
    with pytest.raises(KeyError), zmq_errors("receive"):
        raise KeyError("x")
