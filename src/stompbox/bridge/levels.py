"""Per-block level meters: ask the engine to meter every block's audio ports, publish their peaks.

mod-host's `monitor_audio_levels <port> 1|0` meters any port, the embedded engine's internal
`effect_N:sym` ports included (the C core takes each port's peak in the process cycle). Its slots
are a stack (off only for the newest), so `_reconcile` keeps the longest still-wanted prefix of
the slots, pops the rest and pushes what is missing. `audio_monitor <index> <peak>` feedback is
folded into per-block maxima and published as one `block_levels` event per WINDOW, only while
something is metered and not silent twice in a row.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable

from stompbox.contract.bridge import Done
from stompbox.contract.errors import StompboxError
from stompbox.contract.live import BlockLevel, BlockLevels, LevelsEnable
from stompbox.contract.plugin import Direction, PortType
from stompbox.modhost import commands as mh
from stompbox.modhost.feedback import AudioMonitorFb

from .engine_client import EngineClient
from .instances import InstanceTable

log = logging.getLogger(__name__)

WINDOW = 0.1  # seconds: at most 10 events per second
MAX_SLOTS = 256  # the embedded engine's meter slots
FLOOR_DB = -80.0

Slot = tuple[int, str, str, bool]  # (engine number, instance_id, symbol, is_input)


def to_db(peak: float) -> float:
    if not peak > 0.0:
        return FLOOR_DB
    if math.isinf(peak):
        return 200.0  # NaN/inf samples: far over any clip mark
    return max(round(20.0 * math.log10(peak), 2), FLOOR_DB)


class BlockMeters:
    """The bridge's metering of blocks; `changed()` after any load/unload, `run()` as a task."""

    def __init__(
        self,
        engine: EngineClient,
        instances: InstanceTable,
        publish: Callable[[BlockLevels], object],
    ) -> None:
        self.engine = engine
        self.instances = instances
        self.publish = publish
        self.enabled = False
        self.unsupported = False
        self.slots: list[Slot] = []
        self._peaks: dict[int, float] = {}  # slot index → max peak of this window
        self._dirty = asyncio.Event()
        self._lock = asyncio.Lock()
        self._was_loud = False

    # -- RPC ------------------------------------------------------------------------------
    async def enable(self, p: LevelsEnable) -> Done:
        self.enabled = p.enable
        self.changed()
        return Done()

    def changed(self) -> None:
        self._dirty.set()

    def engine_reset(self) -> None:
        """The engine dropped every meter (a new connection: `remove -1`)."""
        self.slots.clear()
        self._peaks.clear()
        self.changed()

    # -- feedback -------------------------------------------------------------------------
    def on_feedback(self, fb: AudioMonitorFb) -> None:
        if 0 <= fb.index < len(self.slots):
            self._peaks[fb.index] = max(self._peaks.get(fb.index, 0.0), fb.value)

    def _wanted(self) -> list[Slot]:
        if not self.enabled or self.unsupported:
            return []
        out: list[Slot] = []
        for inst in sorted(self.instances.all(), key=lambda i: i.number):
            for port in inst.plugin.ports:
                if port.type is PortType.AUDIO:
                    is_input = port.direction is Direction.INPUT
                    out.append((inst.number, inst.instance_id, port.symbol, is_input))
        return out[:MAX_SLOTS]

    async def _reconcile(self) -> None:
        wanted = self._wanted()
        keep = 0
        while keep < min(len(wanted), len(self.slots)) and self.slots[keep] == wanted[keep]:
            keep += 1
        wanted_set = set(wanted)
        # a slot stays only if every slot below it stays: the stack pops from the top
        while keep < len(self.slots) and self.slots[keep] in wanted_set:
            keep += 1
        while len(self.slots) > keep:
            number, _, symbol, _ = self.slots[-1]
            try:
                await self.engine.request(mh.MonitorAudioLevels(f"effect_{number}:{symbol}", False))
            except StompboxError as exc:
                log.debug("meter off: %s", exc.message)
            self.slots.pop()
            self._peaks.pop(len(self.slots), None)
        have = set(self.slots)
        for slot in wanted:
            if slot in have or len(self.slots) >= MAX_SLOTS:
                continue
            number, _, symbol, _ = slot
            try:
                await self.engine.request(mh.MonitorAudioLevels(f"effect_{number}:{symbol}", True))
            except StompboxError as exc:
                data = exc.data if isinstance(exc.data, dict) else {}
                if data.get("engine_code") == -902 and not self.slots:
                    self.unsupported = True  # an engine without meters (jalv): stop asking
                    log.info("this engine does not meter ports: block meters off")
                    return
                log.debug("meter on %s: %s", slot, exc.message)
                continue  # a block removed meanwhile: the next change reconciles again
            self.slots.append(slot)

    # -- the task -------------------------------------------------------------------------
    def _report(self) -> None:
        blocks: dict[str, list[float]] = {}
        for index, (_, instance_id, _, is_input) in enumerate(self.slots):
            peak = self._peaks.get(index, 0.0)
            levels = blocks.setdefault(instance_id, [0.0, 0.0])
            side = 0 if is_input else 1
            levels[side] = max(levels[side], peak)
        self._peaks.clear()
        loud = any(v > 0.0 for pair in blocks.values() for v in pair)
        if not blocks or (not loud and not self._was_loud):
            self._was_loud = loud
            return
        self._was_loud = loud
        self.publish(
            BlockLevels([BlockLevel(i, to_db(a), to_db(b)) for i, (a, b) in blocks.items()])
        )

    async def run(self) -> None:
        while True:
            try:
                async with asyncio.timeout(WINDOW):
                    await self._dirty.wait()
            except TimeoutError:
                pass
            if self._dirty.is_set():
                self._dirty.clear()  # no engine: its (re)connect calls engine_reset()
                if self.engine.connected:
                    async with self._lock:
                        try:
                            await self._reconcile()
                        except StompboxError as exc:
                            log.warning("block meters: %s", exc.message)
                            self._dirty.set()
                            await asyncio.sleep(WINDOW)
                continue
            if self.slots:
                self._report()
