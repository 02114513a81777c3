"""Deadlines cross every hop: a caller's remaining time travels in the RPC envelope, and each call
a handler makes waits at most what is left of it (real ZeroMQ sockets, two servers in a chain)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from stompbox.contract.errors import StompboxTimeoutError
from stompbox.contract.method import Method
from stompbox.zmqservice import RpcClient, RpcServer, deadline

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def serving(server: RpcServer) -> AsyncIterator[RpcServer]:
    async with server:
        task = asyncio.create_task(server.run())
        try:
            yield server
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_the_callers_deadline_bounds_every_hop(tmp_path: Path) -> None:
    """client → front (a session) → back (a bridge): back sees at most the client's time, and
    front's call to a back that never answers ends within it, not after front's own 60 s."""
    back = RpcServer(f"ipc://{tmp_path}/back.rpc", name="back")
    front = RpcServer(f"ipc://{tmp_path}/front.rpc", name="front")

    async def left(_: dict[str, Any]) -> float | None:
        return deadline.remaining()

    async def hang(_: dict[str, Any]) -> None:
        await asyncio.sleep(3600)

    back.register(Method("left", dict, object), left)
    back.register(Method("hang", dict, object), hang)
    async with serving(back), RpcClient(back.endpoint, timeout=60, retries=0) as to_back:

        async def relay(params: dict[str, Any]) -> Any:
            try:
                return await to_back.call(params["method"])
            except StompboxTimeoutError as exc:
                return {"timed_out_after": exc.data.get("timeout")}

        front.register(Method("relay", dict, object), relay)
        async with serving(front), RpcClient(front.endpoint, timeout=60, retries=0) as client:
            seen = await client.call("relay", {"method": "left"}, timeout=5.0)
            assert seen is not None
            assert 0 < seen <= 5.0
            hung = await client.call("relay", {"method": "hang"}, timeout=1.0)
            assert 0 < hung["timed_out_after"] <= 1.0
            # without a deadline of its own a call keeps the client's limit, and says so
            assert 0 < await to_back.call("left", timeout=7.0) <= 7.0


def test_scopes_only_shorten() -> None:
    assert deadline.remaining() is None
    assert deadline.within(3.0) == 3.0
    with deadline.scope(2.0):
        outer = deadline.remaining()
        assert outer is not None
        assert 0 < outer <= 2.0
        with deadline.scope(100.0):
            inner = deadline.remaining()
            assert inner is not None
            assert inner <= 2.0
        assert deadline.within(10.0) <= 2.0
        with deadline.scope(None):
            assert deadline.remaining() is not None
    with deadline.scope(-1.0):
        assert deadline.within(5.0) == 0.0
