"""The session's seam to the bridge: the typed `Bridge` protocol, its ZeroMQ implementation, and
`BridgeApi`, the calls the session makes, written once on top of any `Bridge`.

Every call is a method of contract/bridge_api.py with its params Struct; FakeBridge
(fake_bridge.py) implements the same protocol in memory. On the wire the seed's mapping holds:
`plugin.*`, `audio.*`, `live.*` travel as `{"method", "params"}` of RPC method `plugin` etc.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from stompbox.contract import bridge as b, bridge_api as B
from stompbox.contract.bridge import (
    BridgeState,
    Loaded as LoadedPlugin,
    PortEntry,
    TransactionPhase,
    TransactionState,
)
from stompbox.contract.method import Method
from stompbox.contract.plugin import PluginInfo, PluginSummary, PresetInfo
from stompbox.zmqservice import RpcClient

P = TypeVar("P")
R = TypeVar("R")


class Bridge(Protocol):
    """Anything that answers the bridge's methods (the real one over ZeroMQ, or FakeBridge)."""

    async def call(self, method: Method[P, R], params: P) -> R: ...


class ZmqBridge:
    """`Bridge` over an open zmqservice.RpcClient to the bridge's RPC endpoint; read-only
    methods (declared idempotent) are retried after a timeout, others never once sent."""

    def __init__(self, client: RpcClient, *, timeout: float | None = None) -> None:
        self.client = client
        self.timeout = timeout

    async def call(self, method: Method[P, R], params: P) -> R:
        return await self.client.call(method, params, timeout=self.timeout)


E = b.Empty()


class BridgeApi:
    """The session's calls of the bridge, on top of any `Bridge` (`bridge.call` for the rest)."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    async def call(self, method: Method[P, R], params: P) -> R:
        return await self.bridge.call(method, params)

    async def ping(self) -> bool:
        return (await self.bridge.call(B.PING, E)).ok

    async def state(self) -> BridgeState:
        return await self.bridge.call(B.STATE, E)

    async def load(self, uri: str, instance_id: str) -> LoadedPlugin:
        return await self.bridge.call(B.PLUGIN_LOAD, b.PluginLoad(uri, instance_id))

    async def unload(self, instance_id: str) -> None:
        await self.bridge.call(B.PLUGIN_UNLOAD, b.InstanceRef(instance_id))

    async def set_parameter(self, instance_id: str, symbol: str, value: float) -> float:
        params = b.SetParameter(instance_id, symbol, value)
        return (await self.bridge.call(B.PLUGIN_SET_PARAMETER, params)).value

    async def get_parameter(self, instance_id: str, symbol: str) -> float:
        params = b.GetParameter(instance_id, symbol)
        return (await self.bridge.call(B.PLUGIN_GET_PARAMETER, params)).value

    async def bypass(self, instance_id: str, bypassed: bool) -> None:
        await self.bridge.call(B.PLUGIN_BYPASS, b.Bypass(instance_id, bypassed))

    async def monitor_output(self, instance_id: str, symbol: str) -> None:
        await self.bridge.call(B.PLUGIN_MONITOR_OUTPUT, b.MonitorOutput(instance_id, symbol))

    async def load_preset(self, instance_id: str, uri: str) -> dict[str, float]:
        params = b.LoadPreset(instance_id, uri)
        return (await self.bridge.call(B.PLUGIN_LOAD_PRESET, params)).parameters

    async def save_preset(self, instance_id: str, label: str) -> str:
        params = b.SavePreset(instance_id, label)
        return (await self.bridge.call(B.PLUGIN_SAVE_PRESET, params)).uri

    async def delete_preset(self, uri: str) -> None:
        await self.bridge.call(B.PLUGIN_DELETE_PRESET, b.PresetUri(uri))

    async def reset(self) -> None:
        await self.bridge.call(B.PLUGIN_RESET, E)

    async def transaction(self, phase: TransactionPhase) -> TransactionState:
        """Mark where a board switch begins or ends (the engine swaps it in at once)."""
        return await self.bridge.call(B.PLUGIN_TRANSACTION, b.Transaction(phase))

    async def info(self, uri: str) -> PluginInfo:
        return await self.bridge.call(B.PLUGIN_INFO, b.PluginUri(uri))

    async def list_plugins(self, query: b.PluginList) -> list[PluginSummary]:
        return await self.bridge.call(B.PLUGIN_LIST, query)

    async def presets(self, uri: str) -> list[PresetInfo]:
        return await self.bridge.call(B.PLUGIN_PRESETS, b.PluginUri(uri))

    async def categories(self) -> list[str]:
        return await self.bridge.call(B.PLUGIN_CATEGORIES, E)

    async def connect(self, source: str, target: str) -> None:
        await self.bridge.call(B.CONNECT, b.Ports(source, target))

    async def disconnect(self, source: str, target: str) -> None:
        await self.bridge.call(B.DISCONNECT, b.Ports(source, target))

    async def list_connections(self) -> list[tuple[str, str]]:
        return [(c.source, c.target) for c in await self.bridge.call(B.LIST_CONNECTIONS, E)]

    async def list_ports(self, query: b.ListPorts | None = None) -> list[PortEntry]:
        return await self.bridge.call(B.AUDIO_LIST_PORTS, query or b.ListPorts())

    async def audio_status(self) -> b.AudioStatus:
        return await self.bridge.call(B.AUDIO_STATUS, E)
