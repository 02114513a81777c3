"""The watchdog: compares what the engine runs with the model and repairs what drifted.

Every `interval` seconds, while no change holds the session lock, it compares: the bridge's
instances with the session's mirror of the engine (two mismatches in a row replay the whole
board); the mirror with the board (a failed load can leave the engine half on another board);
the connections the bridge reports with the board's; the engine's parameter values with the
model's (`per_round` values a round, round-robin, so a big board costs little). The model is
the truth. A difference must be seen in two rounds in a row, with the same model value, before
it is repaired (a change in flight is not drift); each repair is logged and reported through
`warn("drift_repaired", ...)`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from stompbox.contract.errors import StompboxError
from stompbox.contract.stats import WatchdogStatistics

from .engine_sync import settle
from .session_manager import SessionManager
from .state import HIDDEN_INSTANCES, PLAYBACK_PREFIX

log = logging.getLogger(__name__)

INTERVAL = 2.0
PER_ROUND = 64
TOLERANCE = 1e-3

Key = tuple[str, str]
Pair = tuple[str, str]


def _differs(engine: float, model: float) -> bool:
    return abs(engine - model) > TOLERANCE * max(1.0, abs(model))


class Watchdog:
    """See the module docstring. `run()` until cancelled; `round()` is one comparison."""

    def __init__(
        self,
        manager: SessionManager,
        warn: Callable[[str, str], None],
        *,
        interval: float = INTERVAL,
        per_round: int = PER_ROUND,
    ) -> None:
        self.manager = manager
        self.warn = warn
        self.interval = interval
        self.per_round = per_round
        self._instance_mismatches = 0
        self._board_mismatches = 0
        self._cursor = 0
        self._suspect_values: dict[Key, float] = {}
        self._suspect_pairs: set[tuple[str, Pair]] = set()
        self.repairs = 0
        self.rounds = 0

    async def run(self, linked: asyncio.Event) -> None:
        if self.interval <= 0:
            log.warning("watchdog off (interval %g)", self.interval)
            return
        await linked.wait()
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.round()
            except StompboxError as exc:
                log.info("watchdog round skipped: %s", exc.message)

    async def round(self) -> None:
        st = self.manager.state
        if st.lock.locked():
            return
        try:
            remote = await st.bridge.state()
        except StompboxError:
            st.bridge_connected = False
            return
        if st.lock.locked():
            return
        st.bridge_connected = True
        self.rounds += 1
        same = remote.engine_connected == st.engine_connected and (
            not remote.engine_connected or set(remote.instances) == set(st.engine.instances)
        )
        self._instance_mismatches = 0 if same else self._instance_mismatches + 1
        if self._instance_mismatches >= 2:
            self._instance_mismatches = 0
            self._report("engine instances differ from the model; the board was replayed")
            await self.manager.connect_engine(reset=True)
            return
        if not same or not st.engine_connected or st.board is None:
            return
        if await self._check_board():
            return
        await self._check_connections()
        await self._check_values()

    # -- the board's instances --------------------------------------------------------------

    async def _check_board(self) -> bool:
        """The engine must run the model's instances (a failed load leaves the model on the
        previous board): if it runs others two rounds in a row, bring it to the board by diffs.
        True when it did."""
        st = self.manager.state
        board = st.board
        assert board is not None
        model = {p.instance_id: p.uri for p in board.plugins}
        mirror = {i: e.uri for i, e in st.engine.instances.items() if i not in HIDDEN_INSTANCES}
        if model == mirror:
            self._board_mismatches = 0
            return False
        self._board_mismatches += 1
        if self._board_mismatches < 2 or st.lock.locked():
            return False
        self._board_mismatches = 0
        async with st.lock:
            await self.manager.pedalboards.replay()
        self._report(f"engine ran other plugins than board {board.id!r}; brought back to it")
        return True

    # -- connections ----------------------------------------------------------------------

    async def _check_connections(self) -> None:
        st = self.manager.state
        board = st.board
        assert board is not None
        ours = {p.instance_id for p in board.plugins} | {"system"}
        told = {
            (s, t)
            for s, t in await st.bridge.list_connections()
            if s.split(":", 1)[0] in ours and t.split(":", 1)[0] in ours
        }
        wanted = {
            (c.source, c.target)
            for c in board.connections
            if not (st.outputs_held and c.target.startswith(PLAYBACK_PREFIX))
        }
        drift = {("connect", p) for p in wanted - told} | {("disconnect", p) for p in told - wanted}
        confirmed = drift & self._suspect_pairs
        self._suspect_pairs = drift - confirmed
        if not confirmed or st.lock.locked():
            return
        async with st.lock:
            now = {(c.source, c.target) for c in st.board.connections} if st.board else set()
            if st.outputs_held:
                now = {p for p in now if not p[1].startswith(PLAYBACK_PREFIX)}
            for action, (source, target) in sorted(confirmed):
                if (action == "connect") != ((source, target) in now):
                    continue  # the model changed meanwhile: not drift
                try:
                    if action == "connect":
                        await st.bridge.connect(source, target)
                        st.engine.connections.add((source, target))
                    else:
                        await st.bridge.disconnect(source, target)
                        st.engine.connections.discard((source, target))
                except StompboxError as exc:
                    log.warning("watchdog: %s %s → %s failed: %s", action, source, target, exc)
                    continue
                self._report(f"connection {source} → {target} drifted; {action}ed again")

    # -- values ---------------------------------------------------------------------------

    def _next_keys(self) -> list[tuple[Key, float]]:
        board = self.manager.state.board
        assert board is not None
        every = [
            ((p.instance_id, symbol), value)
            for p in board.plugins
            for symbol, value in p.parameters.items()
        ]
        if not every:
            return []
        start = self._cursor % len(every)
        chunk = (every[start:] + every[:start])[: self.per_round]
        self._cursor = start + len(chunk)
        return chunk

    async def _engine_value(self, key: Key) -> float:
        return await self.manager.state.bridge.get_parameter(key[0], key[1])

    async def _check_values(self) -> None:
        st = self.manager.state
        chunk = self._next_keys()
        if not chunk:
            return
        results = await settle(self._engine_value(key) for key, _ in chunk)
        drift = {
            key: model
            for (key, model), engine in zip(chunk, results, strict=True)
            if isinstance(engine, float) and _differs(engine, model)
        }
        confirmed = {k: v for k, v in drift.items() if self._suspect_values.get(k) == v}
        self._suspect_values = {k: v for k, v in drift.items() if k not in confirmed}
        if not confirmed or st.lock.locked():
            return
        async with st.lock:
            for (iid, symbol), model in confirmed.items():
                plugin = st.find(iid)
                if plugin is None or plugin.parameters.get(symbol) != model:
                    continue  # the model changed meanwhile: not drift
                try:
                    value = await st.bridge.set_parameter(iid, symbol, model)
                except StompboxError as exc:
                    log.warning("watchdog: repairing %s:%s failed: %s", iid, symbol, exc)
                    continue
                engine = st.engine.instances.get(iid)
                if engine is not None:
                    engine.parameters[symbol] = value
                self._report(f"{iid}:{symbol} drifted in the engine; set back to {model:g}")

    def _report(self, message: str) -> None:
        self.repairs += 1
        log.warning("watchdog: %s", message)
        self.warn("drift_repaired", message)

    def statistics(self) -> WatchdogStatistics:
        return WatchdogStatistics(self.rounds, self.repairs)
