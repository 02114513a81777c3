"""Snapshots: named scenes of the current board; recall sends only the values that differ, at once.

Callers hold the session lock (`SessionManager.mutation()`). A snapshot stores the values of the
parameters it covers; recall compares them with the board's current values and sends every
difference in one pipelined burst (all requests leave before the first ack is awaited), then the
bypass changes. Parameters or plugins that no longer exist are skipped and reported, never fatal.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable
from typing import Any

from stompbox.contract import bridge_api as B
from stompbox.contract.errors import (
    EngineError,
    NotFoundError,
    ResourceError,
    StompboxError,
    ValidationError,
)
from stompbox.contract.history import BypassStep, Step, ValuesStep
from stompbox.contract.live import (
    MAX_SNAPSHOTS,
    ApplyValues,
    LiveEvent,
    RecallResult,
    SaveSnapshot,
    Snapshot,
    SnapshotsChangedData,
)
from stompbox.contract.model import SCHEMA_VERSION, Pedalboard
from stompbox.contract.names import check_name
from stompbox.contract.params import Bypass, SetParameter
from stompbox.contract.rpc import now_iso
from stompbox.contract.session import ChangeSource, PluginBypassedData

from .engine_sync import settle
from .plugin_manager import PluginManager, validate_value
from .state import SessionState
from .storage import check_board_size

FileSender = Any  # Callable[[str, str, str], Awaitable[None]]: (instance, property, file name)


def apply_to_model(board: Pedalboard, index: int) -> bool:
    """Put snapshot `index`'s values, bypass states and files into a board that is not loaded
    yet (a setlist song with a starting snapshot: one engine sync, one transaction). Names the
    board no longer has are skipped; True when anything changed."""
    if not 0 <= index < len(board.snapshots):
        return False
    snap = board.snapshots[index]
    plugins = {p.instance_id: p for p in board.plugins}
    changed = False
    for iid, values in snap.parameters.items():
        plugin = plugins.get(iid)
        for symbol, value in values.items():
            if plugin is not None and symbol in plugin.parameters:
                try:
                    checked = validate_value(plugin, symbol, value)
                except ValidationError:
                    continue
                changed = changed or plugin.parameters[symbol] != checked
                plugin.parameters[symbol] = checked
    for iid, bypassed in snap.bypass.items():
        if iid in plugins and plugins[iid].enabled == bypassed:
            plugins[iid].enabled, changed = not bypassed, True
    for iid, props in snap.files.items():
        if iid in plugins:
            for prop, name in props.items():
                if board.files.get(iid, {}).get(prop) != name:
                    board.files.setdefault(iid, {})[prop] = name
                    changed = True
    board.current_snapshot = index
    return changed


def undo_steps(
    sets: list[tuple[str, str, float]],
    befores: list[float | None],
    bypasses: list[tuple[str, bool]],
    results: list[Any],
) -> list[Step]:
    """The history steps of a recall: the values and bypass states the engine took."""
    values: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
    for (iid, symbol, _), before, result in zip(sets, befores, results, strict=False):
        if before is not None and isinstance(result, float | int):
            pair = values.setdefault(iid, ({}, {}))
            pair[0][symbol], pair[1][symbol] = before, float(result)
    steps: list[Step] = [ValuesStep(i, b, a) for i, (b, a) in values.items()]
    for (iid, bypassed), ok in zip(bypasses, results[len(sets) :], strict=False):
        if ok is not False and not isinstance(ok, StompboxError):  # before/after: enabled
            steps.append(BypassStep(iid, bypassed, not bypassed))
    return steps


def covered(board: Pedalboard, include: list[str] | None, exclude: list[str]) -> set[str]:
    """`<instance>:<symbol>` addresses a snapshot covers; unknown names are a ValidationError."""
    every = {f"{p.instance_id}:{s}" for p in board.plugins for s in p.parameters}
    instances = {p.instance_id for p in board.plugins}

    def expand(names: list[str]) -> set[str]:
        out: set[str] = set()
        for name in names:
            if name in every:
                out.add(name)
            elif name in instances:
                out |= {a for a in every if a.startswith(f"{name}:")}
            else:
                raise ValidationError(f"no parameter or plugin {name!r} on this board")
        return out

    chosen = every if include is None else expand(include)
    return chosen - expand(exclude)


def capture(board: Pedalboard, q: SaveSnapshot) -> Snapshot:
    """A snapshot of the board's current values, covering what `q` says."""
    name = check_name(q.name, "snapshot name")
    addresses = covered(board, q.include, q.exclude)
    parameters: dict[str, dict[str, float]] = {}
    bypass: dict[str, bool] = {}
    files: dict[str, dict[str, str]] = {}
    for plugin in board.plugins:
        values = {
            s: v for s, v in plugin.parameters.items() if f"{plugin.instance_id}:{s}" in addresses
        }
        explicit = q.include is not None and plugin.instance_id in q.include
        if values:
            parameters[plugin.instance_id] = values
        if q.bypass and (values or explicit or q.include is None):
            bypass[plugin.instance_id] = not plugin.enabled
        if plugin.instance_id in board.files and (values or q.include is None):
            files[plugin.instance_id] = dict(board.files[plugin.instance_id])
    return Snapshot(
        name=name, parameters=parameters, bypass=bypass, files=files, created_at=now_iso()
    )


class Snapshots:
    """The snapshot operations on the session's current board."""

    def __init__(self, state: SessionState, plugins: PluginManager) -> None:
        self.state = state
        self.plugins = plugins
        self.send_file: FileSender | None = None
        """Set by the media service: sends a file parameter to the engine."""
        self.last_steps: list[Step] = []
        """The undo steps of the last recall (values and bypass states it changed)."""

    def _board(self) -> Pedalboard:
        return self.state.require_board()

    def _slot(self, board: Pedalboard, index: int) -> Snapshot:
        if not 0 <= index < len(board.snapshots):
            raise NotFoundError(f"no snapshot {index} (the board has {len(board.snapshots)})")
        return board.snapshots[index]

    def _publish(self, board: Pedalboard, action: str, index: int | None) -> None:
        self.state.publish(
            LiveEvent.SNAPSHOTS_CHANGED,
            SnapshotsChangedData(
                copy.deepcopy(board.snapshots), board.current_snapshot, action, index
            ),
        )

    def _changed(self, board: Pedalboard) -> None:
        board.schema = SCHEMA_VERSION  # files written from now on carry the snapshots' schema
        self.state.changed()

    # -- commands -------------------------------------------------------------------------

    def save(self, q: SaveSnapshot) -> Snapshot:
        board = self._board()
        snap = capture(board, q)
        before = list(board.snapshots)
        if q.index is None or q.index == len(board.snapshots):
            if len(board.snapshots) >= MAX_SNAPSHOTS:
                raise ValidationError(f"a board holds at most {MAX_SNAPSHOTS} snapshots")
            board.snapshots.append(snap)
            index = len(board.snapshots) - 1
        else:
            self._slot(board, q.index)
            board.snapshots[q.index] = snap
            index = q.index
        try:
            check_board_size(board)
        except ResourceError:
            board.snapshots = before  # refused: the board stays as it was
            raise
        board.current_snapshot = index
        self._changed(board)
        self._publish(board, "saved", index)
        return snap

    def rename(self, index: int, name: str) -> Snapshot:
        board = self._board()
        snap = self._slot(board, index)
        snap.name = check_name(name, "snapshot name")
        self._changed(board)
        self._publish(board, "renamed", index)
        return snap

    def delete(self, index: int) -> None:
        board = self._board()
        self._slot(board, index)
        del board.snapshots[index]
        if board.current_snapshot is not None:
            if board.current_snapshot == index:
                board.current_snapshot = None
            elif board.current_snapshot > index:
                board.current_snapshot -= 1
        self._changed(board)
        self._publish(board, "deleted", index)

    def neighbour(self, step: int) -> int:
        board = self._board()
        if not board.snapshots:
            raise NotFoundError("the board has no snapshots")
        current = board.current_snapshot
        start = (-1 if step > 0 else 0) if current is None else current
        return (start + step) % len(board.snapshots)

    async def recall(self, index: int, source: ChangeSource = ChangeSource.SESSION) -> RecallResult:
        """Send the values of snapshot `index` that differ from the board's, all at once."""
        st = self.state
        board = self._board()
        snap = self._slot(board, index)
        sets: list[tuple[str, str, float]] = []
        skipped: list[str] = []
        for iid, values in snap.parameters.items():
            plugin = st.find(iid)
            for symbol, value in values.items():
                if plugin is None or symbol not in plugin.available_parameters:
                    skipped.append(f"{iid}:{symbol}")
                    continue
                try:
                    checked = validate_value(plugin, symbol, value)
                except ValidationError:
                    skipped.append(f"{iid}:{symbol}")
                    continue
                if plugin.parameters.get(symbol) != checked:
                    sets.append((iid, symbol, checked))
        bypasses: list[tuple[str, bool]] = []
        for iid, bypassed in snap.bypass.items():
            plugin = st.find(iid)
            if plugin is None:
                skipped.append(iid)
            elif plugin.enabled == bypassed:
                bypasses.append((iid, bypassed))
        files: list[tuple[str, str, str]] = []
        if self.send_file is not None:
            for iid, props in snap.files.items():
                for prop, name in props.items():
                    if board.files.get(iid, {}).get(prop) != name and st.find(iid) is not None:
                        files.append((iid, prop, name))
        befores = [st.instance(i).parameters.get(s) for i, s, _ in sets]
        results: list[Any] = await self._burst(sets, bypasses, source)
        self.last_steps = undo_steps(sets, befores, bypasses, results)
        if self.send_file is not None:
            results += await settle(self.send_file(i, p, n) for i, p, n in files)
        error = next((r for r in results if isinstance(r, StompboxError)), None)
        board.current_snapshot = index
        self.state.on_change()  # autosave remembers where the performance is
        self._publish(board, "recalled", index)
        st.publish(
            LiveEvent.SNAPSHOT_RECALLED,
            {"index": index, "name": snap.name, "changed": len(sets), "skipped": skipped},
        )
        if error is not None and all(isinstance(r, StompboxError) for r in results):
            raise error
        return RecallResult(index, snap.name, len(sets), len(bypasses), skipped, len(files))

    async def _burst(
        self,
        sets: list[tuple[str, str, float]],
        bypasses: list[tuple[str, bool]],
        source: ChangeSource,
    ) -> list[Any]:
        """Every change in one bridge call (`live.apply`), then the model; a bridge without it
        gets one call per change, all in flight at once. Each outcome, or its StompboxError."""
        if not sets and not bypasses:
            return []
        burst = ApplyValues(
            parameters=[SetParameter(i, s, v) for i, s, v in sets],
            bypass=[Bypass(i, b) for i, b in bypasses],
        )
        try:
            applied = await self.state.bridge.call(B.LIVE_APPLY, burst)
        except NotFoundError:  # an older bridge: the same changes, pipelined one by one
            calls: list[Awaitable[Any]] = [
                self.plugins.set_parameter(i, s, v, source) for i, s, v in sets
            ]
            calls += [self.plugins.bypass(i, b) for i, b in bypasses]
            return await settle(calls)
        results: list[Any] = []
        for (iid, symbol, _), value in zip(sets, applied.values, strict=False):
            plugin = self.state.find(iid)
            if value is None or plugin is None:
                results.append(EngineError(f"{iid}:{symbol} refused", 0))
                continue
            self.plugins.apply_parameter(plugin, symbol, value, source)
            results.append(value)
        for (iid, bypassed), ok in zip(bypasses, applied.bypass, strict=False):
            if ok:
                self._bypassed(iid, bypassed)
            results.append(ok or EngineError(f"bypass {iid} refused", 0))
        return results

    def _bypassed(self, instance_id: str, bypassed: bool) -> None:
        """Record a bypass the engine took (as PluginManager.bypass does after its ack)."""
        st = self.state
        plugin = st.find(instance_id)
        if plugin is None:
            return
        plugin.enabled = not bypassed
        engine = st.engine.instances.get(instance_id)
        if engine is not None:
            engine.bypassed = bypassed
        st.changed()
        st.publish_event(PluginBypassedData(instance_id, bypassed))
