"""The seed's ZMQ Handlers: every method of the Session RPC API delegating to the manager."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from stompbox.contract import history as h, session as p
from stompbox.contract.model import Connection, Pedalboard, PluginInstance
from stompbox.contract.plugin import PluginInfo, PluginSummary, PresetInfo
from stompbox.contract.session import (
    BoardSummary,
    EngineStatus,
    Health,
    LoadBoardResult,
    PresetSaved,
    SessionState,
    ValueResult,
)

from .session_manager import SessionManager


class Registry(Protocol):
    def register(
        self, method: str, handler: Callable[[Any], Awaitable[Any]], params_type: type | None = None
    ) -> None: ...


class Handlers:
    """One async method per RPC method; `register(server)` wires them all."""

    def __init__(self, manager: SessionManager, statistics: Callable[[], dict[str, Any]]) -> None:
        self.m = manager
        self._statistics = statistics

    def register(self, server: Registry) -> None:
        table: list[tuple[str, Callable[[Any], Awaitable[Any]], type]] = [
            ("state", self.state, p.Empty),
            ("health", self.health, p.Empty),
            ("load_plugin", self.load_plugin, p.LoadPlugin),
            ("unload_plugin", self.unload_plugin, h.EditInstance),
            ("set_parameter", self.set_parameter, h.EditParameter),
            ("set_parameters", self.set_parameters, p.SetParameters),
            ("bypass_plugin", self.bypass_plugin, h.EditBypass),
            ("move_plugin", self.move_plugin, h.EditMove),
            ("set_knobs", self.set_knobs, h.EditKnobs),
            ("load_preset", self.load_preset, h.EditPreset),
            ("save_preset", self.save_preset, p.SavePreset),
            ("delete_preset", self.delete_preset, p.PresetUri),
            ("connect", self.connect, h.EditPorts),
            ("disconnect", self.disconnect, h.EditPorts),
            ("history.undo", self.history_undo, h.HistoryRequest),
            ("history.redo", self.history_redo, h.HistoryRequest),
            ("list_plugins", self.list_plugins, p.ListPlugins),
            ("plugin_info", self.plugin_info, p.PluginUri),
            ("plugin_presets", self.plugin_presets, p.PluginUri),
            ("categories", self.categories, p.Empty),
            ("pedalboard.create", self.pedalboard_create, p.BoardName),
            ("pedalboard.list", self.pedalboard_list, p.Empty),
            ("pedalboard.load", self.pedalboard_load, p.BoardId),
            ("pedalboard.save", self.pedalboard_save, p.Empty),
            ("pedalboard.save_as", self.pedalboard_save_as, p.BoardName),
            ("pedalboard.rename", self.pedalboard_rename, p.RenameBoard),
            ("pedalboard.delete", self.pedalboard_delete, p.BoardId),
            ("pedalboard.current", self.pedalboard_current, p.Empty),
            ("audio.status", self.audio_status, p.Empty),
            ("audio.set_buffer_size", self.audio_set_buffer_size, p.BufferSize),
            ("audio.list_ports", self.audio_list_ports, p.ListPorts),
            ("engine.status", self.engine_status, p.Empty),
            ("engine.processing", self.engine_processing, p.Processing),
        ]
        for method, handler, params_type in table:
            server.register(method, handler, params_type)

    # -- state ----------------------------------------------------------------------------

    async def state(self, _: p.Empty) -> SessionState:
        return self.m.dump()

    async def health(self, _: p.Empty) -> Health:
        st = self.m.state
        ok = st.bridge_connected and not self.m.closing
        stats = {"session": self.m.statistics(), **self._statistics()}
        return Health(ok, st.engine_connected, st.bridge_connected, stats)

    # -- plugins --------------------------------------------------------------------------

    async def load_plugin(self, q: p.LoadPlugin) -> PluginInstance:
        return await self.m.load_plugin(q.uri, q.x, q.y, q.instance_id, q.client, q.splice)

    async def unload_plugin(self, q: h.EditInstance) -> dict[str, Any]:
        await self.m.unload_plugin(q.instance_id, q.client)
        return {}

    async def set_parameter(self, q: h.EditParameter) -> ValueResult:
        value = await self.m.set_parameter(q.instance_id, q.symbol, q.value, q.client, q.gesture)
        return ValueResult(value)

    async def set_parameters(self, q: p.SetParameters) -> dict[str, Any]:
        return {"values": await self.m.set_parameters(q.changes)}

    async def bypass_plugin(self, q: h.EditBypass) -> dict[str, Any]:
        await self.m.bypass_plugin(q.instance_id, q.bypassed, q.client)
        return {}

    async def move_plugin(self, q: h.EditMove) -> dict[str, Any]:
        await self.m.move_plugin(q.instance_id, q.x, q.y, q.client)
        return {}

    async def set_knobs(self, q: h.EditKnobs) -> dict[str, Any]:
        await self.m.set_knobs(q.instance_id, q.knobs, q.client)
        return {}

    async def load_preset(self, q: h.EditPreset) -> dict[str, Any]:
        return {"parameters": await self.m.load_preset(q.instance_id, q.uri, q.client)}

    async def save_preset(self, q: p.SavePreset) -> PresetSaved:
        return PresetSaved(await self.m.save_preset(q.instance_id, q.label))

    # -- connections ----------------------------------------------------------------------

    async def connect(self, q: h.EditPorts) -> Connection:
        return await self.m.connect(q.source, q.target, q.client)

    async def disconnect(self, q: h.EditPorts) -> dict[str, Any]:
        await self.m.disconnect(q.source, q.target, q.client)
        return {}

    async def history_undo(self, q: h.HistoryRequest) -> h.UndoResult:
        return await self.m.undo_edit(q.client)

    async def history_redo(self, q: h.HistoryRequest) -> h.UndoResult:
        return await self.m.redo_edit(q.client)

    # -- catalog (pass-through to the bridge) ---------------------------------------------

    async def list_plugins(self, q: p.ListPlugins) -> list[PluginSummary]:
        params = {k: v for k, v in (("query", q.query), ("category", q.category)) if v}
        return await self.m.state.bridge.list_plugins(params)

    async def plugin_info(self, q: p.PluginUri) -> PluginInfo:
        return await self.m.state.bridge.info(q.uri)

    async def plugin_presets(self, q: p.PluginUri) -> list[PresetInfo]:
        return await self.m.state.bridge.presets(q.uri)

    async def delete_preset(self, q: p.PresetUri) -> dict[str, Any]:
        await self.m.state.bridge.delete_preset(q.uri)
        return {}

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

    async def pedalboard_delete(self, q: p.BoardId) -> dict[str, Any]:
        await self.m.delete_pedalboard(q.id)
        return {}

    async def pedalboard_current(self, _: p.Empty) -> Pedalboard:
        return self.m.current_pedalboard()

    # -- audio and engine -----------------------------------------------------------------

    async def audio_status(self, _: p.Empty) -> dict[str, Any]:
        return await self.m.control.audio_status()

    async def audio_set_buffer_size(self, q: p.BufferSize) -> Any:
        return await self.m.control.set_buffer_size(q.size)

    async def audio_list_ports(self, q: p.ListPorts) -> Any:
        return await self.m.control.list_ports(q.type, q.direction)

    async def engine_status(self, _: p.Empty) -> EngineStatus:
        return self.m.control.engine_status()

    async def engine_processing(self, q: p.Processing) -> EngineStatus:
        return await self.m.set_processing(q.enabled)
