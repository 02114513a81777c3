"""The bridge's JACK client: audio-system facts (rate, buffer, load, xruns), ports and connections.

JACK callbacks run on JACK's threads and only hand over to the event loop with
`call_soon_threadsafe`. While no JACK server answers, every method raises
StompboxConnectionError and `run()` keeps trying to (re)open the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import jack

from stompbox.contract.bridge import (
    AudioStatus,
    JackPortType,
    PortDirection,
    PortEntry,
)
from stompbox.contract.errors import (
    ResourceError,
    StompboxConnectionError,
    StompboxTimeoutError,
)
from stompbox.contract.ids import check_buffer_size
from stompbox.contract.plugin import PortType
from stompbox.contract.stats import AudioStatistics

from .addresses import SYSTEM
from .instances import Instance

log = logging.getLogger(__name__)

RETRY_MIN, RETRY_MAX = 0.5, 2.0
JACK_TIMEOUT = 10.0
"""Longest wait for a JACK call made in a worker thread (open, set buffer size)."""


_JACK_KIND = {
    PortType.AUDIO: JackPortType.AUDIO,
    PortType.CV: JackPortType.AUDIO,  # mod-host registers CV ports as JACK audio ports
    PortType.MIDI: JackPortType.MIDI,
}


def _jack_error(message: str) -> None:
    log.debug("jack: %s", message)


class AudioSystem:
    """One JACK client named `client_name` on server `server_name` (see module doc)."""

    def __init__(self, server_name: str, client_name: str = "stompbox-bridge") -> None:
        self.server_name = server_name
        self.client_name = client_name
        self._client: Any = None
        self._xruns = 0
        self._lost = asyncio.Event()
        self._opened = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._client is not None

    async def wait_open(self) -> None:
        await self._opened.wait()

    def _open(self, loop: asyncio.AbstractEventLoop) -> Any:
        jack.set_error_function(_jack_error)
        jack.set_info_function(_jack_error)
        client = jack.Client(self.client_name, servername=self.server_name, no_start_server=True)
        try:
            client.set_xrun_callback(lambda _delay: loop.call_soon_threadsafe(self._on_xrun))
            client.set_shutdown_callback(
                lambda _status, reason: loop.call_soon_threadsafe(self._on_shutdown, reason)
            )
            client.activate()
        except BaseException:
            client.close()
            raise
        return client

    def _on_xrun(self) -> None:
        self._xruns += 1

    def _on_shutdown(self, reason: str) -> None:
        log.warning("JACK server %s went away: %s", self.server_name, reason)
        self._lost.set()

    async def run(self) -> None:
        """Keep a JACK client open until cancelled; reopen it when the server comes back."""
        loop = asyncio.get_running_loop()
        delay = RETRY_MIN
        failures = 0
        try:
            while True:
                try:
                    async with asyncio.timeout(JACK_TIMEOUT):
                        client = await asyncio.to_thread(self._open, loop)
                except (jack.JackError, TimeoutError) as exc:
                    failures += 1
                    if failures == 1 or failures % 60 == 0:
                        log.info("JACK server %r not available (%s)", self.server_name, exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX)
                    continue
                failures, delay = 0, RETRY_MIN
                self._lost.clear()
                self._client = client
                self._opened.set()
                log.info("JACK client open on %r (%d Hz)", self.server_name, client.samplerate)
                await self._lost.wait()
                self._client = None
                self._opened.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(JACK_TIMEOUT):
                        await asyncio.to_thread(_close_quietly, client)
        finally:
            client, self._client = self._client, None
            if client is not None:
                _close_quietly(client)

    def _need(self) -> Any:
        client = self._client
        if client is None:
            raise StompboxConnectionError(
                f"JACK server {self.server_name!r} is not running", {"running": False}
            )
        return client

    @property
    def sample_rate(self) -> int | None:
        client = self._client
        return None if client is None else int(client.samplerate)

    def status(self) -> AudioStatus:
        client = self._need()
        try:
            return AudioStatus(
                sample_rate=int(client.samplerate),
                buffer_size=int(client.blocksize),
                dsp_load=float(client.cpu_load()),
                xruns=self._xruns,
                running=True,
            )
        except jack.JackError as exc:
            raise StompboxConnectionError(f"JACK: {exc}") from exc

    def cpu_load(self) -> float:
        return float(self._need().cpu_load())

    async def set_buffer_size(self, size: int) -> int:
        check_buffer_size(size)
        client = self._need()

        def apply() -> int:
            client.blocksize = size
            return int(client.blocksize)

        try:
            async with asyncio.timeout(JACK_TIMEOUT):
                return await asyncio.to_thread(apply)
        except jack.JackError as exc:
            raise ResourceError(f"JACK refused buffer size {size}: {exc}", {"size": size}) from exc
        except TimeoutError:
            raise StompboxTimeoutError(f"JACK did not change the buffer size to {size}") from None

    def list_ports(
        self,
        instances: Sequence[Instance],
        type_: JackPortType | None = None,
        direction: PortDirection | None = None,
    ) -> list[PortEntry]:
        """System ports (from JACK) and our instances' ports (from the catalog), as addresses.

        Plugin ports come from the catalog: inside the embedded engine's one JACK client JACK
        cannot see them, and a real mod-host's `effect_<N>` ports are the same list."""
        client = self._need()
        out: list[PortEntry] = []
        for port in client.get_ports(
            f"^{SYSTEM}:",
            is_audio=type_ is JackPortType.AUDIO,
            is_midi=type_ is JackPortType.MIDI,
            is_input=direction is PortDirection.INPUT,
            is_output=direction is PortDirection.OUTPUT,
        ):
            kind = JackPortType.MIDI if port.is_midi else JackPortType.AUDIO
            way = PortDirection.INPUT if port.is_input else PortDirection.OUTPUT
            out.append(PortEntry(port.name, kind, way, True))
        for inst in instances:
            for p in inst.plugin.ports:
                jack_kind = _JACK_KIND.get(p.type)
                if jack_kind is None or (type_ is not None and jack_kind is not type_):
                    continue
                way = PortDirection(p.direction.value)
                if direction is not None and way is not direction:
                    continue
                out.append(PortEntry(f"{inst.instance_id}:{p.symbol}", jack_kind, way, False))
        return out

    def statistics(self) -> AudioStatistics:
        return AudioStatistics(self.running, self._xruns, self.server_name)


def _close_quietly(client: Any) -> None:
    try:
        client.deactivate(ignore_errors=True)
        client.close(ignore_errors=True)
    except jack.JackError as exc:
        log.debug("closing JACK client: %s", exc)
