"""The engine's own JACK client: port look-up, (dis)connections, DSP load and xrun counting."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable
from types import TracebackType

import jack

log = logging.getLogger(__name__)


class JackWatch:
    """A passive JACK client (no ports) named `stompbox-engine`, opened on `servername`.

    JACK callbacks run on JACK's threads; they only touch counters guarded by a lock.
    """

    def __init__(self, servername: str | None, name: str = "stompbox-engine") -> None:
        self._servername = servername
        self._name = name
        self._client: jack.Client | None = None
        self._lock = threading.Lock()
        self._xruns = 0
        self.shutdown = threading.Event()
        self.on_shutdown: Callable[[], None] | None = None

    def open(self) -> None:
        kwargs: dict[str, object] = {"no_start_server": True}
        if self._servername:
            kwargs["servername"] = self._servername
        client = jack.Client(self._name, **kwargs)
        client.set_xrun_callback(self._on_xrun)
        client.set_shutdown_callback(self._on_shutdown)
        client.activate()
        self._client = client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(jack.JackError):
                client.deactivate()
            client.close()

    def __enter__(self) -> JackWatch:
        self.open()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def client(self) -> jack.Client:
        if self._client is None:
            raise RuntimeError("JACK client is not open")
        return self._client

    # callbacks (JACK threads) -------------------------------------------------------------
    def _on_xrun(self, delayed_usecs: float) -> None:
        with self._lock:
            self._xruns += 1

    def _on_shutdown(self, status: object, reason: str) -> None:
        log.error("JACK server shut down: %s", reason)
        self.shutdown.set()
        if self.on_shutdown is not None:
            self.on_shutdown()

    # queries -----------------------------------------------------------------------------
    @property
    def xruns(self) -> int:
        with self._lock:
            return self._xruns

    @property
    def samplerate(self) -> int:
        return int(self.client.samplerate)

    def cpu_load(self) -> float:
        return float(self.client.cpu_load())

    def port_direction(self, name: str) -> str | None:
        """'output', 'input', or None when no such port exists."""
        try:
            port = self.client.get_port_by_name(name)
        except jack.JackError:
            return None
        return "output" if port.is_output else "input"

    def client_ports(self, client: str) -> list[str]:
        return [p.name for p in self.client.get_ports(f"^{re.escape(client)}:")]

    def client_exists(self, client: str) -> bool:
        return bool(self.client_ports(client))

    def connected(self, source: str, target: str) -> bool:
        try:
            port = self.client.get_port_by_name(source)
            return any(p.name == target for p in self.client.get_all_connections(port))
        except jack.JackError:
            return False

    def connections(self, port: str) -> list[str]:
        try:
            return [p.name for p in self.client.get_all_connections(port)]
        except jack.JackError:
            return []

    def connect(self, source: str, target: str) -> bool:
        """Connect; an existing connection counts as success."""
        try:
            self.client.connect(source, target)
        except jack.JackErrorCode as exc:
            return bool(exc.code == 17)  # EEXIST
        except jack.JackError:
            return False
        return True

    def disconnect(self, source: str, target: str) -> bool:
        try:
            self.client.disconnect(source, target)
        except jack.JackError:
            return False
        return True
