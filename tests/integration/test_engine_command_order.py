"""The engine answers commands that do not wait (param_set, param_get) straight from its data
callback, and runs an add or a preset in a task: whatever the mix, on one connection every
command runs after the ones before it and the replies keep the command order."""

from __future__ import annotations

import asyncio
import socket

import pytest

from tests.support.engine import EngineClient, EngineProcess, auth_line

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"


async def test_quick_commands_queue_behind_a_slow_one(client: EngineClient) -> None:
    lines = [
        f"add {AMP} 21",  # slow: the rest waits for it
        "param_set 21 gain 3",
        "param_get 21 gain",
        "preset_show http://example.org/no-such-preset",  # slow again (a thread)
        "param_set 21 gain 4",
        "param_get 21 gain",
        "PARAM_GET 21 gain",
        "remove 21",
        "param_get 21 gain",
    ]
    await client.send_raw(b"".join(line.encode() + b"\0" for line in lines))
    replies = [await client.read_reply() for _ in lines]
    assert replies == [
        "resp 21",
        "resp 0",
        "resp 0 3.0000",
        "",
        "resp 0",
        "resp 0 4.0000",
        "not found",
        "resp 0",
        "resp -3",
    ]


def _half_closed(port: int, payload: bytes) -> bytes:
    """Send `payload` after the token, close the sending side, read everything until EOF."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(auth_line(port) + payload)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := s.recv(4096):
            out += chunk
    return out


async def test_replies_still_due_after_the_client_half_closes(engine: EngineProcess) -> None:
    payload = f"add {AMP} 5\0param_set 5 gain 2\0param_get 5 gain\0remove 5\0bypass 5 1".encode()
    out = await asyncio.to_thread(_half_closed, engine.port, payload)
    replies = out.split(b"\0")
    # the token's `resp 0`, then one reply per command (the last one without NUL, at EOF)
    assert replies == [
        b"resp 0",
        b"resp 5",
        b"resp 0",
        b"resp 0 2.0000",
        b"resp 0",
        b"resp -3",
        b"",
    ]
