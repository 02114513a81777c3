"""Per-block meters on the session: the bridge's `block_levels` peaks → peak, hold and clip.

The bridge meters every block's audio inputs and outputs while `live.levels` is on (the session
turns it on with the board output meter); each report carries the peaks of the last 0.1 s in
dBFS. This keeps, per block and side, the highest peak of the last HOLD seconds and whether
0 dBFS was reached in them, and publishes `block_meters` for the blocks on the board.
"""

from __future__ import annotations

import contextlib
import time

from stompbox.contract import bridge_api as B
from stompbox.contract.errors import StompboxError
from stompbox.contract.live import BlockLevels, BlockMeter, BlockMeters, LevelsEnable, LiveEvent

from .state import HIDDEN_INSTANCES, SessionState

HOLD = 2.0  # seconds a peak (and a clip) stays shown
CLIP_DB = 0.0  # a sample at or over full scale
FLOOR_DB = -80.0


class _Side:
    __slots__ = ("clip_at", "hold", "hold_at", "peak")

    def __init__(self) -> None:
        self.peak = FLOOR_DB
        self.hold = FLOOR_DB
        self.hold_at = -HOLD
        self.clip_at = -2 * HOLD

    def feed(self, db: float, now: float) -> None:
        self.peak = max(db, FLOOR_DB)
        if self.peak >= self.hold or now - self.hold_at > HOLD:
            self.hold, self.hold_at = self.peak, now
        if self.peak >= CLIP_DB:
            self.clip_at = now

    def clip(self, now: float) -> bool:
        return now - self.clip_at <= HOLD


class BlockMeterService:
    def __init__(self, state: SessionState) -> None:
        self.st = state
        self.active = False
        self._sides: dict[str, tuple[_Side, _Side]] = {}
        self.reading = BlockMeters(active=False)

    async def enable(self, on: bool) -> None:
        """Tell the bridge to meter (or stop); an engine without meters is not an error here."""
        self.active = on
        if not on:
            self._sides.clear()
            self.reading = BlockMeters(active=False)
            self.st.publish(LiveEvent.BLOCK_METERS, self.reading)
        if not self.st.engine_connected:
            return
        with contextlib.suppress(StompboxError):  # no engine: the next connect enables it
            await self.st.bridge.call(B.LIVE_LEVELS, LevelsEnable(on))

    def on_levels(self, levels: BlockLevels, now: float | None = None) -> BlockMeters | None:
        if not self.active or self.st.board is None:
            return None
        now = time.monotonic() if now is None else now
        on_board = {p.instance_id for p in self.st.board.plugins}
        meters: list[BlockMeter] = []
        for block in levels.blocks:
            if block.instance_id in HIDDEN_INSTANCES or block.instance_id not in on_board:
                continue
            sides = self._sides.setdefault(block.instance_id, (_Side(), _Side()))
            sides[0].feed(block.input_db, now)
            sides[1].feed(block.output_db, now)
            meters.append(
                BlockMeter(
                    instance_id=block.instance_id,
                    input_db=sides[0].peak,
                    input_hold_db=sides[0].hold,
                    input_clip=sides[0].clip(now),
                    output_db=sides[1].peak,
                    output_hold_db=sides[1].hold,
                    output_clip=sides[1].clip(now),
                )
            )
        for gone in set(self._sides) - on_board:
            del self._sides[gone]
        self.reading = BlockMeters(active=True, blocks=meters)
        self.st.publish(LiveEvent.BLOCK_METERS, self.reading)
        return self.reading
