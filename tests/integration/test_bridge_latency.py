"""A plugin's reported latency through the bridge: LSP's limiter reports its lookahead as
latency (lv2:latency output port); the bridge's state shows it and `plugin_latency` tells when
it changes. Runs against the embedded engine, or a real mod-host (STOMPBOX_TEST_MODHOST)."""

from __future__ import annotations

import asyncio
import time

import pytest

from stompbox.zmqservice import RpcClient, Subscriber
from tests.integration.test_bridge import (  # the bridge stack fixtures, one per module
    BridgeStack,
    client as client,
    next_event,
    plugin,
    stack as stack,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

LIMITER = "http://lsp-plug.in/plugins/lv2/limiter_mono"


async def latency_in_state(c: RpcClient, instance_id: str, timeout: float = 15.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        entry = (await c.call("state"))["instances"][instance_id]
        if entry.get("latency"):  # 0 until the plugin first ran (both engines may say so)
            return int(entry["latency"])
        assert time.monotonic() < deadline, f"no latency reported: {entry}"
        await asyncio.sleep(0.05)


async def test_a_plugins_latency_is_in_the_state_and_its_change_an_event(
    stack: BridgeStack, client: RpcClient
) -> None:
    async with Subscriber(stack.pub, ["plugin_latency"]) as sub:
        loaded = await plugin(client, "load", uri=LIMITER)
        iid = loaded["instance_id"]
        first = await latency_in_state(client, iid)
        assert first > 0  # 5 ms of lookahead by default
        ev = await next_event(sub, "plugin_latency", timeout=15)
        if ev.data["frames"] == 0:  # the port was reported before the plugin first ran
            ev = await next_event(sub, "plugin_latency", timeout=15)
        assert ev.data == {"instance_id": iid, "frames": first}
        await plugin(client, "set_parameter", instance_id=iid, symbol="lk", value=10.0)
        ev = await next_event(sub, "plugin_latency", timeout=15)
    assert ev.data["instance_id"] == iid
    assert ev.data["frames"] == pytest.approx(2 * first, abs=2)  # twice the lookahead
    assert await latency_in_state(client, iid) == ev.data["frames"]
