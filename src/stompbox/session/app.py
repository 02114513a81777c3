"""The seed's Main Service: builds the one session application, runs it, stops it on a signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from stompbox import aio
from stompbox.contract.bridge import BRIDGE_EVENTS
from stompbox.contract.errors import StompboxError
from stompbox.contract.method import Route
from stompbox.contract.session import SessionWarningData, SessionWarningEvent
from stompbox.contract.stats import SessionStatistics
from stompbox.settings import Settings
from stompbox.zmqservice import Subscriber, ZmqService

from .autosave import Autosaver
from .bridge_client import ZmqBridge
from .handlers import Handlers
from .live import LiveService
from .routes import routes
from .session_manager import SessionManager
from .storage import Storage
from .watchdog import Watchdog

log = logging.getLogger("stompbox.session")

DRAIN_TIMEOUT = 10.0
RETRY_MAX_DELAY = 2.0


def durable(route: Route, autosaver: Autosaver) -> Route:
    """`route` whose reply leaves only once the change it made is in `current.json` (ack after
    autosave, see `autosave`): nothing acknowledged is lost."""

    def wrap(handler: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
        async def durable_handler(params: Any) -> Any:
            result = await handler(params)
            await autosaver.settled()
            return result

        return durable_handler

    return route.wrap(wrap)


class SessionApp:
    """Everything the session process owns: service sockets, bridge link, manager, tasks."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.service = ZmqService("session", settings)
        self.storage = Storage(settings.data_dir)
        self.stop = asyncio.Event()
        self.linked = asyncio.Event()

    async def run(self) -> None:
        """Serve until `stop` is set, then drain, save and close."""
        self.storage.ensure()
        if swept := self.storage.sweep_temp():
            log.info("removed %d temp file(s) left by an interrupted save", swept)
        svc = self.service
        async with svc, svc.client("bridge") as client, svc.subscribe("bridge") as events:
            manager = SessionManager(
                ZmqBridge(client),
                svc,
                self.storage,
                auto_create=self.settings.auto_create_pedalboard,
                device=self.settings.audio_device,
            )

            def warn(kind: str, message: str) -> None:
                shown = manager.state.warnings[-19:]
                manager.state.warnings = [*shown, SessionWarningData(kind, message)]
                svc.publish_event(SessionWarningEvent(kind, message))

            manager.autosaver.on_failure = lambda message: warn("autosave_failing", message)
            watchdog = Watchdog(manager, warn, interval=self.settings.watchdog_interval)
            handlers = Handlers(
                manager,
                lambda: SessionStatistics(
                    session=manager.statistics(),
                    rpc=svc.statistics(),
                    bridge=client.statistics(),
                    warnings=list(manager.state.warnings),
                    autosave_failing=manager.autosaver.failing,
                    watchdog=watchdog.statistics(),
                    reasserter=manager.reasserter.statistics(),
                    structural_reasserter=manager.doubts.statistics(),
                ),
            )
            live = LiveService(manager, self.storage.data_dir)
            for route in routes(handlers, live):
                svc.add(durable(route, manager.autosaver))
            manager.restore()
            for problem in self.storage.problems:
                warn("current_board_set_aside", problem)
            try:
                async with asyncio.TaskGroup() as tg:
                    tasks = [
                        tg.create_task(svc.run(), name="rpc"),
                        tg.create_task(manager.autosaver.run(), name="autosave"),
                        tg.create_task(self._relay(events, manager, live), name="bridge-events"),
                        tg.create_task(live.run(), name="live"),
                        tg.create_task(self._link(manager), name="bridge-link"),
                        tg.create_task(watchdog.run(self.linked), name="watchdog"),
                    ]
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.settings.rpc_timeout):
                            await self.linked.wait()
                    if not self.linked.is_set():
                        log.warning("bridge not reachable yet; serving, and retrying")
                    print(f"session ready on {svc.endpoints}", file=sys.stderr, flush=True)
                    await self.stop.wait()
                    log.info("shutting down: finishing requests in flight")
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(DRAIN_TIMEOUT):
                            await manager.drain()
                            while svc.server.statistics()["in_flight"]:  # noqa: ASYNC110
                                await asyncio.sleep(0.01)
                    for task in tasks:
                        task.cancel()
            finally:
                manager.closing = True
                manager.autosaver.flush()
        log.info("session stopped")

    async def _link(self, manager: SessionManager) -> None:
        """Retry logic for the bridge connection: back off until the first sync succeeds."""
        delay = self.settings.rpc_retry_delay or 0.2
        while True:
            try:
                await manager.connect_engine()
                self.linked.set()
                return
            except StompboxError as exc:
                manager.state.bridge_connected = False
                log.info("bridge not ready (%s); retrying in %.1f s", exc.message, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_DELAY)

    async def _relay(self, events: Subscriber, manager: SessionManager, live: LiveService) -> None:
        async for envelope in events:
            try:
                event = BRIDGE_EVENTS.decode(envelope.event, envelope.data)
                if event is None:
                    continue  # an event this session does not know (a newer bridge)
                await manager.on_bridge_event(event)
                await live.on_bridge_event(event)
            except StompboxError as exc:
                log.warning("handling bridge event %s failed: %s", envelope.event, exc.message)


async def _main(settings: Settings) -> int:
    app = SessionApp(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, app.stop.set)
    log.info("session settings:\n%s", settings.summary())
    try:
        await app.run()
    except StompboxError as exc:
        log.error("session failed: %s", exc.message)
        return 1
    return 0


def main(settings: Settings) -> int:
    """Entry point of `stompbox session`."""
    return aio.run(_main(settings))
