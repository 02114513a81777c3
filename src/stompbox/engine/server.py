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
import collections
import contextlib
import hmac
import logging
import os
import secrets
import socket
from pathlib import Path
from typing import Protocol, cast

from stompbox.modhost.errors import CommandError, ErrorCode, ProtocolError
from stompbox.modhost.framing import NulFramer
from stompbox.modhost.server import ParsedCommand, encode_resp, looks_foreign, parse_command

from .feedback import FeedbackPump

log = logging.getLogger(__name__)

IDLE_TAIL = 0.02  # an unterminated command is taken after this much silence
AUTH_COMMAND = "stompbox_auth"
HANDSHAKE_TIMEOUT = 5.0
HANDSHAKE_MAX = 256  # bytes of the first message when a token is required
MAX_HANDSHAKES = 64  # connections at once that have not authenticated yet
CLAIM_GRACE = 2.0


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


class Commands(Protocol):
    """What a command connection runs: the dispatcher (commands.py)."""

    def waits(self, name: str) -> bool: ...

    def execute_now(self, cmd: ParsedCommand) -> bytes: ...

    async def execute(self, cmd: ParsedCommand) -> bytes: ...


class _Oversized:
    """A backlog entry standing for a dropped oversized message (answered -902)."""


_OVERSIZED = _Oversized()
BACKLOG_HIGH = 1024  # messages waiting behind a slow command: stop reading above this ...
BACKLOG_LOW = 256  # ... and read again below this


class CommandProtocol(asyncio.Protocol):
    """One command connection, as an asyncio protocol (no stream, no task per command).

    States: the token handshake (when the server has a token), the claim of the port's one
    slot (a task: it may wait CLAIM_GRACE), then serving. While serving, each NUL-framed
    message that does not wait (`param_set`, `connect`, ...) is parsed, run and answered
    inside `data_received`. A command that waits (an add, a preset) starts the slow lane, a
    task that runs it and everything after it in order (consecutive `concurrent` commands
    overlap, as before); the data callback queues behind it until the lane is empty again.
    Replies always go out in command order."""

    def __init__(self, server: EngineServer) -> None:
        self._server = server
        self._commands = server.commands
        self._concurrent = server.concurrent
        self._transport: asyncio.Transport | None = None
        self._state = "auth"
        self._auth_buf = bytearray()
        self._held: bytes = b""  # what came after the handshake, before the claim
        self._timer: asyncio.TimerHandle | None = None
        self._claim_task: asyncio.Task[None] | None = None
        self._lane: asyncio.Task[None] | None = None
        self._backlog: collections.deque[bytes | _Oversized] = collections.deque()
        self._framer = NulFramer()
        self._skip_to_nul = False
        self._reading_paused = False
        self._writing_paused = False
        self._eof = False
        self._slot_held = False
        self.peer = "?"

    # connection life -----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass of it
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.peer = f"{peer[0]}:{peer[1]}"
        self._server.protocols.add(self)
        if self._server.token is None:
            self._start_claim()
            return
        if self._server.handshaking >= MAX_HANDSHAKES:
            self._refuse("no valid token")
            return
        self._server.handshaking += 1
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(HANDSHAKE_TIMEOUT, self._refuse, "no valid token")

    def connection_lost(self, exc: Exception | None) -> None:
        self._leave_auth()
        self._state = "closed"
        if self._timer is not None:
            self._timer.cancel()
        for task in (self._claim_task, self._lane):
            if task is not None and not task.done():
                task.cancel()
        self._backlog.clear()
        if self._slot_held:
            self._slot_held = False
            self._server.command_slot.release()
        self._server.protocols.discard(self)

    def eof_received(self) -> bool:
        self._eof = True
        if self._state == "serve":
            if self._framer.buffered():
                self._take_tail()
            self._close_if_done()
        return self._state in ("serve", "claim")  # keep writing the replies still due

    def pause_writing(self) -> None:
        self._writing_paused = True
        self._pause_reading()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._resume_reading()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _refuse(self, why: str) -> None:
        if self._state == "closed" or self._transport is None:
            return
        self._leave_auth()
        self._state = "closed"
        self._server.refused += 1
        log.warning("engine: refused a connection from %s: %s", self.peer, why)
        self._backlog.clear()
        self._transport.close()

    def _leave_auth(self) -> None:
        if self._state == "auth" and self._server.token is not None and self._timer is not None:
            self._server.handshaking -= 1
            self._timer.cancel()
            self._timer = None

    # handshake and claim -------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._state == "serve":
            self._serve(data)
        elif self._state == "auth":
            self._auth(data)
        elif self._state == "claim":
            self._held += data

    def _auth(self, data: bytes) -> None:
        self._auth_buf += data
        nul = self._auth_buf.find(b"\0")
        if nul < 0:
            if len(self._auth_buf) > HANDSHAKE_MAX:
                self._refuse("no valid token")
            return
        first, rest = bytes(self._auth_buf[:nul]), bytes(self._auth_buf[nul + 1 :])
        self._auth_buf.clear()
        token = self._server.token
        name, _, given = first.decode("ascii", "replace").strip().partition(" ")
        if (
            len(first) + 1 > HANDSHAKE_MAX
            or token is None
            or name != AUTH_COMMAND
            or not hmac.compare_digest(given.strip(), token)
        ):
            self._refuse("no valid token")
            return
        self._leave_auth()
        self._held = rest
        self._start_claim()

    def _start_claim(self) -> None:
        self._state = "claim"
        self._claim_task = asyncio.get_running_loop().create_task(self._claim())

    async def _claim(self) -> None:
        try:
            async with asyncio.timeout(CLAIM_GRACE):
                await self._server.command_slot.acquire()
        except TimeoutError:
            self._refuse("another client holds the command port")
            return
        if self._state == "closed":
            self._server.command_slot.release()
            return
        self._slot_held = True
        self._state = "serve"
        self._server.connections += 1
        transport = self._transport
        assert transport is not None
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._server.token is not None:
            transport.write(encode_resp(0))
        held, self._held = self._held, b""
        if held:
            self._serve(held)
        if self._eof:
            if self._framer.buffered():
                self._take_tail()
            self._close_if_done()

    # serving -------------------------------------------------------------------------------
    def _serve(self, data: bytes) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        messages = self._frame(data)
        for message in messages:
            if self._state != "serve":
                return
            if looks_foreign(message):
                self._refuse(f"not the mod-host protocol: {message[:60]!r}")
                return
            if self._lane is not None:
                self._backlog.append(message)
            else:
                self._now(message)
        if self._state == "serve" and self._framer.buffered():
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(IDLE_TAIL, self._take_tail)
        if len(self._backlog) > BACKLOG_HIGH:
            self._pause_reading()

    def _take_tail(self) -> None:
        self._timer = None
        tail = self._framer.take_pending()
        if self._state != "serve":
            return
        if looks_foreign(tail):
            self._refuse(f"not the mod-host protocol: {tail[:60]!r}")
        elif self._lane is not None:
            self._backlog.append(tail)
        else:
            self._now(tail)

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
            if self._lane is not None:
                self._backlog.append(_OVERSIZED)
            else:
                self._write(encode_resp(ErrorCode.INVALID_OPERATION))
            return []

    def _now(self, message: bytes) -> None:
        """Run one message with nothing queued before it: answered at once, unless it waits."""
        try:
            cmd = parse_command(message.decode("utf-8", errors="replace"))
        except CommandError as err:
            self._write(err.reply)
            return
        if self._commands.waits(cmd.name):
            self._backlog.append(message)
            self._lane = asyncio.get_running_loop().create_task(self._run_lane())
            return
        self._write(self._run_now(cmd))

    def _run_now(self, cmd: ParsedCommand) -> bytes:
        try:
            return self._commands.execute_now(cmd)
        except Exception:
            log.exception("command %s failed", cmd.name)
            return encode_resp(ErrorCode.INVALID_OPERATION)

    def _write(self, reply: bytes) -> None:
        if reply and self._transport is not None and self._state != "closed":
            self._transport.write(reply)

    async def _run_lane(self) -> None:
        """Run the backlog in order until it is empty; the data callback then answers again."""
        in_flight: list[asyncio.Future[bytes]] = []  # replies not written yet, in order
        loop = asyncio.get_running_loop()
        try:
            while self._backlog:
                message = self._backlog.popleft()
                if len(self._backlog) < BACKLOG_LOW:
                    self._resume_reading()
                if isinstance(message, _Oversized):
                    reply = encode_resp(ErrorCode.INVALID_OPERATION)
                    cmd = None
                else:
                    try:
                        cmd = parse_command(message.decode("utf-8", errors="replace"))
                        reply = b""
                    except CommandError as err:
                        cmd, reply = None, err.reply
                if cmd is not None and cmd.name in self._concurrent:
                    in_flight.append(loop.create_task(self._commands.execute(cmd)))
                    continue
                if in_flight:
                    await self._flush(in_flight)
                if cmd is not None:
                    if self._commands.waits(cmd.name):
                        try:
                            reply = await self._commands.execute(cmd)
                        except Exception:
                            log.exception("command %s failed", cmd.name)
                            reply = encode_resp(ErrorCode.INVALID_OPERATION)
                    else:
                        reply = self._run_now(cmd)
                self._write(reply)
                if not self._backlog:
                    await asyncio.sleep(0)  # let data that already came join the lane
            await self._flush(in_flight)
        finally:
            for fut in in_flight:
                fut.cancel()
            self._lane = None
        self._resume_reading()
        self._close_if_done()

    async def _flush(self, in_flight: list[asyncio.Future[bytes]]) -> None:
        while in_flight:
            fut = in_flight[0]
            try:
                reply = await fut
            except Exception:
                log.exception("concurrent command failed")
                reply = encode_resp(ErrorCode.INVALID_OPERATION)
            in_flight.pop(0)
            self._write(reply)

    def _close_if_done(self) -> None:
        if self._eof and self._lane is None and self._transport is not None:
            self._transport.close()

    def _pause_reading(self) -> None:
        if not self._reading_paused and self._transport is not None:
            self._reading_paused = True
            with contextlib.suppress(RuntimeError):
                self._transport.pause_reading()

    def _resume_reading(self) -> None:
        if (
            self._reading_paused
            and not self._writing_paused
            and len(self._backlog) < BACKLOG_LOW
            and self._transport is not None
            and self._state != "closed"
        ):
            self._reading_paused = False
            with contextlib.suppress(RuntimeError):
                self._transport.resume_reading()


class EngineServer:
    """Listens on the command and feedback ports; one client at a time on each (module doc).

    `token_path`: where to write the token every client must present first (None: no token,
    for tests of the bare protocol)."""

    def __init__(
        self,
        host: str,
        port: int,
        feedback_port: int,
        commands: Commands,
        concurrent: frozenset[str],
        pump: FeedbackPump,
        token_path: Path | None = None,
    ) -> None:
        self.host, self.port, self.feedback_port = host, port, feedback_port
        self.commands = commands
        self.concurrent = concurrent
        self._pump = pump
        self._token_path = token_path
        self.token: str | None = None
        self._servers: list[asyncio.Server] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self.protocols: set[CommandProtocol] = set()
        self.command_slot = asyncio.Lock()
        self._feedback_slot = asyncio.Lock()
        self.handshaking = 0
        self.connections = 0
        self.refused = 0

    async def start(self) -> None:
        if self._token_path is not None:
            self.token = write_token(self._token_path)
        loop = asyncio.get_running_loop()
        cmd = await loop.create_server(lambda: CommandProtocol(self), self.host, self.port)
        fb = await asyncio.start_server(self._serve_feedback, self.host, self.feedback_port)
        self._servers = [cmd, fb]

    async def _handshake(self, reader: asyncio.StreamReader) -> bool:
        """With a token: read `stompbox_auth <token>` NUL first; False for anything else."""
        if self.token is None:
            return True
        if self.handshaking >= MAX_HANDSHAKES:
            return False
        self.handshaking += 1
        try:
            async with asyncio.timeout(HANDSHAKE_TIMEOUT):
                first = await reader.readuntil(b"\0")
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            return False
        finally:
            self.handshaking -= 1
        if len(first) > HANDSHAKE_MAX:
            return False
        name, _, given = first[:-1].decode("ascii", "replace").strip().partition(" ")
        return name == AUTH_COMMAND and hmac.compare_digest(given.strip(), self.token)

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
        if self._token_path is not None and self.token is not None:
            with contextlib.suppress(OSError):
                if self._token_path.read_text().strip() == self.token:
                    self._token_path.unlink()
        for s in self._servers:
            s.close()
        for w in list(self._writers):
            w.close()
        for p in list(self.protocols):
            p.close()
        for s in self._servers:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await s.wait_closed()

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
