"""The tuner: a hidden x42 tuna instance fed from the chosen input, read through its output ports.

The instance lives in the engine but not on the board (the user never sees it or its ports). Its
`freq_out` output port is monitored (`monitor_output`, feedback `output_set`); note name and cents
are computed here from the frequency and the chosen reference pitch, and the cents are smoothed
for a stable needle. While tuning, the board can be muted: its edges into `system:playback_*` are
held off in the engine (not in the model; `SessionState.outputs_held` tells the watchdog), so every
plugin, the tuner included, keeps running. Global processing off would not do: the native engine
then runs no plugin at all, and the tuner would read nothing. A board switch unloads the instance
with everything not on the board; `ensure()` (called by the live service's watch loop) puts it
back while the tuner is on.
"""

from __future__ import annotations

import contextlib
import logging
import math
import statistics
import time
from collections import deque

import msgspec

from stompbox.contract.bridge import OutputChanged
from stompbox.contract.errors import StompboxError, ValidationError
from stompbox.contract.live import LiveEvent, TunerReading, TunerStart

from .output_poll import OutputPoll
from .session_control import SessionControl
from .state import PLAYBACK_PREFIX, TUNER_ID, EngineInstance, SessionState

log = logging.getLogger(__name__)

TUNER_URI = "http://gareus.org/oss/lv2/tuna#one"
FREQUENCY_PORT = "freq_out"
NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
IN_TUNE_CENTS = 3.0
MEDIAN_OF = 15  # readings the needle takes the median of
PUBLISH_INTERVAL = 0.05  # at most 20 readings a second


def note_of(frequency: float, reference: float = 440.0) -> tuple[str, int, float]:
    """(note name, octave, cents off the nearest equal-tempered note) of `frequency`."""
    midi = 69.0 + 12.0 * math.log2(frequency / reference)
    nearest = round(midi)
    return NAMES[nearest % 12], nearest // 12 - 1, (midi - nearest) * 100.0


class Tuner:
    """Start/stop the hidden tuner instance and turn its frequency into readings."""

    def __init__(self, state: SessionState, control: SessionControl) -> None:
        self.state = state
        self.control = control
        self.config: TunerStart | None = None
        self.reading = TunerReading(active=False)
        self._needle: float | None = None
        self._recent: deque[float] = deque(maxlen=MEDIAN_OF)
        self._note = ""
        self._last_publish = 0.0
        self.polling = OutputPoll(TUNER_ID)

    @property
    def active(self) -> bool:
        return self.config is not None

    async def start(self, q: TunerStart) -> TunerReading:
        """Caller holds the session lock."""
        if not 400.0 <= q.reference <= 480.0 or not math.isfinite(q.reference):
            raise ValidationError("reference pitch must be 400..480 Hz")
        if not q.source or ":" not in q.source:
            raise ValidationError("source must be a port address like system:capture_1")
        previous = self.config
        self.config = q
        try:
            if previous is None or previous.source != q.source:
                await self._unload()
            self.state.outputs_held = q.mute
            await self.ensure()
            if not q.mute:
                await self._release_outputs()
        except StompboxError:
            self.config = previous
            self.state.outputs_held = previous is not None and previous.mute
            if previous is None:  # nothing half-built stays in the engine
                with contextlib.suppress(StompboxError):
                    await self._unload()
            raise
        self.reading = TunerReading(
            active=True, reference=q.reference, muted=self.muted, source=q.source
        )
        self._publish(force=True)
        return self.reading

    async def stop(self) -> TunerReading:
        """Caller holds the session lock."""
        self.config = None
        await self._unload()
        await self._release_outputs()
        self.reading = TunerReading(active=False)
        self._needle = None
        self._publish(force=True)
        return self.reading

    @property
    def muted(self) -> bool:
        return self.state.outputs_held or not self.control.processing

    async def _hold_outputs(self) -> None:
        """Disconnect, in the engine only, what reaches the playback ports (a board load or a
        replay connects them again: `ensure()` runs after those)."""
        st = self.state
        for source, target in sorted(st.engine.connections):
            if target.startswith(PLAYBACK_PREFIX):
                await st.bridge.disconnect(source, target)
                st.engine.connections.discard((source, target))

    async def _release_outputs(self) -> None:
        """Connect the board's playback edges again."""
        st = self.state
        st.outputs_held = False
        if st.board is None or not st.engine_connected:
            return
        for c in st.board.connections:
            pair = (c.source, c.target)
            if c.target.startswith(PLAYBACK_PREFIX) and pair not in st.engine.connections:
                await st.bridge.connect(c.source, c.target)
                st.engine.connections.add(pair)

    async def ensure(self) -> None:
        """Hold the board's outputs off while muting; load, connect and monitor the instance if
        the tuner is on and the engine lacks it."""
        st = self.state
        if self.config is None or not st.engine_connected:
            return
        if st.outputs_held:
            await self._hold_outputs()
        if TUNER_ID in st.engine.instances:
            return
        await st.bridge.load(TUNER_URI, TUNER_ID)
        st.engine.instances[TUNER_ID] = EngineInstance(TUNER_URI, {}, False)
        self.polling.reset()
        await st.bridge.connect(self.config.source, f"{TUNER_ID}:in")
        await st.bridge.monitor_output(TUNER_ID, FREQUENCY_PORT)

    async def poll(self) -> None:
        """Ask for the current frequency (`monitor_output` queues the port's value at once),
        unless the engine streams it (the native engine does; the jalv engine does not): the
        live service calls this at UI rate while the tuner is on."""
        if self.config is None or TUNER_ID not in self.state.engine.instances:
            return
        if not self.polling.due():
            return
        await self.state.bridge.monitor_output(TUNER_ID, FREQUENCY_PORT)

    async def _unload(self) -> None:
        st = self.state
        if TUNER_ID in st.engine.instances:
            st.engine.drop_instance(TUNER_ID)
            await st.bridge.unload(TUNER_ID)

    def on_output(self, event: OutputChanged, now: float | None = None) -> bool:
        """An output_set of the tuner instance; True when it was ours."""
        if event.instance_id != TUNER_ID or event.symbol != FREQUENCY_PORT:
            return False
        self.polling.arrived(now)
        value = event.value
        if self.config is None:
            return True
        self.feed(value, now)
        return True

    def feed(self, frequency: float, now: float | None = None) -> TunerReading:
        """Turn one detected frequency into the current reading (0 or less: no pitch)."""
        config = self.config or TunerStart()
        base = TunerReading(
            active=self.config is not None,
            reference=config.reference,
            muted=self.muted,
            source=config.source,
        )
        if frequency <= 0.0 or not math.isfinite(frequency):
            self.reading = base
            self._needle = None
        else:
            name, octave, cents = note_of(frequency, config.reference)
            note = f"{name}{octave}"
            if note != self._note or self._needle is None:
                self._recent.clear()
            self._recent.append(cents)
            # the median of the last readings: odd ones (an xrun's glitch) do not move the needle
            self._needle = statistics.median(self._recent)
            self._note = note
            self.reading = msgspec.structs.replace(
                base,
                frequency=frequency,
                note=name,
                octave=octave,
                cents=round(self._needle, 2),
                in_tune=abs(self._needle) <= IN_TUNE_CENTS,
            )
        self._publish(now=now)
        return self.reading

    def _publish(self, *, force: bool = False, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if not force and now - self._last_publish < PUBLISH_INTERVAL:
            return
        self._last_publish = now
        self.state.publish(LiveEvent.TUNER, self.reading)
