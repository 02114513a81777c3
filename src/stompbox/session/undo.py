"""Undo and redo for the Session Manager: records edits into the History, applies its steps back.

Callers hold the session lock. Applying a step goes through the same services a request uses (so
the engine is changed first and every browser gets the usual events), but records nothing.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from stompbox.contract.errors import StompboxError
from stompbox.contract.history import (
    AddPluginStep,
    BypassStep,
    ConnectStep,
    DisconnectStep,
    HistoryChangedData,
    HistoryEntry,
    KnobsStep,
    MoveStep,
    PluginSnapshot,
    RemovePluginStep,
    Step,
    UndoResult,
    ValuesStep,
)
from stompbox.contract.model import PluginInstance

from .connection_service import ConnectionService
from .history import History, decode_history, invert, step_keys
from .plugin_manager import PluginManager
from .state import SessionState

log = logging.getLogger(__name__)

HISTORY_FILE = "history.json"


def snapshot(plugin: PluginInstance) -> PluginSnapshot:
    return PluginSnapshot(
        uri=plugin.uri,
        instance_id=plugin.instance_id,
        name=plugin.name,
        x=plugin.x,
        y=plugin.y,
        enabled=plugin.enabled,
        parameters=dict(plugin.parameters),
        preset=plugin.preset,
        knobs=plugin.knobs,
    )


class UndoService:
    """The current board's History, its recording, its undo/redo and its file."""

    def __init__(
        self, state: SessionState, plugins: PluginManager, connections: ConnectionService
    ) -> None:
        self.state = state
        self.plugins = plugins
        self.connections = connections
        self.history = History()
        self.saved_version = 0

    # -- naming ---------------------------------------------------------------------------

    def name_of(self, instance_id: str) -> str:
        plugin = self.state.find(instance_id)
        return plugin.name if plugin is not None else instance_id

    def port_name(self, address: str) -> str:
        """`system:capture_1` → "capture 1"; `amp_1:in` → "Amp In" (names, never ids)."""
        owner, _, symbol = address.partition(":")
        if owner == "system":
            return symbol.replace("_", " ")
        plugin = self.state.find(owner)
        if plugin is None:
            return address
        port = plugin.ports.get(symbol) or plugin.available_parameters.get(symbol)
        return f"{plugin.name} {port.name if port is not None else symbol}"

    def cable_label(self, verb: str, source: str, target: str) -> str:
        return f"{verb} {self.port_name(source)} → {self.port_name(target)}"

    # -- recording ------------------------------------------------------------------------

    def follow_board(self) -> None:
        """A board switch (load, create) starts a new history; save-as keeps it under the new id."""
        board = self.state.board
        board_id = board.id if board is not None else ""
        if board_id != self.history.board_id:
            self.history.reset(board_id)
            self.publish("cleared")

    def rename_board(self, board_id: str) -> None:
        self.history.file.board_id = board_id
        self.history.version += 1

    def record(
        self, client: str, label: str, steps: list[Step], gesture: str = "", durable: bool = True
    ) -> None:
        """`durable=False`: the entry is written with the next autosave but its reply does not
        wait for that write (a knob turn's value is durable through the value log already;
        waiting for current.json each turn cost the reply a whole write)."""
        self.follow_board()
        if self.history.record(client, label, steps, gesture):
            self.publish("recorded", label, client)
        if durable:
            self.state.on_change()
        else:
            self.state.on_aside()

    def record_value(
        self,
        client: str,
        plugin: PluginInstance,
        symbol: str,
        change: tuple[float, float],
        gesture: str,
    ) -> None:
        """One knob value (before, after); a gesture's values extend one entry."""
        before, after = change
        if before == after and not gesture:
            return  # a value sent again (a reverted box): nothing to undo
        port = plugin.available_parameters.get(symbol)
        label = f"Change {plugin.name} {port.name if port is not None else symbol}"
        step = ValuesStep(plugin.instance_id, {symbol: before}, {symbol: after})
        self.record(client, label, [step], gesture, durable=False)

    def touch(self, keys: set[str], client: str) -> None:
        """A change that is not undoable by itself (e.g. from the engine) still stamps its keys."""
        self.history.touch(keys, client)
        self.state.on_change()

    def publish(self, action: str, label: str = "", client: str = "") -> None:
        self.state.publish_event(
            HistoryChangedData(self.history.summary(), action, label, client),
        )

    # -- undo and redo --------------------------------------------------------------------

    async def undo(self, client: str) -> UndoResult:
        self.follow_board()
        entry = self.history.next_undo(client)
        if entry is None:
            return UndoResult(False, message="nothing to undo")
        return await self._run(entry, undo=True)

    async def redo(self, client: str) -> UndoResult:
        self.follow_board()
        entry = self.history.next_redo(client)
        if entry is None:
            return UndoResult(False, message="nothing to redo")
        return await self._run(entry, undo=False)

    async def _run(self, entry: HistoryEntry, *, undo: bool) -> UndoResult:
        verb = "undo" if undo else "redo"
        try:
            self.history.check(entry, verb)
        except StompboxError:
            self.publish("skipped", entry.label, entry.client)
            self.state.on_change()
            raise
        steps = [invert(s) for s in reversed(entry.steps)] if undo else list(entry.steps)
        try:
            for step in steps:
                await self.apply(step)
        except StompboxError as exc:
            self.history.drop(entry)
            self.publish("skipped", entry.label, entry.client)
            self.state.on_change()
            raise type(exc)(f"cannot {verb} “{entry.label}”: {exc.message}", exc.data) from exc
        self.history.mark(entry, undone=undo)
        self.publish("undone" if undo else "redone", entry.label, entry.client)
        self.state.on_change()
        return UndoResult(True, entry.label)

    async def apply(self, step: Step) -> None:
        """Bring the board through one step (engine first, then model and events)."""
        if isinstance(step, AddPluginStep):
            await self._add(step.plugin)
        elif isinstance(step, RemovePluginStep):
            await self.plugins.unload(step.plugin.instance_id)
        elif isinstance(step, ConnectStep):
            with contextlib.suppress(StompboxError):  # its other end may be gone: skip that cable
                if not self.state.has_connection(step.source, step.target):
                    await self.connections.connect(step.source, step.target)
        elif isinstance(step, DisconnectStep):
            if self.state.has_connection(step.source, step.target):
                await self.connections.disconnect(step.source, step.target)
        elif isinstance(step, MoveStep):
            await self.plugins.move(step.instance_id, *step.after)
        elif isinstance(step, BypassStep):
            await self.plugins.bypass(step.instance_id, not step.after)
        elif isinstance(step, KnobsStep):
            self.plugins.set_knobs(step.instance_id, step.after)
        else:
            await self._values(step)

    async def _add(self, snap: PluginSnapshot) -> None:
        plugin = await self.plugins.load(snap.uri, snap.x, snap.y, snap.instance_id)
        for symbol, value in snap.parameters.items():
            if symbol in plugin.available_parameters and plugin.parameters.get(symbol) != value:
                await self.plugins.set_parameter(snap.instance_id, symbol, value)
        if not snap.enabled:
            await self.plugins.bypass(snap.instance_id, True)
        plugin.preset = snap.preset
        if snap.knobs is not None:
            self.plugins.set_knobs(snap.instance_id, snap.knobs)

    async def _values(self, step: ValuesStep) -> None:
        plugin = self.state.instance(step.instance_id)
        for symbol, value in step.after.items():
            if plugin.parameters.get(symbol) != value:
                await self.plugins.set_parameter(step.instance_id, symbol, value)
        plugin.preset = step.preset_after

    # -- persistence ----------------------------------------------------------------------

    def restore(self, data_dir: Path) -> None:
        """Take the history back if it belongs to the restored board."""
        path = data_dir / HISTORY_FILE
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
        file = decode_history(data) if data else None
        board = self.state.board
        if file is not None and board is not None and file.board_id == board.id:
            self.history = History.adopt(file)
            log.info("restored undo history of %r (%d entries)", board.name, len(file.entries))
        else:
            self.history = History(board.id if board is not None else "")
        self.saved_version = self.history.version

    def pending(self) -> bytes | None:
        """The encoded history when it changed since the last write (called on the loop)."""
        if self.history.version == self.saved_version:
            return None
        self.saved_version = self.history.version
        return self.history.encode()


__all__ = ["UndoService", "snapshot", "step_keys"]
