"""The seed's Session Manager: one lock, one model; delegates to the plugin, connection, pedalboard
and session-control services, reacts to the bridge's events, replays the board into the engine."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import msgspec

from stompbox.contract import bridge as b
from stompbox.contract.errors import (
    NotFoundError,
    StompboxConnectionError,
    StompboxError,
    StompboxTimeoutError,
)
from stompbox.contract.history import (
    AddPluginStep,
    BypassStep,
    ConnectStep,
    DisconnectStep,
    KnobsStep,
    MoveStep,
    RemovePluginStep,
    Step,
    UndoResult,
    ValuesStep,
)
from stompbox.contract.model import Connection, Pedalboard, PluginInstance
from stompbox.contract.session import (
    BoardSummary,
    ChangeSource,
    EngineStatus,
    LoadBoardResult,
    OutputChangedData,
    PluginDiedData,
    SessionState as StateDump,
    SetParameter,
    Splice,
)
from stompbox.contract.stats import SessionCounters

from .autosave import Autosaver
from .bridge_client import Bridge, BridgeApi
from .connection_service import ConnectionService
from .doubt import Doubts
from .engine_sync import adopt_engine, settle
from .history import ENGINE_CLIENT
from .pedalboard_service import DEFAULT_ID, DEFAULT_NAME, PedalboardService, empty_board
from .plugin_manager import PluginManager, validate_value
from .session_control import SessionControl
from .splice import splice_in
from .state import EventSink, SessionState
from .storage import Storage
from .uncertain import Reasserter
from .undo import HISTORY_FILE, UndoService, snapshot
from .wal import replay_values

log = logging.getLogger(__name__)


class SessionManager:
    """Entry point of every session operation; see the package's services for the details."""

    def __init__(
        self,
        bridge: Bridge,
        events: EventSink,
        storage: Storage,
        *,
        auto_create: bool = True,
        device: str = "",
    ) -> None:
        self.state = SessionState(BridgeApi(bridge), events)
        self.storage = storage
        self.auto_create = auto_create
        self.plugins = PluginManager(self.state)
        self.connections = ConnectionService(self.state)
        self.pedalboards = PedalboardService(self.state, storage)
        self.control = SessionControl(self.state, storage, device)
        self.autosaver = Autosaver(self.state, storage)
        self.state.on_change = self.autosaver.request
        self.state.on_aside = self.autosaver.request_aside
        self.state.on_value = self.autosaver.log_value
        self.undo = UndoService(self.state, self.plugins, self.connections)
        self.autosaver.extra.append((HISTORY_FILE, self.undo.pending))
        self.closing = False
        self._sets_in_flight: set[asyncio.Future[float]] = set()
        self.reasserter = Reasserter(self.plugins, self.mutation)
        self.doubts = self.state.doubt = Doubts(self.state, self.reasserter, self.mutation)

    # -- lifecycle ------------------------------------------------------------------------

    def restore(self) -> None:
        """Take the autosaved board back, else an empty default board (if the flag says so)."""
        saved = self.storage.load_current()
        st = self.state
        later = self.autosaver.values.restore(saved.log_seq if saved is not None else 0)
        if saved is not None and saved.pedalboard is not None:
            st.board, st.modified = saved.pedalboard, saved.modified
            log.info("restored pedalboard %r (%d plugins)", st.board.name, len(st.board.plugins))
            if replay_values(st.board, later):
                log.info("applied %d values from the value log", len(later))
                st.on_change()
        elif self.auto_create:
            st.board, st.modified = empty_board(DEFAULT_ID, DEFAULT_NAME), False
            st.on_change()
        self.undo.restore(self.storage.data_dir)

    @contextlib.asynccontextmanager
    async def mutation(self) -> AsyncIterator[None]:
        """The session-level lock, refused once shutdown started."""
        if self.closing:
            raise StompboxConnectionError("the session is shutting down")
        async with self.state.lock:
            yield

    async def drain(self) -> None:
        """Stop taking changes and wait for the one in flight (shutdown)."""
        self.closing = True
        async with self.state.lock:
            await asyncio.gather(*self._sets_in_flight, return_exceptions=True)
            self.autosaver.flush()
        await self.reasserter.drain()
        await self.doubts.drain()

    async def connect_engine(self, *, reset: bool = False) -> None:
        """Mirror the engine and replay the current board into it (start, engine restart)."""
        st = self.state
        async with st.lock:
            bridge_state = await st.bridge.state()
            st.bridge_connected = True
            st.engine_connected = bridge_state.engine_connected
            if st.engine_connected:
                if reset:
                    await st.bridge.reset()
                    st.engine.clear()
                    st.crashed.clear()
                    self.control.replays += 1
                else:
                    await adopt_engine(st)
                with contextlib.suppress(StompboxError):
                    await self.connections.refresh_system_ports()
                    await self.control.audio_status()
                report = await self.pedalboards.replay()
                if report.missing:
                    st.changed()
                log.info(
                    "engine synced: %d reused, %d loaded, %d unloaded, missing %s",
                    report.reused,
                    report.loaded,
                    report.unloaded,
                    report.missing or "none",
                )
            self.control.reason = ""
            self.control.publish_engine_status()

    async def on_bridge_event(self, event: b.BridgeEvent) -> None:
        st = self.state
        match event:
            case b.EngineConnected():
                if not st.engine_connected:
                    await self.connect_engine(reset=True)
            case b.EngineDisconnected(reason=reason):
                async with st.lock:
                    st.engine_connected = False
                    st.engine.clear()
                    self.control.reason = reason
                    self.control.publish_engine_status()
            case b.OutputChanged():
                self._on_output(event)
            case b.EngineParameterChanged():
                self._on_engine_parameter(event)
            case b.CpuLoadData():
                self.control.on_cpu_load(event)
            case b.DspLoadData():
                self.control.on_dsp_load(event)
            case b.PluginDied(instance_id=instance_id):
                st.engine.drop_instance(instance_id)
                plugin = st.find(instance_id)
                if plugin is not None:
                    st.crashed.add(instance_id)
                    st.publish_event(PluginDiedData(instance_id, plugin.name))
                else:  # died before its load's reply reached us: told when that arrives
                    st.died_unloaded.append(instance_id)
                self.control.publish_engine_status()

    def _on_output(self, event: b.OutputChanged) -> None:
        plugin = self.state.find(event.instance_id)
        if plugin is None:
            return
        plugin.outputs[event.symbol] = event.value
        self.state.publish_event(
            OutputChangedData(plugin.instance_id, event.symbol, event.value),
        )

    def _on_engine_parameter(self, event: b.EngineParameterChanged) -> None:
        plugin = self.state.find(event.instance_id)
        symbol, value = event.symbol, event.value
        if plugin is None:
            return
        if symbol in plugin.available_parameters and plugin.parameters.get(symbol) != value:
            self.plugins.apply_parameter(plugin, symbol, value, ChangeSource.ENGINE)
            self.undo.touch({f"{plugin.instance_id}/p/{symbol}"}, ENGINE_CLIENT)

    # -- plugins (every edit is one entry of the board's undo history) -----------------------

    async def load_plugin(
        self,
        uri: str,
        x: float = 0.0,
        y: float = 0.0,
        instance_id: str | None = None,
        client: str = "",
        splice: Splice | None = None,
    ) -> PluginInstance:
        """Add a plugin; with `splice`, also remove and draw cables around it (one undo entry)."""
        async with self.mutation():
            st = self.state
            cut = [] if splice is None else splice.disconnect
            for c in cut:
                if not st.has_connection(c.source, c.target):
                    raise NotFoundError(f"no connection from {c.source} to {c.target}")
            plugin = await self.plugins.load(uri, x, y, instance_id)
            steps: list[Step] = [AddPluginStep(snapshot(plugin))]
            if splice is not None:
                steps += await splice_in(self.plugins, self.connections, plugin.instance_id, splice)
            self.undo.record(client, f"Add {plugin.name}", steps)
            return plugin

    async def unload_plugin(self, instance_id: str, client: str = "") -> None:
        async with self.mutation():
            st = self.state
            plugin = st.instance(instance_id)
            prefix = f"{instance_id}:"
            steps: list[Step] = [
                DisconnectStep(c.source, c.target)
                for c in st.require_board().connections
                if c.source.startswith(prefix) or c.target.startswith(prefix)
            ]
            steps.append(RemovePluginStep(snapshot(plugin)))
            await self.plugins.unload(instance_id)
            self.undo.record(client, f"Remove {plugin.name}", steps)

    async def set_parameter(
        self, instance_id: str, symbol: str, value: float, client: str = "", gesture: str = ""
    ) -> float:
        """Validate and send under the session lock, await the engine's ack outside it.

        The request leaves for the bridge before the lock is released (the task's first step,
        up to the socket send, runs before any waiter of the lock), so a parameter change stays
        ordered with every structural change; but knob changes do not queue behind each other's
        round trips: many are in flight at once and the bridge pipelines them in order. The
        history records the change once acknowledged (one entry per gesture). One whose outcome
        is unknown (a timeout) is followed by the model's value (uncertain.py).
        """
        async with self.mutation():
            plugin = self.state.instance(instance_id)
            before = plugin.parameters.get(symbol)
            validate_value(plugin, symbol, value)  # (a refused value leaves nothing in doubt)
            n = self.reasserter.sent((instance_id, symbol))
            sent = asyncio.ensure_future(self.plugins.set_parameter(instance_id, symbol, value))
            self._sets_in_flight.add(sent)
            sent.add_done_callback(self._sets_in_flight.discard)
        async with self.reasserter.watch((instance_id, symbol), n):
            result = await sent
        if before is not None and self.state.find(instance_id) is plugin:
            self.undo.record_value(client, plugin, symbol, (before, result), gesture)
        return result

    async def set_parameters(self, changes: list[SetParameter], client: str = "") -> list[float]:
        """Validate every change first (all or nothing), then send them all at once."""
        async with self.mutation():
            st = self.state
            checked = [
                (c, validate_value(st.instance(c.instance_id), c.symbol, c.value)) for c in changes
            ]
            befores = [st.instance(c.instance_id).parameters.get(c.symbol) for c in changes]
            sent = [self.reasserter.sent((c.instance_id, c.symbol)) for c in changes]
            results = await settle(
                st.bridge.set_parameter(c.instance_id, c.symbol, v) for c, v in checked
            )
            for c, n, r in zip(changes, sent, results, strict=True):
                if isinstance(r, StompboxTimeoutError):
                    self.reasserter.unknown((c.instance_id, c.symbol), n)
            values: list[float] = []
            error: StompboxError | None = None
            steps: list[Step] = []
            for (change, _), before, result in zip(checked, befores, results, strict=True):
                if isinstance(result, StompboxError):
                    error = error or result
                    continue
                plugin = st.find(change.instance_id)
                if plugin is not None:
                    self.plugins.apply_parameter(
                        plugin, change.symbol, result, ChangeSource.SESSION
                    )
                    if before is not None:
                        steps.append(
                            ValuesStep(
                                plugin.instance_id, {change.symbol: before}, {change.symbol: result}
                            )
                        )
                values.append(result)
            self.undo.record(client, f"Change {len(steps)} values", steps)
            if error is not None:
                raise error
            return values

    async def set_processing(self, enabled: bool) -> EngineStatus:
        async with self.mutation():
            return await self.control.set_processing(enabled)

    async def bypass_plugin(self, instance_id: str, bypassed: bool, client: str = "") -> None:
        async with self.mutation():
            plugin = self.state.instance(instance_id)
            before = plugin.enabled
            await self.plugins.bypass(instance_id, bypassed)
            label = f"{'Bypass' if bypassed else 'Enable'} {plugin.name}"
            self.undo.record(client, label, [BypassStep(instance_id, before, plugin.enabled)])

    async def move_plugin(self, instance_id: str, x: float, y: float, client: str = "") -> None:
        async with self.mutation():
            plugin = self.state.instance(instance_id)
            before = (plugin.x, plugin.y)
            await self.plugins.move(instance_id, x, y)
            if before != (plugin.x, plugin.y):
                step = MoveStep(instance_id, before, (plugin.x, plugin.y))
                self.undo.record(client, f"Move {plugin.name}", [step])

    async def set_knobs(self, instance_id: str, knobs: list[str] | None, client: str = "") -> None:
        async with self.mutation():
            plugin = self.state.instance(instance_id)
            before = plugin.knobs
            self.plugins.set_knobs(instance_id, knobs)
            if before != plugin.knobs:
                step = KnobsStep(instance_id, before, plugin.knobs)
                self.undo.record(client, f"Choose the knobs of {plugin.name}", [step])

    async def load_preset(self, instance_id: str, uri: str, client: str = "") -> dict[str, float]:
        async with self.mutation():
            plugin = self.state.instance(instance_id)
            before, preset = dict(plugin.parameters), plugin.preset
            values = await self.plugins.load_preset(instance_id, uri)
            changed = {s: v for s, v in values.items() if before.get(s) != v}
            step = ValuesStep(
                instance_id, {s: before[s] for s in changed if s in before}, changed, preset, uri
            )
            self.undo.record(client, f"Load preset on {plugin.name}", [step])
            return values

    async def save_preset(self, instance_id: str, label: str) -> str:
        async with self.mutation():
            return await self.plugins.save_preset(instance_id, label)

    # -- connections ----------------------------------------------------------------------

    async def connect(self, source: str, target: str, client: str = "") -> Connection:
        async with self.mutation():
            conn = await self.connections.connect(source, target)
            label = self.undo.cable_label("Connect", source, target)
            self.undo.record(client, label, [ConnectStep(source, target)])
            return conn

    async def disconnect(self, source: str, target: str, client: str = "") -> None:
        async with self.mutation():
            await self.connections.disconnect(source, target)
            label = self.undo.cable_label("Disconnect", source, target)
            self.undo.record(client, label, [DisconnectStep(source, target)])

    # -- undo and redo --------------------------------------------------------------------

    async def undo_edit(self, client: str = "") -> UndoResult:
        async with self.mutation():
            return await self.undo.undo(client)

    async def redo_edit(self, client: str = "") -> UndoResult:
        async with self.mutation():
            return await self.undo.redo(client)

    # -- pedalboards ----------------------------------------------------------------------

    async def create_pedalboard(self, name: str) -> LoadBoardResult:
        async with self.mutation():
            result = await self.pedalboards.create(name)
            self.undo.follow_board()
            return result

    async def load_pedalboard(self, board_id: str, snapshot: int | None = None) -> LoadBoardResult:
        async with self.mutation():
            result = await self.pedalboards.load(board_id, snapshot)
            self.undo.history.reset("")  # even the same board again: a fresh history
            self.undo.follow_board()
            return result

    async def save_pedalboard(self) -> Pedalboard:
        async with self.mutation():
            return self.pedalboards.save()

    async def save_pedalboard_as(self, name: str) -> Pedalboard:
        async with self.mutation():
            board = self.pedalboards.save_as(name)
            self.undo.rename_board(board.id)
            return board

    async def rename_pedalboard(self, board_id: str, name: str) -> Pedalboard:
        async with self.mutation():
            return self.pedalboards.rename(board_id, name)

    async def delete_pedalboard(self, board_id: str) -> None:
        async with self.mutation():
            self.pedalboards.delete(board_id)

    def list_pedalboards(self) -> list[BoardSummary]:
        return self.pedalboards.list()

    def current_pedalboard(self) -> Pedalboard:
        return self.pedalboards.current()

    # -- state ----------------------------------------------------------------------------

    def dump(self) -> StateDump:
        self.undo.follow_board()
        return msgspec.structs.replace(self.control.dump(), history=self.undo.history.summary())

    def statistics(self) -> SessionCounters:
        st = self.state
        return SessionCounters(
            plugins=len(st.board.plugins) if st.board else 0,
            engine_instances=len(st.engine.instances),
            autosave_writes=self.autosaver.writes,
            autosave_failures=self.autosaver.failures,
            replays=self.control.replays,
            lock_held=st.lock.locked(),
        )
