"""The session's seam to the bridge: a `Bridge` protocol, its ZeroMQ implementation, typed calls.

The seed's protocol mapping: plugin and audio commands travel as `{"action": "plugin"|"audio",
"method": ..., "params": ...}` — on our RPC envelope the action is the RPC method and
`{"method", "params"}` its params; `connect`/`disconnect` are methods of their own.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

import msgspec

from stompbox.contract.bridge import (
    BridgeState,
    Loaded as LoadedPlugin,
    PortEntry,
    TransactionPhase,
    TransactionState,
)
from stompbox.contract.errors import ValidationError
from stompbox.contract.plugin import PluginInfo, PluginSummary, PresetInfo
from stompbox.zmqservice import RpcClient

T = TypeVar("T")

READ_ONLY = frozenset(
    {
        "ping",
        "state",
        "list_connections",
        "plugin.list",
        "plugin.categories",
        "plugin.info",
        "plugin.presets",
        "plugin.get_parameter",
        "audio.status",
        "audio.list_ports",
        "audio.cpu_load",
    }
)
"""Calls that may be retried after a timeout: repeating them changes nothing."""


class Bridge(Protocol):
    """Anything that answers the bridge's RPC methods (the real one over ZeroMQ, or FakeBridge)."""

    async def call(self, method: str, params: dict[str, Any] | None = None) -> Any: ...


class ZmqBridge:
    """`Bridge` over an open zmqservice.RpcClient to the bridge's RPC endpoint."""

    def __init__(self, client: RpcClient, *, timeout: float | None = None) -> None:
        self.client = client
        self.timeout = timeout

    async def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        action = params.get("method") if params and method in ("plugin", "audio") else None
        idempotent = f"{method}.{action}" in READ_ONLY if action else method in READ_ONLY
        return await self.client.call(
            method, params or {}, timeout=self.timeout, idempotent=idempotent
        )


def _convert(value: Any, type_: type[T], what: str) -> T:
    try:
        return msgspec.convert(value, type_)
    except msgspec.ValidationError as exc:
        raise ValidationError(f"bridge {what}: unexpected result: {exc}") from exc


class BridgeApi:
    """Typed calls of the Bridge RPC API on top of any `Bridge`."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge

    async def plugin(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return await self.bridge.call("plugin", {"method": method, "params": params or {}})

    async def audio(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return await self.bridge.call("audio", {"method": method, "params": params or {}})

    async def ping(self) -> bool:
        result = await self.bridge.call("ping", {})
        return bool(isinstance(result, dict) and result.get("ok"))

    async def state(self) -> BridgeState:
        return _convert(await self.bridge.call("state", {}), BridgeState, "state")

    async def load(self, uri: str, instance_id: str) -> LoadedPlugin:
        result = await self.plugin("load", {"uri": uri, "instance_id": instance_id})
        return _convert(result, LoadedPlugin, "plugin.load")

    async def unload(self, instance_id: str) -> None:
        await self.plugin("unload", {"instance_id": instance_id})

    async def set_parameter(self, instance_id: str, symbol: str, value: float) -> float:
        result = await self.plugin(
            "set_parameter", {"instance_id": instance_id, "symbol": symbol, "value": value}
        )
        if isinstance(result, dict) and isinstance(result.get("value"), int | float):
            return float(result["value"])
        return value

    async def bypass(self, instance_id: str, bypassed: bool) -> None:
        await self.plugin("bypass", {"instance_id": instance_id, "bypassed": bypassed})

    async def load_preset(self, instance_id: str, uri: str) -> dict[str, float]:
        result = await self.plugin("load_preset", {"instance_id": instance_id, "uri": uri})
        params = result.get("parameters", {}) if isinstance(result, dict) else {}
        return _convert(params, dict[str, float], "plugin.load_preset")

    async def save_preset(self, instance_id: str, label: str) -> str:
        result = await self.plugin("save_preset", {"instance_id": instance_id, "label": label})
        return str(result.get("uri", "")) if isinstance(result, dict) else ""

    async def delete_preset(self, uri: str) -> None:
        await self.plugin("delete_preset", {"uri": uri})

    async def reset(self) -> None:
        await self.plugin("reset", {})

    async def transaction(self, phase: TransactionPhase) -> TransactionState:
        """Mark where a board switch begins or ends (the engine swaps it in at once)."""
        result = await self.plugin("transaction", {"phase": phase.value})
        return _convert(result, TransactionState, "plugin.transaction")

    async def info(self, uri: str) -> PluginInfo:
        return _convert(await self.plugin("info", {"uri": uri}), PluginInfo, "plugin.info")

    async def list_plugins(self, params: dict[str, Any]) -> list[PluginSummary]:
        return _convert(await self.plugin("list", params), list[PluginSummary], "plugin.list")

    async def presets(self, uri: str) -> list[PresetInfo]:
        result = await self.plugin("presets", {"uri": uri})
        return _convert(result, list[PresetInfo], "plugin.presets")

    async def categories(self) -> list[str]:
        return _convert(await self.plugin("categories", {}), list[str], "plugin.categories")

    async def connect(self, source: str, target: str) -> None:
        await self.bridge.call("connect", {"source": source, "target": target})

    async def disconnect(self, source: str, target: str) -> None:
        await self.bridge.call("disconnect", {"source": source, "target": target})

    async def list_connections(self) -> list[tuple[str, str]]:
        result = await self.bridge.call("list_connections", {})
        pairs: list[tuple[str, str]] = []
        for item in result if isinstance(result, list) else []:
            if isinstance(item, dict) and "source" in item and "target" in item:
                pairs.append((str(item["source"]), str(item["target"])))
            elif isinstance(item, list | tuple) and len(item) == 2:
                pairs.append((str(item[0]), str(item[1])))
        return pairs

    async def list_ports(self, params: dict[str, Any] | None = None) -> list[PortEntry]:
        result = await self.audio("list_ports", params or {})
        return _convert(result, list[PortEntry], "audio.list_ports")
