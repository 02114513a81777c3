"""The seed's Plugin Manager: load, unload, set parameters (validated), bypass, presets, move.

Every public method expects the caller (the Session Manager) to hold `state.lock`, so concurrent
requests never interleave half-done changes. The engine is changed first; the model only after
the bridge acknowledged, so a refused request leaves everything as it was.
"""

from __future__ import annotations

import contextlib
import math
import re

from stompbox.contract.errors import (
    ConflictError,
    NotFoundError,
    ResourceError,
    ValidationError,
)
from stompbox.contract.history import MAX_KNOBS
from stompbox.contract.ids import check_instance_id
from stompbox.contract.model import PluginInstance
from stompbox.contract.names import check_name
from stompbox.contract.plugin import Direction, PluginInfo, PortInfo, PortType
from stompbox.contract.rpc import now_iso
from stompbox.contract.session import (
    ChangeSource,
    ConnectionRemovedData,
    InstanceData,
    ParameterChangedData,
    PluginBypassedData,
    PluginDiedData,
    PluginKnobsData,
    PluginLoadedData,
    PluginMovedData,
    PresetLoadedData,
)
from stompbox.contract.values import check_value

from .doubt import bypass_item, values_item
from .state import EngineInstance, SessionState
from .unresolved import forget_instance, pending_ids

MAX_PLUGINS = 200
"""Plugins per board: a bound on what one board (its state, its events, the engine) must hold."""


def instance_from_info(
    info: PluginInfo, instance_id: str, x: float = 0.0, y: float = 0.0
) -> PluginInstance:
    """A fresh PluginInstance with every control input at its default."""
    ports: dict[str, PortInfo] = {}
    controls: dict[str, PortInfo] = {}
    outputs: dict[str, float] = {}
    for port in info.ports:
        if port.type is not PortType.CONTROL:
            ports[port.symbol] = port
        elif port.direction is Direction.INPUT:
            controls[port.symbol] = port
        else:
            outputs[port.symbol] = port.default if port.default is not None else 0.0
    return PluginInstance(
        uri=info.uri,
        instance_id=instance_id,
        name=info.name,
        brand=info.brand,
        version=info.version,
        parameters={s: default_value(p) for s, p in controls.items()},
        ports=ports,
        available_parameters=controls,
        outputs=outputs,
        x=x,
        y=y,
        created_at=now_iso(),
    )


def default_value(port: PortInfo) -> float:
    if port.default is not None:
        return port.default
    return port.minimum if port.minimum is not None else 0.0


def validate_value(plugin: PluginInstance, symbol: str, value: float) -> float:
    """Check `value` for control input `symbol` against its metadata; return it as a float."""
    where = f"{plugin.instance_id}:{symbol}"
    port = plugin.available_parameters.get(symbol)
    if port is None:
        if symbol in plugin.ports or symbol in plugin.outputs:
            raise ValidationError(f"{where} is not an input control port", {"symbol": symbol})
        known = ", ".join(sorted(plugin.available_parameters)) or "none"
        raise ValidationError(
            f"unknown parameter symbol {symbol!r} of {plugin.instance_id!r} (known: {known})",
            {"instance_id": plugin.instance_id, "symbol": symbol},
        )
    return check_value(port, value, where)


def _check_position(x: float, y: float) -> None:
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValidationError("position x and y must be finite numbers")


class PluginManager:
    """Plugin instances of the current board, kept identical in the model and in the engine."""

    def __init__(self, state: SessionState) -> None:
        self.state = state
        self._infos: dict[str, PluginInfo] = {}

    async def info(self, uri: str) -> PluginInfo:
        """Plugin metadata from the bridge's catalog, cached per URI."""
        info = self._infos.get(uri)
        if info is None:
            info = self._infos[uri] = await self.state.bridge.info(uri)
        return info

    @property
    def lock(self) -> object:
        return self.state.lock

    def new_instance_id(self, info_name: str) -> str:
        base = re.sub(r"[^a-z0-9]+", "_", info_name.lower()).strip("_")[:40] or "plugin"
        board = self.state.require_board()
        taken = {p.instance_id for p in board.plugins} | pending_ids(board)
        taken |= set(self.state.engine.instances)
        n = 1
        while f"{base}_{n}" in taken:
            n += 1
        return f"{base}_{n}"

    def check_new_id(self, instance_id: str) -> None:
        check_instance_id(instance_id)
        st = self.state
        if st.find(instance_id) is not None or instance_id in st.engine.instances:
            raise ConflictError(f"instance {instance_id!r} exists already")
        if st.board is not None and instance_id in pending_ids(st.board):
            raise ConflictError(f"instance {instance_id!r} is pending in this board")

    async def load(
        self, uri: str, x: float = 0.0, y: float = 0.0, instance_id: str | None = None
    ) -> PluginInstance:
        st = self.state
        board = st.require_board()
        _check_position(x, y)
        if not uri:
            raise ValidationError("uri must not be empty")
        if len(board.plugins) >= MAX_PLUGINS:
            raise ResourceError(
                f"a board holds at most {MAX_PLUGINS} plugins", {"limit": MAX_PLUGINS}
            )
        if instance_id is None:
            instance_id = self.new_instance_id((await self.info(uri)).name)
        self.check_new_id(instance_id)
        loaded = await st.bridge.load(uri, instance_id)
        plugin = instance_from_info(loaded.plugin, instance_id, x, y)
        st.engine.instances[instance_id] = EngineInstance(uri, dict(plugin.parameters), False)
        board.plugins.append(plugin)
        st.changed()
        st.publish_event(PluginLoadedData(instance_id, plugin.uri, plugin.name, plugin))
        if instance_id in st.died_unloaded:  # the engine lost it before this reply came
            st.died_unloaded.remove(instance_id)
            st.engine.drop_instance(instance_id)
            st.crashed.add(instance_id)
            st.publish_event(PluginDiedData(instance_id, plugin.name))
        return plugin

    async def unload(self, instance_id: str) -> None:
        st = self.state
        board = st.require_board()
        plugin = st.instance(instance_id)
        if instance_id in st.engine.instances:
            with contextlib.suppress(NotFoundError):  # the engine lost it: the model follows
                await st.bridge.unload(instance_id)
        st.engine.drop_instance(instance_id)
        prefix = f"{instance_id}:"
        gone = [
            c
            for c in board.connections
            if c.source.startswith(prefix) or c.target.startswith(prefix)
        ]
        board.connections = [c for c in board.connections if c not in gone]
        board.plugins.remove(plugin)
        forget_instance(board, instance_id)
        st.changed()
        for c in gone:
            st.publish_event(ConnectionRemovedData.of(c))
        st.publish_event(InstanceData(instance_id))

    async def set_parameter(
        self,
        instance_id: str,
        symbol: str,
        value: float,
        source: ChangeSource = ChangeSource.SESSION,
    ) -> float:
        st = self.state
        plugin = st.instance(instance_id)
        value = validate_value(plugin, symbol, value)
        value = await st.bridge.set_parameter(instance_id, symbol, value)
        if st.find(instance_id) is plugin:  # not unloaded or replaced while the ack was on its way
            self.apply_parameter(plugin, symbol, value, source)
        return value

    def apply_parameter(
        self, plugin: PluginInstance, symbol: str, value: float, source: ChangeSource
    ) -> None:
        """Record a value the engine has (after our set, or reported by the engine itself)."""
        plugin.parameters[symbol] = value
        engine = self.state.engine.instances.get(plugin.instance_id)
        if engine is not None:
            engine.parameters[symbol] = value
        self.state.changed()
        self.state.on_value(plugin.instance_id, symbol, value)
        self.state.publish_event(
            ParameterChangedData(plugin.instance_id, symbol, value, source),
        )

    async def bypass(self, instance_id: str, bypassed: bool) -> None:
        st = self.state
        plugin = st.instance(instance_id)
        async with st.doubt.request(bypass_item(instance_id)):
            await st.bridge.bypass(instance_id, bypassed)
        plugin.enabled = not bypassed
        engine = st.engine.instances.get(instance_id)
        if engine is not None:
            engine.bypassed = bypassed
        st.changed()
        st.publish_event(PluginBypassedData(instance_id, bypassed))

    async def move(self, instance_id: str, x: float, y: float) -> None:
        _check_position(x, y)
        plugin = self.state.instance(instance_id)
        plugin.x, plugin.y = x, y
        self.state.changed()
        self.state.publish_event(PluginMovedData(instance_id, x, y))

    def set_knobs(self, instance_id: str, knobs: list[str] | None) -> None:
        """Choose the controls the block shows (control inputs of the plugin, at most four,
        each once; None or [] for the ones its metadata suggests)."""
        plugin = self.state.instance(instance_id)
        if knobs is not None:
            if len(knobs) > MAX_KNOBS or len(set(knobs)) != len(knobs):
                raise ValidationError(f"a block shows at most {MAX_KNOBS} different controls")
            unknown = [k for k in knobs if k not in plugin.available_parameters]
            if unknown:
                raise ValidationError(
                    f"{plugin.name} has no control {unknown[0]!r}", {"symbol": unknown[0]}
                )
        knobs = list(knobs) if knobs else None
        if knobs == plugin.knobs:
            return
        plugin.knobs = knobs
        self.state.changed()
        self.state.publish_event(PluginKnobsData(instance_id, knobs))

    async def load_preset(self, instance_id: str, uri: str) -> dict[str, float]:
        st = self.state
        plugin = st.instance(instance_id)
        if not uri:
            raise ValidationError("preset uri must not be empty")
        async with st.doubt.request(values_item(instance_id)):
            values = await st.bridge.load_preset(instance_id, uri)
        known = {s: v for s, v in values.items() if s in plugin.available_parameters}
        plugin.parameters.update(known)
        plugin.preset = uri
        engine = st.engine.instances.get(instance_id)
        if engine is not None:
            engine.parameters.update(known)
        st.changed()
        st.publish_event(PresetLoadedData(instance_id, uri, known))
        return known

    async def save_preset(self, instance_id: str, label: str) -> str:
        st = self.state
        st.instance(instance_id)
        label = check_name(label, "preset label")
        return await st.bridge.save_preset(instance_id, label)
