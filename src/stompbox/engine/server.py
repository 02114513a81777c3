"""TCP side of the engine: NUL framing, pipelined command execution with in-order replies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Coroutine
from typing import Any

from stompbox.modhost.errors import CommandError, ErrorCode, ProtocolError
from stompbox.modhost.framing import NulFramer
from stompbox.modhost.server import ParsedCommand, encode_resp, parse_command

from .feedback import FeedbackPump

log = logging.getLogger(__name__)

IDLE_TAIL = 0.02  # an unterminated command is taken after this much silence
READ_SIZE = 65536
MAX_IN_FLIGHT = 256

Execute = Callable[[ParsedCommand], Coroutine[Any, Any, bytes]]


class CommandConnection:
    """One command connection. Commands run in order; consecutive `concurrent` commands (adds)
    overlap, and a later ordinary command waits until they are done. Replies keep the order."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        execute: Execute,
        concurrent: frozenset[str],
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._execute = execute
        self._concurrent = concurrent
        self._framer = NulFramer()
        self._skip_to_nul = False
        self._replies: asyncio.Queue[asyncio.Future[bytes] | None] = asyncio.Queue(MAX_IN_FLIGHT)
        self._outstanding = 0
        self._in_flight: list[asyncio.Task[bytes]] = []

    async def serve(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._write_loop())
            try:
                await self._read_loop(tg)
            finally:
                await self._replies.put(None)

    async def _read_loop(self, tg: asyncio.TaskGroup) -> None:
        while True:
            try:
                if self._framer.pending():
                    async with asyncio.timeout(IDLE_TAIL):
                        data = await self._reader.read(READ_SIZE)
                else:
                    data = await self._reader.read(READ_SIZE)
            except TimeoutError:
                await self._line(self._framer.take_pending(), tg)
                continue
            except ConnectionError:
                data = b""
            if not data:
                if self._framer.pending():
                    await self._line(self._framer.take_pending(), tg)
                return
            for message in self._frame(data):
                await self._line(message, tg)

    def _frame(self, data: bytes) -> list[bytes]:
        if self._skip_to_nul:
            nul = data.find(b"\0")
            if nul < 0:
                return []
            self._skip_to_nul = False
            data = data[nul + 1 :]
        try:
            return self._framer.feed(data)
        except ProtocolError as exc:
            log.warning("dropping an oversized message: %s", exc)
            self._skip_to_nul = b"\0" not in data
            self._reply_now(encode_resp(ErrorCode.INVALID_OPERATION))
            return []

    async def _line(self, message: bytes, tg: asyncio.TaskGroup) -> None:
        try:
            cmd = parse_command(message.decode("utf-8", errors="replace"))
        except CommandError as err:
            if err.reply:
                await self._reply(err.reply)
            return
        if cmd.name in self._concurrent:
            task = tg.create_task(self._execute(cmd))
            self._in_flight.append(task)
            self._outstanding += 1
            await self._replies.put(task)
            return
        if self._in_flight:
            await asyncio.wait(self._in_flight)
            self._in_flight.clear()
        try:
            reply = await self._execute(cmd)
        except Exception:
            log.exception("command %s failed", cmd.name)
            reply = encode_resp(ErrorCode.INVALID_OPERATION)
        if reply:
            await self._reply(reply)

    async def _reply(self, data: bytes) -> None:
        if self._outstanding == 0:
            self._writer.write(data)
            return
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        fut.set_result(data)
        self._outstanding += 1
        await self._replies.put(fut)

    def _reply_now(self, data: bytes) -> None:
        if self._outstanding == 0:
            self._writer.write(data)
        else:  # rare: keep the order by queueing without waiting
            fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
            fut.set_result(data)
            self._outstanding += 1
            self._replies.put_nowait(fut)

    async def _write_loop(self) -> None:
        while True:
            item = await self._replies.get()
            if item is None:
                break
            try:
                data = await item
            except Exception:
                log.exception("concurrent command failed")
                data = encode_resp(ErrorCode.INVALID_OPERATION)
            finally:
                self._outstanding -= 1
            if data:
                self._writer.write(data)
            if self._replies.empty():
                with contextlib.suppress(ConnectionError):
                    await self._writer.drain()


class EngineServer:
    """Listens on the command and feedback ports; serves any number of command connections."""

    def __init__(
        self,
        host: str,
        port: int,
        feedback_port: int,
        execute: Execute,
        concurrent: frozenset[str],
        pump: FeedbackPump,
    ) -> None:
        self.host, self.port, self.feedback_port = host, port, feedback_port
        self._execute = execute
        self._concurrent = concurrent
        self._pump = pump
        self._servers: list[asyncio.Server] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0

    async def start(self) -> None:
        cmd = await asyncio.start_server(self._serve_command, self.host, self.port)
        fb = await asyncio.start_server(self._serve_feedback, self.host, self.feedback_port)
        self._servers = [cmd, fb]

    async def close(self) -> None:
        for s in self._servers:
            s.close()
        for w in list(self._writers):
            w.close()
        for s in self._servers:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await s.wait_closed()

    async def _serve_command(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        self.connections += 1
        _nodelay(writer)
        try:
            await CommandConnection(reader, writer, self._execute, self._concurrent).serve()
        except Exception:
            log.exception("command connection failed")
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _serve_feedback(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        _nodelay(writer)
        self._pump.attach(writer)
        try:
            while await reader.read(4096):
                pass  # mod-host ignores anything sent on the feedback socket
        except ConnectionError:
            pass
        finally:
            self._pump.detach(writer)
            self._writers.discard(writer)
            writer.close()


def _nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
