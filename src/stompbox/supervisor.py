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

from .jackd import JackServer, server_running
from .settings import Settings
from .soundcard import find_duplex

log = logging.getLogger("stompbox.up")

READY_TIMEOUT = 60.0
MAX_BACKOFF = 10.0
STOP_TIMEOUT = 10.0


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


class Child:
    """One supervised process: its output is relayed; when it dies it is restarted with backoff."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None
        self.ready = asyncio.Event()
        self.restarts = 0
        self.started_at = 0.0
        self.stopping = False

    async def start(self) -> None:
        self.ready.clear()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "stompbox.cli",
            self.name,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self.started_at = time.monotonic()

    async def relay(self) -> None:
        assert self.proc is not None
        assert self.proc.stdout is not None
        marker = f"{self.name} ready".encode()
        async for line in self.proc.stdout:
            sys.stderr.buffer.write(line if line.endswith(b"\n") else line + b"\n")
            sys.stderr.flush()
            if marker in line:
                self.ready.set()

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

    async def supervise(self) -> None:
        """Run the child forever: restart it whenever it exits, unless we are stopping."""
        backoff = 0.5
        while not self.stopping:
            await self.start()
            assert self.proc is not None
            await asyncio.gather(self.relay(), self.proc.wait())
            if self.stopping:
                return
            uptime = time.monotonic() - self.started_at
            backoff = 0.5 if uptime > 30 else min(backoff * 2, MAX_BACKOFF)
            self.restarts += 1
            log.warning(
                "%s exited with %s after %.1f s; restart #%d in %.1f s",
                self.name,
                self.proc.returncode,
                uptime,
                self.restarts,
                backoff,
            )
            await asyncio.sleep(backoff)


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
        )
        names = ["engine", "bridge", "session", "web"]
        if not settings.engine_embedded:
            names.remove("engine")
        env = {**os.environ, **self.jack.env(), "STOMPBOX_JACK_SERVER": settings.jack_server}
        env["STOMPBOX_AUDIO_DEVICE"] = label
        self.children = [Child(n, env) for n in names]

    async def watch_jack(self) -> None:
        """Restart jackd if the one we started dies; the bridge and engine reconnect to it."""
        while True:
            await asyncio.sleep(1.0)
            if self.jack.owned and self.jack.proc is not None and self.jack.proc.poll() is not None:
                log.error("jackd exited with %s; restarting it", self.jack.proc.returncode)
                self.jack.owned = False
                await self.jack.async_start()

    async def run(self) -> None:
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
