"""Fixtures: a real `stompbox engine` process on the test JACK server, and a tiny TCP client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stompbox.jackd import JackServer
from stompbox.settings import Settings

from .audio import AudioProbe
from .proc import spawn


def token_path(port: int, runtime_dir: Path | None = None) -> Path:
    """Where an embedded engine on `port` keeps its token (the test's default runtime dir)."""
    base = runtime_dir if runtime_dir is not None else Settings().runtime_dir
    return base / f"engine-{port}.token"


def auth_line(port: int, runtime_dir: Path | None = None) -> bytes:
    """`stompbox_auth <token>` NUL for the engine on `port`, or b"" when it has no token file
    (a real mod-host): every client of the embedded engine must send it first."""
    path = token_path(port, runtime_dir)
    if not path.exists():
        return b""
    return b"stompbox_auth " + path.read_text().strip().encode() + b"\0"


def free_port_pair(host: str = "127.0.0.1") -> int:
    """A port P such that P and P+1 are both free right now."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind((host, 0))
            port = int(s.getsockname()[1])
        if port >= 65535:
            continue
        with socket.socket() as s2:
            try:
                s2.bind((host, port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair")


@dataclass
class EngineProcess:
    host: str
    port: int
    feedback_port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    data_dir: Path  # the engine's STOMPBOX_DATA_DIR: preset_save writes only inside it

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def start_engine(
    jack_server: JackServer,
    log_dir: Path,
    *,
    timeout: float = 30.0,
    host: str = "127.0.0.1",
    extra_env: dict[str, str] | None = None,
) -> EngineProcess:
    """Start `python -m stompbox.cli engine` on free ports; return once the command port accepts."""
    port = free_port_pair(host)
    env = dict(os.environ)
    env.update(
        JACK_DEFAULT_SERVER=jack_server.name,
        JACK_NO_START_SERVER="1",
        STOMPBOX_JACK_SERVER=jack_server.name,
        STOMPBOX_ENGINE_HOST=host,
        STOMPBOX_LOG_LEVEL="INFO",
    )
    env.setdefault("STOMPBOX_DATA_DIR", str(log_dir / "engine-data"))
    env.update(extra_env or {})
    log_path = log_dir / f"engine-{port}.log"
    cmd = [sys.executable, "-m", "stompbox.cli", "engine", "--port", str(port)]
    cmd += ["--feedback-port", str(port + 1)]
    with open(log_path, "wb") as out:
        proc = spawn(cmd, env=env, stdout=out, new_session=False)
    eng = EngineProcess(host, port, port + 1, proc, log_path, Path(env["STOMPBOX_DATA_DIR"]))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"engine exited with {proc.returncode}:\n{eng.log()}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            return eng
        time.sleep(0.05)
    eng.stop()
    raise RuntimeError(f"engine not ready after {timeout} s:\n{eng.log()}")


@pytest.fixture
def engine(jack_server: JackServer, tmp_path: Path) -> Iterator[EngineProcess]:
    """A fresh engine for one test (use `module_engine` to share one per module)."""
    eng = start_engine(jack_server, tmp_path)
    try:
        yield eng
    finally:
        eng.stop()


@pytest.fixture
def isolated_engine(jack_server: JackServer, tmp_path: Path) -> Iterator[EngineProcess]:
    """A fresh engine in isolation mode: every plugin in its own jalv process."""
    eng = start_engine(jack_server, tmp_path, extra_env={"STOMPBOX_ENGINE_ISOLATION": "true"})
    try:
        yield eng
    finally:
        eng.stop()


@pytest.fixture(scope="module")
def module_engine(
    jack_server: JackServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EngineProcess]:
    """One engine shared by a test module; reset it between tests with `remove -1`."""
    eng = start_engine(jack_server, tmp_path_factory.mktemp("engine"))
    try:
        yield eng
    finally:
        eng.stop()


@pytest.fixture
async def client(module_engine: EngineProcess) -> AsyncIterator[EngineClient]:
    """A protocol client of the module's engine; the board is emptied after the test. A module
    that must undo more overrides it with `async def client(client)` and its own teardown."""
    async with EngineClient(module_engine.host, module_engine.port) as c:
        yield c
        assert await c.cmd("remove -1") == "resp 0"


@pytest.fixture
async def feedback(module_engine: EngineProcess) -> AsyncIterator[FeedbackClient]:
    """The module engine's feedback port."""
    async with FeedbackClient(module_engine.host, module_engine.feedback_port) as fb:
        yield fb


@pytest.fixture
def probe(jack_server: JackServer, request: pytest.FixtureRequest) -> Iterator[AudioProbe]:
    """An AudioProbe on the tests' jackd, named after the module; a module sets its sine's
    level with `PROBE_AMPLITUDE = 0.1`."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    amplitude = float(getattr(request.module, "PROBE_AMPLITUDE", 0.25))
    with AudioProbe(jack_server.name, name=f"{module}-probe", amplitude=amplitude) as p:
        yield p


class EngineClient:
    """Minimal mod-host protocol client: send one command, read one NUL-terminated reply."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float = 20.0,
        runtime_dir: Path | None = None,
        auth: bool = True,
    ) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.runtime_dir = runtime_dir
        self.auth = auth
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> EngineClient:
        async with asyncio.timeout(self.timeout):
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        line = auth_line(self.port, self.runtime_dir) if self.auth else b""
        if line:
            await self.send_raw(line)
            assert await self.read_reply() == "resp 0", "the engine refused the token"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()

    async def send_raw(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data)
        await self.writer.drain()

    async def read_reply(self, timeout: float | None = None) -> str:
        assert self.reader is not None
        async with asyncio.timeout(timeout or self.timeout):
            data = await self.reader.readuntil(b"\0")
        return data[:-1].decode()

    async def cmd(self, line: str, timeout: float | None = None) -> str:
        """Send `line` + NUL and return the reply text (without its NUL)."""
        await self.send_raw(line.encode() + b"\0")
        return await self.read_reply(timeout)


class FeedbackClient:
    """Reads NUL-terminated feedback messages from the feedback port."""

    def __init__(
        self, host: str, port: int, *, runtime_dir: Path | None = None, auth: bool = True
    ) -> None:
        self.host, self.port = host, port
        self.runtime_dir = runtime_dir
        self.auth = auth
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> FeedbackClient:
        async with asyncio.timeout(10):
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        line = auth_line(self.port - 1, self.runtime_dir) if self.auth else b""
        if line:
            self.writer.write(line)
            await self.writer.drain()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()

    async def next(self, timeout: float = 10.0) -> str:
        assert self.reader is not None
        async with asyncio.timeout(timeout):
            data = await self.reader.readuntil(b"\0")
        return data[:-1].decode()

    async def until(self, predicate: object, timeout: float = 15.0) -> list[str]:
        """Collect messages until one satisfies `predicate(msg)`; return all collected."""
        seen: list[str] = []
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.next(timeout)
                seen.append(msg)
                if predicate(msg):  # type: ignore[operator]
                    return seen
