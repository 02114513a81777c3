"""The bridge's transactions against a tiny mod-host-protocol TCP server: discovered once per
connection, sent around a burst in order where the engine has them, plain commands where it
answers `not found` (as a real mod-host does), and an abandoned transaction is committed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from stompbox.bridge import transactions as tx
from stompbox.bridge.engine_client import EngineClient
from stompbox.bridge.transactions import Transactions
from stompbox.modhost import commands as mh


class FakeEngine:
    """Answers every command `resp 0`; `transaction_*` with `not found` when `refuse`."""

    def __init__(self, refuse: bool) -> None:
        self.refuse = refuse
        self.lines: list[str] = []
        self.servers: list[asyncio.Server] = []

    async def _command(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                raw = await reader.readuntil(b"\0")
                line = raw[:-1].decode()
                self.lines.append(line)
                if line.startswith("transaction_") and self.refuse:
                    writer.write(b"not found\0")
                else:
                    writer.write(b"resp 0\0")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def _feedback(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client goes
        writer.close()

    async def start(self) -> tuple[int, int]:
        cmd = await asyncio.start_server(self._command, "127.0.0.1", 0)
        fb = await asyncio.start_server(self._feedback, "127.0.0.1", 0)
        self.servers = [cmd, fb]
        return cmd.sockets[0].getsockname()[1], fb.sockets[0].getsockname()[1]

    def commands(self) -> list[str]:
        return [line for line in self.lines if line != "output_data_ready"]


@asynccontextmanager
async def connected(refuse: bool) -> AsyncIterator[tuple[FakeEngine, Transactions]]:
    engine = FakeEngine(refuse)
    port, fb_port = await engine.start()
    ready = asyncio.Event()

    async def on_connected() -> None:
        ready.set()

    client = EngineClient(
        "127.0.0.1",
        port,
        fb_port,
        timeout=5.0,
        on_feedback=lambda fb: None,
        on_connected=on_connected,
        on_disconnected=lambda reason: None,
    )
    task = asyncio.create_task(client.run())
    try:
        async with asyncio.timeout(5):
            await ready.wait()
            await client.wait_connected()
        yield engine, Transactions(client)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for s in engine.servers:
            s.close()
            await s.wait_closed()
        await asyncio.sleep(0.05)  # the handlers see the client's close and end


async def burst(t: Transactions) -> list[object]:
    async with t.batch():
        return list(
            await asyncio.gather(
                t.engine.request(mh.ParamSet(0, "gain", -6.0)),
                t.engine.request(mh.Bypass(0, True)),
            )
        )


async def test_an_engine_with_transactions_gets_the_burst_inside_one_in_order() -> None:
    async with connected(refuse=False) as (engine, t):
        assert await t.probe() is True
        replies = await burst(t)
        assert len(replies) == 2
        assert t.open == 0
        assert t.committed == 1
        assert engine.commands() == [
            "transaction_begin",  # the probe: an empty transaction
            "transaction_commit",
            "transaction_begin",
            "param_set 0 gain -6.0",
            "bypass 0 1",
            "transaction_commit",
        ]


async def test_a_mod_host_without_transactions_gets_plain_commands() -> None:
    async with connected(refuse=True) as (engine, t):
        assert await t.begin() is False
        replies = await burst(t)
        await t.commit()  # nothing open: nothing sent
        assert len(replies) == 2
        assert (t.supported, t.open, t.committed) == (False, 0, 0)
        # asked once per connection, the answer cached
        assert engine.commands() == ["transaction_begin", "param_set 0 gain -6.0", "bypass 0 1"]
        t.reset()
        assert t.supported is None


async def test_an_abandoned_transaction_is_committed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tx, "LIMIT", 0.05)
    async with connected(refuse=False) as (engine, t):
        assert await t.begin() is True
        assert t.open == 1
        await asyncio.sleep(0.3)
        assert t.open == 0
        assert engine.commands()[-2:] == ["transaction_begin", "transaction_commit"]
