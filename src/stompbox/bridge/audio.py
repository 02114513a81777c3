"""The bridge's JACK client: audio-system facts (rate, buffer, load, xruns), ports and connections.

JACK callbacks run on JACK's threads and only hand over to the event loop with
`call_soon_threadsafe`. While no JACK server answers, every method raises
StompboxConnectionError and `run()` keeps trying to (re)open the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import jack

from stompbox.contract.bridge import (
    AudioStatus,
    ConnectionEntry,
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

from .addresses import SYSTEM, from_jack

log = logging.getLogger(__name__)

RETRY_MIN, RETRY_MAX = 0.5, 2.0
JACK_TIMEOUT = 10.0
"""Longest wait for a JACK call made in a worker thread (open, set buffer size)."""


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
        ids: Mapping[int, str],
        type_: JackPortType | None = None,
        direction: PortDirection | None = None,
    ) -> list[PortEntry]:
        """System ports and our instances' ports, as addresses, filtered by type/direction."""
        client = self._need()
        out: list[PortEntry] = []
        for port in client.get_ports(
            is_audio=type_ is JackPortType.AUDIO,
            is_midi=type_ is JackPortType.MIDI,
            is_input=direction is PortDirection.INPUT,
            is_output=direction is PortDirection.OUTPUT,
        ):
            address = from_jack(port.name, ids)
            if address is None:
                continue
            kind = JackPortType.MIDI if port.is_midi else JackPortType.AUDIO
            way = PortDirection.INPUT if port.is_input else PortDirection.OUTPUT
            out.append(PortEntry(address, kind, way, address.startswith(SYSTEM + ":")))
        return out

    def list_connections(self, ids: Mapping[int, str]) -> list[ConnectionEntry]:
        """Every JACK connection between system ports and our instances' ports."""
        client = self._need()
        out: list[ConnectionEntry] = []
        for port in client.get_ports(is_output=True):
            source = from_jack(port.name, ids)
            if source is None:
                continue
            for other in client.get_all_connections(port):
                target = from_jack(other.name, ids)
                if target is not None:
                    out.append(ConnectionEntry(source, target))
        return out

    def statistics(self) -> dict[str, Any]:
        return {"running": self.running, "xruns": self._xruns, "server": self.server_name}


def _close_quietly(client: Any) -> None:
    try:
        client.deactivate(ignore_errors=True)
        client.close(ignore_errors=True)
    except jack.JackError as exc:
        log.debug("closing JACK client: %s", exc)
