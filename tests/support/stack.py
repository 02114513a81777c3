"""Fixtures: the real stompbox stack (engine, bridge, session, web) as processes on a real jackd.

`Stack` starts each process with `python -m stompbox.cli <name>`, its own runtime/data dirs and free
ports, waits for the "<name> ready" line on its stderr log, and can kill or restart any one of them.
Fixtures: `stack` (one per test session, shared; tests must not assume an empty board), `web_url`,
and `stack_factory` (fresh stacks for tests that kill processes or need a clean data dir).

Every Stack runs on a jackd of its own (`stack.jack.name`; connect audio probes there): two engines
on one JACK server would both want the client names effect_0, effect_1, …
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stompbox.jackd import JackServer

from .proc import spawn

ORDER = ("engine", "bridge", "session", "web")
_counter = itertools.count()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_pair() -> int:
    """A port P such that P and P+1 are both free (engine command + feedback ports)."""
    for _ in range(100):
        p = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p + 1))
            except OSError:
                continue
        return p
    raise RuntimeError("no free port pair")


class Child:
    """One stack process with its log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    def start(self) -> None:
        self._log_offset = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as out:
            self.proc = spawn(self.argv, env=self.env, stdout=out)

    def log_text(self, since_start: bool = True) -> str:
        data = self.log.read_bytes() if self.log.exists() else b""
        return data[self._log_offset if since_start else 0 :].decode(errors="replace")

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        marker = f"{self.name} ready"
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.log_text()[-4000:]}"
                )
            if marker in self.log_text():
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready after {timeout} s:\n{self.log_text()[-4000:]}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """kill -9 the process (and its process group: an engine's jalv children die too)."""
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(10)

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None


class Stack:
    """engine + bridge + session + web on one jackd, in their own directories and ports."""

    def __init__(
        self,
        base: Path,
        cache_dir: Path | None = None,
        *,
        tcp: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        """`tcp=True`: the bridge and session RPC/PUB endpoints are tcp (CURVE) on loopback;
        `env`: more STOMPBOX_* settings for every process."""
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        self.jack = JackServer(
            f"stompbox-stack-{os.getpid()}-{next(_counter)}", log_path=base / "jackd.log"
        )
        self.engine_port = free_port_pair()
        self.web_port = free_port()
        self.runtime_dir = base / "run"
        self.data_dir = base / "data"
        self.cache_dir = cache_dir or base / "cache"
        for d in (self.runtime_dir, self.data_dir, self.cache_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.runtime_dir.chmod(0o700)
        self.env = {
            **os.environ,
            "JACK_DEFAULT_SERVER": self.jack.name,
            "JACK_NO_START_SERVER": "1",
            "STOMPBOX_JACK_SERVER": self.jack.name,
            "STOMPBOX_RUNTIME_DIR": str(self.runtime_dir),
            "STOMPBOX_DATA_DIR": str(self.data_dir),
            "STOMPBOX_CACHE_DIR": str(self.cache_dir),
            "STOMPBOX_ENGINE_HOST": "127.0.0.1",
            "STOMPBOX_ENGINE_PORT": str(self.engine_port),
            "STOMPBOX_ENGINE_FEEDBACK_PORT": str(self.engine_port + 1),
            "STOMPBOX_WEB_HOST": "127.0.0.1",
            "STOMPBOX_WEB_PORT": str(self.web_port),
            "STOMPBOX_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.tcp = tcp
        if tcp:
            for service in ("BRIDGE", "SESSION"):
                self.env[f"STOMPBOX_{service}_RPC"] = f"tcp://127.0.0.1:{free_port()}"
                self.env[f"STOMPBOX_{service}_PUB"] = f"tcp://127.0.0.1:{free_port()}"
        self.children = {
            name: Child(
                name,
                [sys.executable, "-m", "stompbox.cli", name],
                self.env,
                base / f"{name}.log",
            )
            for name in ORDER
        }

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def session_rpc(self) -> str:
        return self.env.get("STOMPBOX_SESSION_RPC", f"ipc://{self.runtime_dir}/session.rpc")

    @property
    def session_pub(self) -> str:
        return self.env.get("STOMPBOX_SESSION_PUB", f"ipc://{self.runtime_dir}/session.pub")

    @property
    def bridge_rpc(self) -> str:
        return self.env.get("STOMPBOX_BRIDGE_RPC", f"ipc://{self.runtime_dir}/bridge.rpc")

    @property
    def bridge_pub(self) -> str:
        return self.env.get("STOMPBOX_BRIDGE_PUB", f"ipc://{self.runtime_dir}/bridge.pub")

    def start(self, upto: str = "web") -> Stack:
        self.jack.start()
        for name in ORDER[: ORDER.index(upto) + 1]:
            self.start_one(name)
        return self

    def start_one(self, name: str) -> None:
        child = self.children[name]
        child.start()
        child.wait_ready()

    def kill(self, name: str) -> None:
        self.children[name].kill()

    def restart(self, name: str) -> None:
        self.children[name].stop()
        self.start_one(name)

    def stop(self) -> None:
        for name in reversed(ORDER):
            self.children[name].stop()
        self.jack.stop()

    def logs(self) -> str:
        return "\n".join(
            f"== {n} ==\n{c.log_text(False)[-3000:]}" for n, c in self.children.items()
        )


@pytest.fixture(scope="session")
def catalog_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One LV2 catalog cache per test run, scanned cold once here so every process starts warm.

    It is also exported as STOMPBOX_CACHE_DIR, so engines and bridges the tests start find it.
    """
    from stompbox.lv2.catalog import Catalog

    cache = tmp_path_factory.mktemp("catalog-cache")
    Catalog.load(cache)
    os.environ["STOMPBOX_CACHE_DIR"] = str(cache)
    return cache


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, catalog_cache_dir: Path) -> Iterator[Stack]:
    s = Stack(tmp_path_factory.mktemp("stack"), catalog_cache_dir)
    try:
        s.start()
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="session")
def web_url(stack: Stack) -> str:
    return stack.web_url


@pytest.fixture
def stack_factory(tmp_path: Path, catalog_cache_dir: Path) -> Iterator[Callable[..., Stack]]:
    """`stack_factory(upto="web")` starts a fresh stack (own jackd, data dir) up to that process."""
    made: list[Stack] = []

    def make(upto: str = "web", *, tcp: bool = False, env: dict[str, str] | None = None) -> Stack:
        s = Stack(tmp_path / f"stack{len(made)}", catalog_cache_dir, tcp=tcp, env=env)
        made.append(s)
        return s.start(upto)

    try:
        yield make
    finally:
        for s in made:
            s.stop()
