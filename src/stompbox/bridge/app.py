"""Entry point of `stompbox bridge`: build the Bridge, serve until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from stompbox import aio
from stompbox.contract.errors import StompboxError
from stompbox.settings import Settings

from .service import Bridge

log = logging.getLogger(__name__)


async def serve(settings: Settings) -> None:
    """Run one Bridge until this task is cancelled (by a signal or by the caller)."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
    bridge = Bridge(settings)
    async with bridge:

        def ready() -> None:
            print(f"bridge ready on {bridge.service.endpoints}", file=sys.stderr, flush=True)

        await bridge.run(ready)


def main(settings: Settings) -> int:
    try:
        aio.run(serve(settings))
    except asyncio.CancelledError:
        pass
    except KeyboardInterrupt:
        pass
    except StompboxError as exc:
        log.error("bridge failed: %s", exc)
        return 1
    return 0
