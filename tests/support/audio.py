"""AudioProbe: a JACK test client that plays a sine into the graph and measures what comes back.

The dummy driver's `system:capture_*` ports are silent, so the probe's outputs stand in for the
capture signal (connect `probe out → first plugin input`) and its inputs record what the last
plugin feeds (`last plugin output → probe in`, or whatever feeds `system:playback_*`).
"""

from __future__ import annotations

import math
import threading
import time
from types import TracebackType

import jack
import numpy as np


class AudioProbe:
    """`with AudioProbe(server) as probe:`; ports `<name>:out_N` (sine) and `<name>:in_N`."""

    def __init__(
        self,
        servername: str | None = None,
        *,
        name: str = "probe",
        channels: int = 1,
        frequency: float = 440.0,
        amplitude: float = 0.25,
    ) -> None:
        kwargs: dict[str, object] = {"no_start_server": True}
        if servername:
            kwargs["servername"] = servername
        self.client = jack.Client(name, **kwargs)
        self.name = self.client.name
        self.frequency = frequency
        self.amplitude = amplitude
        self.outputs = [self.client.outports.register(f"out_{i + 1}") for i in range(channels)]
        self.inputs = [self.client.inports.register(f"in_{i + 1}") for i in range(channels)]
        self._phase = 0.0
        self._lock = threading.Lock()
        self._sums = np.zeros(channels)
        self._count = 0
        self._reset = False
        self.client.set_process_callback(self._process)
        self.client.activate()

    # lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        try:
            self.client.deactivate()
        finally:
            self.client.close()

    def __enter__(self) -> AudioProbe:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # JACK thread -------------------------------------------------------------------------
    def _process(self, frames: int) -> None:
        rate = self.client.samplerate
        step = 2.0 * math.pi * self.frequency / rate
        phases = self._phase + step * np.arange(frames)
        sine = (self.amplitude * np.sin(phases)).astype(np.float32)
        self._phase = float((self._phase + step * frames) % (2.0 * math.pi))
        for port in self.outputs:
            port.get_array()[:] = sine
        with self._lock:
            if self._reset:
                self._sums[:] = 0.0
                self._count = 0
                self._reset = False
            for i, port in enumerate(self.inputs):
                data = port.get_array()
                self._sums[i] += float(np.dot(data, data))
            self._count += frames

    # wiring ------------------------------------------------------------------------------
    def out(self, index: int = 0) -> str:
        return str(self.outputs[index].name)

    def inp(self, index: int = 0) -> str:
        return str(self.inputs[index].name)

    def feed(self, target: str, index: int = 0) -> None:
        """Play the sine into `target` (a plugin's audio input)."""
        self.client.connect(self.outputs[index], target)

    def record(self, source: str, index: int = 0) -> None:
        """Record `source` (a plugin's audio output) on input `index`."""
        self.client.connect(source, self.inputs[index])

    def record_playback(self, channels: int = 1) -> list[str]:
        """Record whatever feeds system:playback_1..N; return the sources connected."""
        sources: list[str] = []
        for i in range(channels):
            playback = self.client.get_port_by_name(f"system:playback_{i + 1}")
            for src in self.client.get_all_connections(playback):
                self.client.connect(src, self.inputs[i])
                sources.append(str(src.name))
        return sources

    def disconnect_all(self) -> None:
        for port in [*self.outputs, *self.inputs]:
            port.disconnect()

    # measuring ---------------------------------------------------------------------------
    @property
    def input_rms(self) -> float:
        """RMS of the sine the probe plays."""
        return self.amplitude / math.sqrt(2.0)

    def measure_rms(self, seconds: float = 0.3, settle: float = 0.05) -> list[float]:
        """RMS of each input over `seconds` of audio, after `settle` seconds for graph changes."""
        time.sleep(settle)
        with self._lock:
            self._reset = True
        time.sleep(seconds)
        deadline = time.monotonic() + 10.0
        while True:  # a slow machine may have run few cycles: wait for enough frames
            with self._lock:
                count, sums = self._count, self._sums.copy()
            if count >= seconds * self.client.samplerate * 0.5 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        if count == 0:
            return [0.0 for _ in self.inputs]
        return [math.sqrt(s / count) for s in sums]
