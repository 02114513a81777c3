"""Small socket helpers shared by the RPC and event sockets."""

from __future__ import annotations

import zmq
import zmq.asyncio


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
