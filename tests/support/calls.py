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


async def metered_amp(api: Any, name: str) -> str:
    """Over the web API (`api`: an httpx client of the stack's web): a new board `name` with
    the swh amp at 0 dB between capture_1 and playback_1, the meter started; the amp's id.
    (A probe feeding the engine's outside port for the amp's input, effect_N:input, stands in
    for the silent capture.)"""
    await api.post("/api/pedalboards", json={"name": name})
    iid = str((await api.post("/api/pedalboard/plugins", json={"uri": AMP})).json()["instance_id"])
    await api.put(f"/api/pedalboard/plugins/{iid}/parameters/gain", json={"value": 0.0})
    for source, target in (
        ("system:capture_1", f"{iid}:input"),
        (f"{iid}:output", "system:playback_1"),
    ):
        r = await api.post("/api/pedalboard/connections", json={"source": source, "target": target})
        assert r.status_code == 200, r.text
    assert (await api.post("/api/meter/start")).json()["active"] is True
    return iid
