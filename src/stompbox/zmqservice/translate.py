"""Translate zmq.ZMQError into the stompbox error tree where the zmq layer meets ours."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import zmq

from stompbox.contract.errors import (
    ConflictError,
    StompboxConnectionError,
    StompboxError,
    ValidationError,
)


def translate(exc: zmq.ZMQError, what: str) -> StompboxError:
    """The stompbox error for a zmq failure while doing `what` (e.g. "bind ipc://...").

    Address in use → ConflictError; a malformed endpoint → ValidationError; anything else →
    StompboxConnectionError.
    """
    if exc.errno == zmq.EADDRINUSE:
        return ConflictError(f"{what}: {exc.strerror}", {"errno": exc.errno})
    if exc.errno in (zmq.EINVAL, zmq.EPROTONOSUPPORT, zmq.ENOCOMPATPROTO):
        return ValidationError(f"{what}: {exc.strerror}", {"errno": exc.errno})
    return StompboxConnectionError(f"{what}: {exc.strerror}", {"errno": exc.errno})


@contextmanager
def zmq_errors(what: str) -> Iterator[None]:
    """Re-raise any zmq.ZMQError inside the block as a StompboxError."""
    try:
        yield
    except zmq.ZMQError as exc:
        raise translate(exc, what) from exc
