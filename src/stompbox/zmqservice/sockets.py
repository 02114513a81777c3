"""Small socket helpers shared by the RPC and event sockets."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import zmq
import zmq.asyncio

from stompbox.contract.errors import ConflictError

from .curve import CurveGate, CurveKeys, secure_server
from .endpoints import ipc_path
from .translate import zmq_errors

S = TypeVar("S", bound=zmq.Socket[Any])


def refuse_live_ipc(endpoint: str) -> None:
    """Raise ConflictError if a process already listens on `endpoint`'s ipc socket file.

    libzmq would silently unlink the file and take the endpoint over; a stale file (nobody
    listening, e.g. after a crash) is fine and gets replaced by the bind.
    """
    path = ipc_path(endpoint)
    if path is None or not path.exists():
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(str(path))
        except OSError:
            return  # refused or not a socket: nobody serves it
    raise ConflictError(f"another process already serves {endpoint}", {"endpoint": endpoint})


def sync_view(sock: zmq.asyncio.Socket) -> zmq.Socket[bytes]:
    """A synchronous socket sharing `sock`'s libzmq socket, to drain it without awaiting.

    Only ever receive on it right after an awaited poll of `sock`, until zmq.Again: that keeps
    pyzmq's edge-triggered wake-ups of `sock` correct.
    """
    view: zmq.Socket[bytes] = zmq.Socket.shadow(sock.underlying)
    return view


def drain(sock: zmq.Socket[bytes], limit: int = 256) -> list[list[bytes]]:
    """Every message ready on `sock` (at most `limit`), without waiting."""
    messages: list[list[bytes]] = []
    while len(messages) < limit:
        try:
            messages.append(sock.recv_multipart(zmq.NOBLOCK))
        except zmq.Again:
            break
    return messages


def open_monitor(sock: zmq.asyncio.Socket, events: int) -> zmq.asyncio.Socket:
    """A PAIR socket receiving `sock`'s monitor `events`, on a unique inproc address.

    pyzmq's default address derives from the socket's fd; a new socket reusing the fd of one
    closed a moment ago would collide with the old monitor endpoint and see no events.
    """
    address = f"inproc://stompbox.monitor.{uuid.uuid4().hex}"
    pair: zmq.asyncio.Socket = sock.get_monitor_socket(events, address)
    pair.setsockopt(zmq.LINGER, 0)
    return pair


def bind_server(
    endpoint: str,
    make: Callable[[zmq.Context[Any]], S],
    options: Mapping[int, int],
    *,
    context: zmq.Context[Any],
    curve: CurveKeys | None,
    what: str,
) -> tuple[S, CurveGate | None, str]:
    """Bind one server socket (RPC ROUTER or event PUB): refuse a live ipc endpoint, set up the
    CURVE gate when keys are given, set `options` and linger 0, bind; return the socket, its gate
    (to close with it) and the bound address (e.g. the port chosen for `tcp://127.0.0.1:*`).
    Nothing is left open when it fails."""
    refuse_live_ipc(endpoint)
    gate = None if curve is None else CurveGate(curve)
    with zmq_errors(what):
        if gate is not None:
            context = gate.open()
        sock = make(context)
        try:
            if curve is not None:
                secure_server(sock, curve)
            sock.setsockopt(zmq.LINGER, 0)
            for option, value in options.items():
                sock.setsockopt(option, value)
            sock.bind(endpoint)
            return sock, gate, sock.getsockopt_string(zmq.LAST_ENDPOINT)
        except BaseException:
            sock.close(linger=0)
            if gate is not None:
                gate.close()
            raise


def close_server(sock: zmq.Socket[Any] | None, gate: CurveGate | None) -> None:
    """Close what `bind_server` opened (either may already be None)."""
    if sock is not None:
        sock.close(linger=0)
    if gate is not None:
        gate.close()
