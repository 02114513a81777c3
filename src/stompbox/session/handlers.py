"""The seed's ZMQ Handlers: every method of the Session RPC API delegating to the manager."""

from __future__ import annotations

from collections.abc import Callable

from stompbox.contract import bridge as b, history as h, session as p
from stompbox.contract.bridge import AudioStatus, PortEntry, PresetParameters
from stompbox.contract.model import Connection, Pedalboard, PluginInstance
from stompbox.contract.plugin import PluginInfo, PluginSummary, PresetInfo
from stompbox.contract.session import (
    BoardSummary,
    Done,
    EngineStatus,
    Health,
    LoadBoardResult,
    ParameterValues,
    PresetSaved,
    SessionState,
    ValueResult,
)
from stompbox.contract.stats import SessionStatistics

from .session_manager import SessionManager


class Handlers:
    """One async method per core RPC method (routes.py maps contract/session_api.py to them)."""

    def __init__(
        self, manager: SessionManager, statistics: Callable[[], SessionStatistics]
    ) -> None:
        self.m = manager
        self._statistics = statistics

    # -- state ----------------------------------------------------------------------------

    async def state(self, _: p.Empty) -> SessionState:
        return self.m.dump()

    async def health(self, _: p.Empty) -> Health:
        st = self.m.state
        ok = st.bridge_connected and not self.m.closing
        return Health(ok, st.engine_connected, st.bridge_connected, self._statistics())

    async def statistics(self, _: p.Empty) -> SessionStatistics:
        return self._statistics()

    # -- plugins --------------------------------------------------------------------------

    async def load_plugin(self, q: p.LoadPlugin) -> PluginInstance:
        return await self.m.load_plugin(q.uri, q.x, q.y, q.instance_id, q.client, q.splice)

    async def unload_plugin(self, q: h.EditInstance) -> Done:
        await self.m.unload_plugin(q.instance_id, q.client)
        return Done()

    async def set_parameter(self, q: h.EditParameter) -> ValueResult:
        value = await self.m.set_parameter(q.instance_id, q.symbol, q.value, q.client, q.gesture)
        return ValueResult(value)

    async def set_parameters(self, q: p.SetParameters) -> ParameterValues:
        return ParameterValues(await self.m.set_parameters(q.changes))

    async def bypass_plugin(self, q: h.EditBypass) -> Done:
        await self.m.bypass_plugin(q.instance_id, q.bypassed, q.client)
        return Done()

    async def move_plugin(self, q: h.EditMove) -> Done:
        await self.m.move_plugin(q.instance_id, q.x, q.y, q.client)
        return Done()

    async def set_knobs(self, q: h.EditKnobs) -> Done:
        await self.m.set_knobs(q.instance_id, q.knobs, q.client)
        return Done()

    async def load_preset(self, q: h.EditPreset) -> PresetParameters:
        return PresetParameters(await self.m.load_preset(q.instance_id, q.uri, q.client))

    async def save_preset(self, q: p.SavePreset) -> PresetSaved:
        return PresetSaved(await self.m.save_preset(q.instance_id, q.label))

    # -- connections ----------------------------------------------------------------------

    async def connect(self, q: h.EditPorts) -> Connection:
        return await self.m.connect(q.source, q.target, q.client)

    async def disconnect(self, q: h.EditPorts) -> Done:
        await self.m.disconnect(q.source, q.target, q.client)
        return Done()

    async def history_undo(self, q: h.HistoryRequest) -> h.UndoResult:
        return await self.m.undo_edit(q.client)

    async def history_redo(self, q: h.HistoryRequest) -> h.UndoResult:
        return await self.m.redo_edit(q.client)

    # -- catalog (pass-through to the bridge) ---------------------------------------------

    async def list_plugins(self, q: p.ListPlugins) -> list[PluginSummary]:
        query = b.PluginList(query=q.query or None, category=q.category or None)
        return await self.m.state.bridge.list_plugins(query)

    async def plugin_info(self, q: p.PluginUri) -> PluginInfo:
        return await self.m.state.bridge.info(q.uri)

    async def plugin_presets(self, q: p.PluginUri) -> list[PresetInfo]:
        return await self.m.state.bridge.presets(q.uri)

    async def delete_preset(self, q: p.PresetUri) -> Done:
        await self.m.state.bridge.delete_preset(q.uri)
        return Done()

    async def categories(self, _: p.Empty) -> list[str]:
        return await self.m.state.bridge.categories()

    # -- pedalboards ----------------------------------------------------------------------

    async def pedalboard_create(self, q: p.BoardName) -> LoadBoardResult:
        return await self.m.create_pedalboard(q.name)

    async def pedalboard_list(self, _: p.Empty) -> list[BoardSummary]:
        return self.m.list_pedalboards()

    async def pedalboard_load(self, q: p.BoardId) -> LoadBoardResult:
        return await self.m.load_pedalboard(q.id)

    async def pedalboard_save(self, _: p.Empty) -> Pedalboard:
        return await self.m.save_pedalboard()

    async def pedalboard_save_as(self, q: p.BoardName) -> Pedalboard:
        return await self.m.save_pedalboard_as(q.name)

    async def pedalboard_rename(self, q: p.RenameBoard) -> Pedalboard:
        return await self.m.rename_pedalboard(q.id, q.name)

    async def pedalboard_delete(self, q: p.BoardId) -> Done:
        await self.m.delete_pedalboard(q.id)
        return Done()

    async def pedalboard_current(self, _: p.Empty) -> Pedalboard:
        return self.m.current_pedalboard()

    async def pedalboard_discard_pending(self, _: p.Empty) -> p.BoardPendingData:
        async with self.m.mutation():
            return self.m.pedalboards.discard_pending()

    async def pedalboard_retry_pending(self, _: p.Empty) -> LoadBoardResult:
        async with self.m.mutation():
            return await self.m.pedalboards.retry_pending()

    # -- audio and engine -----------------------------------------------------------------

    async def audio_status(self, _: p.Empty) -> AudioStatus:
        return await self.m.control.audio_status()

    async def audio_set_buffer_size(self, q: p.BufferSize) -> AudioStatus:
        return await self.m.control.set_buffer_size(q.size)

    async def audio_list_ports(self, q: p.ListPorts) -> list[PortEntry]:
        return await self.m.control.list_ports(q.type, q.direction)

    async def engine_status(self, _: p.Empty) -> EngineStatus:
        return self.m.control.engine_status()

    async def engine_processing(self, q: p.Processing) -> EngineStatus:
        return await self.m.set_processing(q.enabled)
