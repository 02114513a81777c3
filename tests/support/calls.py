"""Calls integration tests make of a running stack: load a plugin once the catalog is ready,
read a value the engine holds (through the bridge, not the session's model)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from stompbox.zmqservice import RpcClient

AMP = "http://plugin.org.uk/swh-plugins/amp"
CATALOG_WAIT = 120.0


async def ready_plugin(session: RpcClient, uri: str = AMP) -> str:
    """Load `uri` on the session, retrying while the bridge's catalog still scans; its id."""
    deadline = time.monotonic() + CATALOG_WAIT
    while True:
        try:
            loaded = await session.call("load_plugin", {"uri": uri})
            return str(loaded["instance_id"])
        except Exception:
            assert time.monotonic() < deadline, "catalog not ready"
            await asyncio.sleep(0.5)


async def engine_value(bridge: RpcClient, iid: str, symbol: str = "gain") -> float:
    """The value the engine holds for a control input, asked through the bridge."""
    got: dict[str, Any] = await bridge.call(
        "plugin", {"method": "get_parameter", "params": {"instance_id": iid, "symbol": symbol}}
    )
    return float(got["value"])
