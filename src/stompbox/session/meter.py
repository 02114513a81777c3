"""The board's output meter: a hidden x42 true-peak meter fed with whatever feeds the first
playback port, read through its output port (peak + hold + clip), published at UI rate.

Like the tuner, the instance is in the engine but never on the board; a board switch removes it
and `ensure()` puts it back. Its input follows the board: every source connected to
`system:playback_1` is also connected to the meter (`sync_sources`). `poll()` asks for the value
(`monitor_output`) at UI rate until the engine streams it (`OutputPoll`; the jalv engine does not).
"""

from __future__ import annotations

import math
import time

from stompbox.contract.bridge import OutputChanged
from stompbox.contract.live import LiveEvent, MeterReading

from .output_poll import OutputPoll
from .state import METER_ID, EngineInstance, SessionState

METER_URI = "http://gareus.org/oss/lv2/meters#TPnRMSmono"
METER_INPUT = f"{METER_ID}:in1"
PEAK_PORT = "dBTP_m"
PLAYBACK = "system:playback_1"
HOLD = 2.0  # seconds a peak (and a clip) stays shown
CLIP_DB = -0.1
FLOOR_DB = -80.0


class OutputMeter:
    def __init__(self, state: SessionState) -> None:
        self.state = state
        self.active = False
        self.reading = MeterReading(active=False)
        self._sources: set[str] = set()
        self._hold = (FLOOR_DB, 0.0)  # (level, when)
        self._clip_at = -math.inf
        self.polling = OutputPoll(METER_ID)

    async def start(self) -> MeterReading:
        """Caller holds the session lock."""
        self.active = True
        await self.ensure()
        await self.sync_sources()
        self.reading = MeterReading(active=True)
        self.state.publish(LiveEvent.METERS, self.reading)
        return self.reading

    async def stop(self) -> MeterReading:
        """Caller holds the session lock."""
        self.active = False
        st = self.state
        if METER_ID in st.engine.instances:
            st.engine.drop_instance(METER_ID)
            await st.bridge.unload(METER_ID)
        self._sources.clear()
        self.reading = MeterReading(active=False)
        self.state.publish(LiveEvent.METERS, self.reading)
        return self.reading

    async def ensure(self) -> None:
        st = self.state
        if not self.active or not st.engine_connected or METER_ID in st.engine.instances:
            return
        await st.bridge.load(METER_URI, METER_ID)
        st.engine.instances[METER_ID] = EngineInstance(METER_URI, {}, False)
        self._sources.clear()
        self.polling.reset()

    async def sync_sources(self) -> None:
        """Connect the meter to what feeds the first playback port now (and only that)."""
        st = self.state
        if not self.active or METER_ID not in st.engine.instances or st.board is None:
            return
        wanted = {c.source for c in st.board.connections if c.target == PLAYBACK}
        for source in sorted(self._sources - wanted):
            self._sources.discard(source)
            if st.find(source.split(":", 1)[0]) is not None or source.startswith("system:"):
                await st.bridge.disconnect(source, METER_INPUT)
        for source in sorted(wanted - self._sources):
            await st.bridge.connect(source, METER_INPUT)
            self._sources.add(source)

    async def poll(self) -> None:
        if self.active and METER_ID in self.state.engine.instances and self.polling.due():
            await self.state.bridge.monitor_output(METER_ID, PEAK_PORT)

    def on_output(self, event: OutputChanged, now: float | None = None) -> bool:
        if event.instance_id != METER_ID or event.symbol != PEAK_PORT:
            return False
        self.polling.arrived(now)
        value = event.value
        if not self.active or not math.isfinite(value):
            return True
        self.feed(value, now)
        return True

    def feed(self, peak_db: float, now: float | None = None) -> MeterReading:
        now = time.monotonic() if now is None else now
        peak = max(peak_db, FLOOR_DB)
        level, when = self._hold
        if peak >= level or now - when > HOLD:
            self._hold = (peak, now)
        if peak >= CLIP_DB:
            self._clip_at = now
        self.reading = MeterReading(
            active=True,
            peak_db=round(peak, 2),
            hold_db=round(self._hold[0], 2),
            clip=now - self._clip_at <= HOLD,
        )
        self.state.publish(LiveEvent.METERS, self.reading)
        return self.reading
