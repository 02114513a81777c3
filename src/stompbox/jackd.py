"""Start and stop a JACK server (dummy driver by default) under its own server name."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import jack

from . import lifetime


class JackError(RuntimeError):
    """jackd could not be started, or did not become ready in time."""


SHM = Path("/dev/shm")


def stale_servers() -> list[str]:
    """Names of JACK servers that left their registration behind when they died.

    jackd2 has 8 registry slots; a jackd killed with SIGKILL keeps its slot until a server of the
    same name starts again, so crashed servers with unique names (tests) can exhaust them ("Too
    many servers already active"). A server's `jack_sem.<uid>_<name>_system` semaphore marks it.
    """
    names = []
    for sem in SHM.glob("jack_sem.*_system"):
        rest = sem.name.split(".", 1)[1]  # "<uid>_<name>_system"
        name = rest.split("_", 1)[1].removesuffix("_system") if "_" in rest else ""
        if name and not server_running(name):
            names.append(name)
    return sorted(set(names))


def jackd_running() -> bool:
    """True when any live (not zombie) jackd process exists on this machine."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text()
        except OSError:
            continue
        name, _, rest = fields.partition(") ")
        if name.endswith("(jackd") and not rest.startswith("Z"):
            return True
    return False


def registry_in_use() -> bool:
    """True when a live process has JACK's shm registry mapped (any JACK client ever opened in
    it, this process included: libjack keeps the mapping after the client closes)."""
    needle = str(SHM / "jack-shm-registry")
    for maps in Path("/proc").glob("[0-9]*/maps"):
        try:
            text = maps.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.endswith(needle):  # a deleted registry reads "... (deleted)": not in use
                return True
    return False


def reset_idle_shm() -> int:
    """With no jackd running at all, remove JACK's shared-memory registry, segments and
    semaphores; return how many files went.

    Servers and clients killed with SIGKILL never free their registry entries, and once enough
    have leaked every new jackd exits with status 255 and no message (seen here after a day of
    crash tests). With no jackd alive nothing can be using them, so a fresh start is safe --
    unless a process still maps the registry: libjack attaches it once per process, so a
    process that ever had a client (a benchmark that ran jackd before) would keep using the old
    registry and never see the new server. Then nothing is removed.
    """
    if jackd_running() or registry_in_use():
        return 0
    removed = 0
    for pattern in ("jack-shm-registry", "jack-[0-9]*", "jack_sem.*", "jack_db-*"):
        for leftover in SHM.glob(pattern):
            with contextlib.suppress(OSError):
                leftover.unlink()
                removed += 1
    return removed


def reclaim_stale_servers() -> list[str]:
    """Free the registry slots of dead servers by starting and cleanly stopping one of each name."""
    reclaimed = []
    for name in stale_servers():
        server = JackServer(name)
        try:
            server.start(timeout=10.0, reclaim=False)
        except JackError:
            continue
        server.stop()
        reclaimed.append(name)
    return reclaimed


def server_running(name: str) -> bool:
    """True when a JACK server of this name answers a client (quietly: no libjack noise)."""
    jack.set_error_function(lambda _msg: None)
    jack.set_info_function(lambda _msg: None)
    try:
        client = jack.Client("stompbox-probe", servername=name, no_start_server=True)
    except jack.JackError:
        return False
    finally:
        jack.set_error_function(None)
        jack.set_info_function(None)
    client.close()
    return True


class JackServer:
    """One jackd process. `start()` returns once a client can connect; `stop()` ends it.

    If a server of that name is already running, `start()` uses it and `stop()` leaves it alone.
    Clients find it by name: set `JACK_DEFAULT_SERVER` (see `env()`) for child processes.
    """

    def __init__(
        self,
        name: str,
        *,
        driver: str = "dummy",
        rate: int = 48000,
        period: int = 128,
        device: str = "hw:0",
        log_path: Path | None = None,
        owner_tag: str | None = None,
    ) -> None:
        self.name = name
        self.driver = driver
        self.rate = rate
        self.period = period
        self.device = device
        self.log_path = log_path
        self.owner_tag = owner_tag
        self.proc: subprocess.Popen[bytes] | None = None
        self.owned = False

    def command(self) -> list[str]:
        jackd = shutil.which("jackd") or "/usr/bin/jackd"
        cmd = [jackd, "--no-realtime", "-n", self.name, "-d", self.driver]
        cmd += ["-r", str(self.rate), "-p", str(self.period)]
        if self.driver == "alsa":
            cmd += ["-d", self.device]
        return cmd

    def start(self, timeout: float = 20.0, *, reclaim: bool = True) -> None:
        """Start jackd (or adopt a running server of this name). If jackd exits at once, the
        registry may be full of dead servers' slots: reclaim them and try once more."""
        try:
            self._start(timeout)
        except JackError:
            if not reclaim or not reclaim_stale_servers():
                raise
            self._start(timeout)

    def _start(self, timeout: float) -> None:
        if server_running(self.name):
            return
        reset_idle_shm()
        self._spawn()
        self._wait_ready(timeout)

    def _spawn(self) -> None:
        """Start jackd in its own process group; it gets SIGTERM if the thread that started it
        dies (PR_SET_PDEATHSIG), so a jackd never outlives the process that owns it."""
        env = dict(os.environ)
        env.pop(lifetime.OWNER_VAR, None)
        if self.owner_tag:
            env[lifetime.OWNER_VAR] = self.owner_tag
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                self.command(),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
                preexec_fn=lifetime.die_with_parent(signal.SIGTERM),
            )
        finally:
            if self.log_path:
                out.close()  # type: ignore[union-attr]
        self.owned = True

    def _wait_ready(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise JackError(f"jackd exited with {self.proc.returncode}: {self.command()}")
            if server_running(self.name):
                return
            time.sleep(0.05)
        self.stop()
        raise JackError(f"jackd '{self.name}' not ready after {timeout} s")

    async def async_start(self, ready_within: float = 20.0) -> None:
        """`start()` without blocking the loop. jackd is forked from the calling (event loop)
        thread, not a worker thread: its death signal is tied to the thread that forked it."""
        for attempt in (1, 2):
            if await asyncio.to_thread(server_running, self.name):
                return
            await asyncio.to_thread(reset_idle_shm)
            self._spawn()
            try:
                await asyncio.to_thread(self._wait_ready, ready_within)
                return
            except JackError:
                if attempt == 2 or not await asyncio.to_thread(reclaim_stale_servers):
                    raise

    def env(self) -> dict[str, str]:
        """Environment for a child process that should use this server and never start another."""
        return {"JACK_DEFAULT_SERVER": self.name, "JACK_NO_START_SERVER": "1"}

    def stop(self) -> None:
        if not self.owned or self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        self.owned = False

    def __enter__(self) -> JackServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
