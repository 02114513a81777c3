"""`stompbox engine`: the embedded mod-host-compatible engine as one application object."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Coroutine
from types import TracebackType
from typing import Any

from stompbox import aio
from stompbox.modhost.feedback import CpuLoadFb
from stompbox.settings import Settings

from .board import NativeCore
from .commands import CONCURRENT, Dispatcher
from .core import EngineCore
from .dspload import DspMeter
from .feedback import FeedbackPump, FeedbackQueue
from .jackwatch import JackWatch
from .native import NativeEngine
from .plugins import PluginData
from .quarantine import Quarantine
from .server import EngineServer

log = logging.getLogger(__name__)

CPU_LOAD_PERIOD = 0.5
CPU_SAMPLE = 0.1
POLL_BUSY = 0.005  # s between polls of the C core's reports right after some came
POLL_IDLE = 0.04  # ... and at most, after a quiet while (the wait doubles from POLL_BUSY)


class Engine:
    """JACK client, LV2 metadata, instances, TCP servers: `async with e: await e.run()`.

    By default the board runs in the C core (one JACK client); with `engine_isolation` every
    plugin runs in its own jalv process instead (the engine's first design).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        server = settings.jack_server if settings.jack_server != "default" else None
        self._server = server
        if server:
            os.environ["JACK_DEFAULT_SERVER"] = server  # inherited by every jalv
        os.environ.setdefault("JACK_NO_START_SERVER", "1")
        self.isolation = settings.engine_isolation
        self.jack: JackWatch | None = JackWatch(server) if self.isolation else None
        self.native: NativeEngine | None = None
        self.quarantine: Quarantine | None = None
        self.feedback = FeedbackQueue()
        self.pump = FeedbackPump(self.feedback)
        self._tg: asyncio.TaskGroup | None = None
        self.plugins: PluginData | None = None
        self.core: EngineCore | NativeCore | None = None
        self.dispatcher: Dispatcher | None = None
        self.server: EngineServer | None = None

    async def __aenter__(self) -> Engine:
        if self.jack is not None:
            await asyncio.to_thread(self.jack.open)
            rate = self.jack.samplerate
        else:
            self.native = await asyncio.to_thread(NativeEngine, self._server)
            self.native.set_crossfade(min(max(self.settings.engine_crossfade_ms, 0.0), 100.0))
            rate = self.native.sample_rate
        self.plugins = PluginData(self.settings.cache_dir, rate)
        await asyncio.to_thread(self.plugins.open_world)
        if self.jack is not None:
            self.core = EngineCore(self.jack, self.plugins, self.feedback, self._spawn)
        else:
            assert self.native is not None
            self.quarantine = Quarantine(self.settings.cache_dir)
            fd = self.quarantine.open()
            if fd is not None:
                self.native.record_crashes(fd)
            self.core = NativeCore(
                self.native,
                self.plugins,
                self.feedback,
                spawn=self._spawn,
                quarantine=self.quarantine,
            )
        self.dispatcher = Dispatcher(self.core, self.settings.data_dir)
        s = self.settings
        self.server = EngineServer(
            s.engine_host,
            s.engine_port,
            s.engine_feedback_port,
            self.dispatcher.execute,
            CONCURRENT,
            self.pump,
            token_path=s.engine_token_path() if s.engine_auth else None,
        )
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.shutdown()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        if self._tg is None:
            coro.close()
            raise RuntimeError("engine is not running")
        self._tg.create_task(coro)

    async def run(self) -> None:
        """Serve until cancelled. The server and the plugin hosts close first, inside the task
        group (a jalv's console reader is one of its tasks); the JACK client closes once every
        task has ended, so no watcher takes the closing client for a lost server."""
        assert self.server is not None
        assert self.plugins is not None
        try:
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                await self.server.start()
                tg.create_task(self.pump.run())
                tg.create_task(self._cpu_load_loop())
                tg.create_task(self._watch_jack())
                tg.create_task(self._poll_loop())
                # a daemon thread: a cold catalog scan must never delay shutdown
                threading.Thread(
                    target=self.plugins.load_catalog, name="catalog", daemon=True
                ).start()
                s = self.settings
                print(
                    f"engine ready on {s.engine_host}:{s.engine_port} "
                    f"(feedback {s.engine_feedback_port}, JACK server {s.jack_server})",
                    file=sys.stderr,
                    flush=True,
                )
                try:
                    await asyncio.Future()  # until cancelled
                finally:
                    await self._close_hosts()  # jalvs end while their readers still run
        finally:
            self._tg = None
            await self.shutdown()

    async def _close_hosts(self) -> None:
        if self.server is not None:
            await self.server.close()
        if self.core is not None:
            await self.core.close_all()

    async def shutdown(self) -> None:
        await self._close_hosts()
        if self.jack is not None:
            self.jack.close()
        if self.native is not None:
            native, self.native = self.native, None
            await asyncio.to_thread(native.close)
        if self.quarantine is not None:
            self.quarantine.close()
        if self.plugins is not None:
            self.plugins.close()

    async def _cpu_load_loop(self) -> None:
        """`cpu_load` (and, with the C core, `dsp_load` per plugin) every 0.5 s while the
        cpu-load feature is on."""
        peak = 0.0
        last = time.monotonic()
        dsp = DspMeter()
        while True:
            await asyncio.sleep(CPU_SAMPLE)
            d = self.dispatcher
            if d is None or not d.cpu_load_feature:
                peak, last = 0.0, time.monotonic()
                dsp.clear()
                continue
            load = self._cpu_load()
            peak = max(peak, load)
            core, native = self.core, self.native
            if isinstance(core, NativeCore) and native is not None:
                dsp.sample(native, core.instances)
            if time.monotonic() - last >= CPU_LOAD_PERIOD:
                self.feedback.put(CpuLoadFb(load, peak, self._xruns()))
                if isinstance(core, NativeCore) and native is not None:
                    for fb in dsp.report(native, core.instances):
                        self.feedback.put(fb)
                peak, last = 0.0, time.monotonic()

    def _cpu_load(self) -> float:
        if self.native is not None:
            return self.native.cpu_load()
        return self.jack.cpu_load() if self.jack is not None else 0.0

    def _xruns(self) -> int:
        if self.native is not None:
            return self.native.xruns
        return self.jack.xruns if self.jack is not None else 0

    async def _poll_loop(self) -> None:
        """Output-control changes, plugin logs and retired plans from the C core: polled often
        while they come, less and less often while nothing does (idle CPU)."""
        wait = POLL_BUSY
        while True:
            await asyncio.sleep(wait)
            if isinstance(self.core, NativeCore) and self.native is not None:
                busy = self.core.poll()
                wait = POLL_BUSY if busy else min(wait * 2, POLL_IDLE)

    async def _native_gone(self) -> None:
        """Return when the C core's JACK client was shut down by the server."""
        while True:
            native = self.native
            if native is not None and native.shut_down:
                return
            await asyncio.sleep(CPU_SAMPLE)  # (closed at shutdown: this task is cancelled)

    async def _watch_jack(self) -> None:
        if self.jack is None:
            await self._native_gone()
            raise RuntimeError("the JACK server went away")
        gone = asyncio.Event()
        loop = asyncio.get_running_loop()

        def notify() -> None:
            loop.call_soon_threadsafe(gone.set)

        self.jack.on_shutdown = notify
        if self.jack.shutdown.is_set():
            gone.set()
        await gone.wait()
        raise RuntimeError("the JACK server went away")


async def _main(settings: Settings) -> int:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        async with Engine(settings) as engine:
            await engine.run()
    except asyncio.CancelledError:
        log.info("engine stopped")
        return 0
    return 0


def main(settings: Settings) -> int:
    try:
        return aio.run(_main(settings))
    except Exception:
        log.exception("engine failed")
        return 1
