"""TCP side of the engine: NUL framing, pipelined command execution with in-order replies.

The engine is the stack's alone. With a token (the default under `stompbox engine`), each
connection must first send `stompbox_auth <token>` (the token is in a 0600 file of the 0700
runtime dir, which only this user can read); anything else, or nothing within
`HANDSHAKE_TIMEOUT`, closes it with nothing executed. On either port one client is served at a
time: a second one waits up to `CLAIM_GRACE` for the first to leave (a bridge reconnecting
after a crash), then is closed; it never displaces the first. A message that looks like HTTP
(a web page's `fetch`) or another protocol closes its connection at once, before anything in it
or after it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import secrets
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from stompbox.modhost.errors import CommandError, ErrorCode, ProtocolError
from stompbox.modhost.framing import NulFramer
from stompbox.modhost.server import ParsedCommand, encode_resp, looks_foreign, parse_command

from .feedback import FeedbackPump

log = logging.getLogger(__name__)

IDLE_TAIL = 0.02  # an unterminated command is taken after this much silence
READ_SIZE = 65536
MAX_IN_FLIGHT = 256
AUTH_COMMAND = "stompbox_auth"
HANDSHAKE_TIMEOUT = 5.0
HANDSHAKE_MAX = 256  # bytes of the first message when a token is required
MAX_HANDSHAKES = 64  # connections at once that have not authenticated yet
CLAIM_GRACE = 2.0


class ForeignProtocol(Exception):
    """A message on the command port that no mod-host client would send (HTTP, TLS, ...)."""


def write_token(path: Path) -> str:
    """Write a fresh random token to `path` (mode 0600, atomically) and return it."""
    token = secrets.token_hex(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, token.encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return token


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
                await self._tail(self._framer.take_pending(), tg)
                continue
            except ConnectionError:
                data = b""
            if not data:
                if self._framer.pending():
                    await self._tail(self._framer.take_pending(), tg)
                return
            for message in self._frame(data):
                if looks_foreign(message):
                    raise ForeignProtocol(message[:60])
                await self._line(message, tg)

    async def _tail(self, message: bytes, tg: asyncio.TaskGroup) -> None:
        if looks_foreign(message):
            raise ForeignProtocol(message[:60])
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
    """Listens on the command and feedback ports; one client at a time on each (module doc).

    `token_path`: where to write the token every client must present first (None: no token,
    for tests of the bare protocol)."""

    def __init__(
        self,
        host: str,
        port: int,
        feedback_port: int,
        execute: Execute,
        concurrent: frozenset[str],
        pump: FeedbackPump,
        token_path: Path | None = None,
    ) -> None:
        self.host, self.port, self.feedback_port = host, port, feedback_port
        self._execute = execute
        self._concurrent = concurrent
        self._pump = pump
        self._token_path = token_path
        self._token: str | None = None
        self._servers: list[asyncio.Server] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._command_slot = asyncio.Lock()
        self._feedback_slot = asyncio.Lock()
        self._handshaking = 0
        self.connections = 0
        self.refused = 0

    async def start(self) -> None:
        if self._token_path is not None:
            self._token = write_token(self._token_path)
        cmd = await asyncio.start_server(self._serve_command, self.host, self.port)
        fb = await asyncio.start_server(self._serve_feedback, self.host, self.feedback_port)
        self._servers = [cmd, fb]

    async def _handshake(self, reader: asyncio.StreamReader) -> bool:
        """With a token: read `stompbox_auth <token>` NUL first; False for anything else."""
        if self._token is None:
            return True
        if self._handshaking >= MAX_HANDSHAKES:
            return False
        self._handshaking += 1
        try:
            async with asyncio.timeout(HANDSHAKE_TIMEOUT):
                first = await reader.readuntil(b"\0")
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            return False
        finally:
            self._handshaking -= 1
        if len(first) > HANDSHAKE_MAX:
            return False
        name, _, given = first[:-1].decode("ascii", "replace").strip().partition(" ")
        return name == AUTH_COMMAND and hmac.compare_digest(given.strip(), self._token)

    async def _claim(self, slot: asyncio.Lock) -> bool:
        """Take the port's one slot, waiting up to CLAIM_GRACE for its holder to leave."""
        try:
            async with asyncio.timeout(CLAIM_GRACE):
                await slot.acquire()
        except TimeoutError:
            return False
        return True

    def _refuse(self, writer: asyncio.StreamWriter, why: str) -> None:
        self.refused += 1
        log.warning("engine: refused a connection from %s: %s", _peer(writer), why)
        writer.close()

    async def close(self) -> None:
        if self._token_path is not None and self._token is not None:
            with contextlib.suppress(OSError):
                if self._token_path.read_text().strip() == self._token:
                    self._token_path.unlink()
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
        try:
            if not await self._handshake(reader):
                self._refuse(writer, "no valid token")
                return
            if not await self._claim(self._command_slot):
                self._refuse(writer, "another client holds the command port")
                return
            try:
                self.connections += 1
                _nodelay(writer)
                if self._token is not None:
                    writer.write(encode_resp(0))
                await CommandConnection(reader, writer, self._execute, self._concurrent).serve()
            except* ForeignProtocol as group:
                self._refuse(writer, f"not the mod-host protocol: {group.exceptions[0]}")
            except* Exception:
                log.exception("command connection failed")
            finally:
                self._command_slot.release()
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _serve_feedback(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        try:
            if not await self._handshake(reader):
                self._refuse(writer, "no valid token on the feedback port")
                return
            if not await self._claim(self._feedback_slot):
                self._refuse(writer, "another client holds the feedback port")
                return
            try:
                _nodelay(writer)
                self._pump.attach(writer)
                await self._drain_feedback_input(reader, writer)
            finally:
                self._pump.detach(writer)
                self._feedback_slot.release()
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _drain_feedback_input(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """mod-host ignores what a client sends on the feedback socket; we also close it on
        anything that looks like another protocol."""
        try:
            while data := await reader.read(4096):
                if looks_foreign(data):
                    self._refuse(writer, "not the mod-host protocol on the feedback port")
                    return
        except ConnectionError:
            pass


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else "?"


def _nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
