"""Start/stop processing end to end: HTTP → session → bridge → engine, verified by audio."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import httpx
import pytest

from stompbox.zmqservice import RpcClient, Subscriber
from tests.support.audio import AudioProbe
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"
_names = itertools.count()


def playback_rms(probe: AudioProbe) -> float:
    """RMS of whatever feeds system:playback_1 now (silence when nothing does)."""
    for port in probe.inputs:
        port.disconnect()
    probe.record_playback()
    return probe.measure_rms(0.3)[0]


async def set_processing(api: httpx.AsyncClient, enabled: bool) -> dict[str, Any]:
    response = await api.put("/api/audio/processing", json={"enabled": enabled})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def next_engine_status(sub: Subscriber) -> dict[str, Any]:
    async with asyncio.timeout(30.0):
        async for event in sub:
            if event.event == "engine_status":
                return dict(event.data)
    raise AssertionError("subscription ended")


async def test_processing_off_silences_the_board_and_on_restores(stack: Stack) -> None:
    async with (
        httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as api,
        RpcClient(stack.bridge_rpc, timeout=30.0) as bridge,
        Subscriber(stack.session_pub, ["engine_status"]) as sub,
    ):
        await sub.wait_connected()
        created = await api.post("/api/pedalboards", json={"name": f"proc {time.time_ns()}"})
        assert created.status_code == 200, created.text
        loaded = await api.post("/api/pedalboard/plugins", json={"uri": AMP})
        assert loaded.status_code == 200, loaded.text
        iid = loaded.json()["instance_id"]
        wired = await api.post(
            "/api/pedalboard/connections",
            json={"source": f"{iid}:output", "target": "system:playback_1"},
        )
        assert wired.status_code == 200, wired.text
        try:
            with AudioProbe(stack.jack.name, name=f"procprobe{next(_names)}") as probe:
                # the probe stands in for the capture port (through the bridge: plugin ports
                # are inside the engine's one JACK client)
                await bridge.call("connect", {"source": probe.out(), "target": f"{iid}:input"})
                on = await asyncio.to_thread(playback_rms, probe)
                assert on == pytest.approx(probe.input_rms, rel=0.05)

                status = await set_processing(api, False)
                assert status["processing"] is False
                assert (await next_engine_status(sub))["processing"] is False
                assert (await api.get("/api/state")).json()["audio"]["processing"] is False
                assert (await api.get("/api/audio/status")).json()["processing"] is False
                off = await asyncio.to_thread(playback_rms, probe)
                assert off == pytest.approx(0.0, abs=1e-4)

                status = await set_processing(api, True)
                assert status["processing"] is True
                assert (await next_engine_status(sub))["processing"] is True
                assert (await api.get("/api/state")).json()["audio"]["processing"] is True
                again = await asyncio.to_thread(playback_rms, probe)
                assert again == pytest.approx(on, rel=0.05)
        finally:
            await api.put("/api/audio/processing", json={"enabled": True})
            await api.delete(f"/api/pedalboard/plugins/{iid}")


async def test_processing_body_is_validated(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as api:
        response = await api.put("/api/audio/processing", json={"enabled": "maybe"})
        assert response.status_code == 422
        response = await api.put("/api/audio/processing", json={})
        assert response.status_code == 422
