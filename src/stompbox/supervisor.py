"""`stompbox up`: start jackd if needed and every process; restart what dies; stop all on Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from pathlib import Path

from . import lifetime
from .jackd import JackError, JackServer, server_running
from .settings import Settings
from .soundcard import find_duplex

log = logging.getLogger("stompbox.up")

READY_TIMEOUT = 60.0
MAX_BACKOFF = 10.0
STOP_TIMEOUT = 10.0
READ_CHUNK = 65536
MAX_LINE = 16384
"""A child's log line longer than this is relayed truncated (with a note of how much was cut)."""


def has_sound_card() -> bool:
    cards = Path("/proc/asound/cards")
    try:
        text = cards.read_text()
    except OSError:
        return False
    return bool(text.strip()) and "no soundcards" not in text


def choose_driver(settings: Settings) -> tuple[str, str, str]:
    """(jackd driver, ALSA device, a label for people): the sound card by default, dummy only
    where there is none (or when asked for)."""
    if settings.jack_driver == "dummy":
        return "dummy", "", "dummy driver (no sound card in use)"
    card = find_duplex()
    if settings.jack_driver == "alsa":
        device = settings.jack_device or (card.device if card else "hw:0")
        if card is None and not has_sound_card():
            log.warning("STOMPBOX_JACK_DRIVER=alsa but no sound card found: using the dummy driver")
            return "dummy", "", "dummy driver (no sound card found)"
        return "alsa", device, f"ALSA {device}" + (f" ({card.name})" if card else "")
    if card is None:
        return "dummy", "", "dummy driver (no sound card found)"
    device = settings.jack_device or card.device
    return "alsa", device, f"ALSA {device} ({card.name})"


class LineRelay:
    """Splits a child's output into lines of bounded length, whatever it writes (sans-IO).

    `feed(data)` returns the complete lines (each ending in a newline); a line longer than
    `limit` is cut to `limit` bytes plus a note, and the rest of it is skipped as it arrives,
    so no output, however long, can grow memory or end the supervisor."""

    def __init__(self, limit: int = MAX_LINE) -> None:
        self.limit = limit
        self._buf = bytearray()
        self._skipped = 0  # bytes of the current over-long line dropped so far

    def _cut(self, line: bytes, skipped: int) -> bytes:
        if skipped:
            return line[: self.limit] + f" [... {skipped} bytes truncated]\n".encode()
        return line + b"\n"

    def feed(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            piece = data[start:] if nl < 0 else data[start:nl]
            room = self.limit - len(self._buf)
            if len(piece) > room:
                self._skipped += len(piece) - max(room, 0)
                piece = piece[: max(room, 0)]
            self._buf += piece
            if nl < 0:
                return out
            line = bytes(self._buf)
            extra = self._skipped
            self._buf.clear()
            self._skipped = 0
            out.append(self._cut(line, extra))
            start = nl + 1

    def flush(self) -> list[bytes]:
        if not self._buf and not self._skipped:
            return []
        line, extra = bytes(self._buf), self._skipped
        self._buf.clear()
        self._skipped = 0
        return [self._cut(line, extra)]


class Child:
    """One supervised process: its output is relayed; when it dies it is restarted with backoff.

    Before each (re)start, whatever an earlier incarnation left behind (its jalv processes, say,
    if it was killed -9) is swept: every process carrying this child's owner tag."""

    def __init__(
        self,
        name: str,
        env: dict[str, str],
        runtime_dir: Path,
        argv: list[str] | None = None,
    ) -> None:
        self.name = name
        self.argv = argv or [sys.executable, "-m", "stompbox.cli", name]
        self.env = env
        self.runtime_dir = runtime_dir
        self.proc: asyncio.subprocess.Process | None = None
        self.ready = asyncio.Event()
        self.restarts = 0
        self.started_at = 0.0
        self.stopping = False

    @property
    def tag_prefix(self) -> str:
        return f"{self.runtime_dir}|{self.name}|"

    async def sweep(self) -> None:
        left = await asyncio.to_thread(lifetime.sweep, self.tag_prefix)
        if left:
            log.warning("%s: ended %d leftover process(es): %s", self.name, len(left), left)

    async def start(self) -> None:
        self.ready.clear()
        await self.sweep()
        tag = lifetime.owner_tag(self.runtime_dir, self.name, self.restarts)
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv,
            env={**self.env, lifetime.OWNER_VAR: tag},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lifetime.die_with_parent(signal.SIGTERM),
        )
        self.started_at = time.monotonic()

    def _emit(self, lines: list[bytes], marker: bytes) -> None:
        for line in lines:
            sys.stderr.buffer.write(line)
            if marker in line:
                self.ready.set()
        if lines:
            sys.stderr.flush()

    async def relay(self) -> None:
        """Copy the child's output to our stderr, line by line, until EOF. Never raises on
        what the child writes (long lines are truncated, a broken stderr is ignored)."""
        assert self.proc is not None
        assert self.proc.stdout is not None
        marker = f"{self.name} ready".encode()
        lines = LineRelay()
        while True:
            data = await self.proc.stdout.read(READ_CHUNK)
            if not data:
                break
            with contextlib.suppress(OSError, ValueError):
                self._emit(lines.feed(data), marker)
        with contextlib.suppress(OSError, ValueError):
            self._emit(lines.flush(), marker)

    async def stop(self) -> None:
        self.stopping = True
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await proc.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
        await self.sweep()

    async def supervise(self) -> None:
        """Run the child forever: restart it whenever it exits, unless we are stopping."""
        backoff = 0.5
        while not self.stopping:
            try:
                await self.start()
                assert self.proc is not None
                await asyncio.gather(self.relay(), self.proc.wait())
            except Exception:
                log.exception("%s: supervising failed; killing and restarting it", self.name)
                await self._kill()
            if self.stopping:
                return
            uptime = time.monotonic() - self.started_at
            # a child that died after it was ready (a crash, kill -9) comes back at once; one
            # that dies before it is ready (a start-up failure) is retried more and more slowly
            started_fine = uptime > 30 or self.ready.is_set()
            backoff = 0.5 if started_fine else min(backoff * 2, MAX_BACKOFF)
            self.restarts += 1
            log.warning(
                "%s exited with %s after %.1f s; restart #%d in %.1f s",
                self.name,
                self.proc.returncode if self.proc else None,
                uptime,
                self.restarts,
                backoff,
            )
            await asyncio.sleep(backoff)

    async def _kill(self) -> None:
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(STOP_TIMEOUT):
                await proc.wait()


class Supervisor:
    """Owns jackd (when it started it) and the children, in start order."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        driver, device, label = choose_driver(settings)
        log.info("audio: %s", label)
        self.jack = JackServer(
            settings.jack_server,
            driver=driver,
            rate=settings.jack_rate,
            period=settings.jack_period,
            device=device,
            owner_tag=lifetime.owner_tag(settings.runtime_dir, "jackd", 0),
        )
        names = ["engine", "bridge", "session", "web"]
        if not settings.engine_embedded:
            names.remove("engine")
        env = {**os.environ, **self.jack.env(), "STOMPBOX_JACK_SERVER": settings.jack_server}
        env.pop(lifetime.OWNER_VAR, None)
        env["STOMPBOX_AUDIO_DEVICE"] = label
        self.runtime_dir = settings.runtime_dir
        self.children = [Child(n, env, self.runtime_dir) for n in names]

    async def watch_jack(self) -> None:
        """Restart jackd if the one we started dies; the bridge and engine reconnect to it."""
        while True:
            await asyncio.sleep(1.0)
            if self.jack.owned and self.jack.proc is not None and self.jack.proc.poll() is not None:
                log.error("jackd exited with %s; restarting it", self.jack.proc.returncode)
                self.jack.owned = False
                try:
                    await self.jack.async_start()
                except (JackError, OSError) as exc:
                    log.error("jackd did not restart (%s); trying again", exc)
                    self.jack.owned = True  # poll() is not None: the next round retries

    async def run(self) -> None:
        prefix = f"{self.runtime_dir}|"
        left = await asyncio.to_thread(lifetime.sweep, prefix)
        if left:
            log.warning("ended %d process(es) a previous stompbox up left: %s", len(left), left)
        if server_running(self.jack.name):
            log.info("using running JACK server '%s'", self.jack.name)
        else:
            log.info("starting jackd: %s", " ".join(self.jack.command()))
            await self.jack.async_start()
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self.watch_jack())
                for child in self.children:
                    tg.create_task(child.supervise())
                    try:
                        async with asyncio.timeout(READY_TIMEOUT):
                            await child.ready.wait()
                    except TimeoutError:
                        log.error(
                            "%s not ready after %.0f s; continuing", child.name, READY_TIMEOUT
                        )
                s = self.settings
                log.info("stompbox is up: open http://%s:%d/ in a browser", s.web_host, s.web_port)
                await asyncio.Future()  # until cancelled by a signal
        finally:
            for child in reversed(self.children):
                await child.stop()
            self.jack.stop()
            lifetime.sweep(prefix)


def main(settings: Settings) -> int:
    async def _run() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await Supervisor(settings).run()

    asyncio.run(_run())
    log.info("stompbox stopped")
    return 0
