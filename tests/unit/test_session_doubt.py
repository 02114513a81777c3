"""A bypass, a cable or a preset load the engine did not answer in time: the model's state of
that item follows it (the engine may apply the late request), unless a newer request of that
item left after it. As in test_session_uncertain.py, this bridge applies the request and then
answers `timeout`, as a stalled engine does (tests/integration/test_structural_stall.py stalls a
real one)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, TypeVar

import pytest

from stompbox.contract import bridge_api as B
from stompbox.contract.errors import StompboxTimeoutError
from stompbox.contract.method import Method
from stompbox.contract.stats import ReasserterStatistics
from stompbox.session.fake_bridge import AMP, FakeBridge

from .test_session_support import make_session

P = TypeVar("P")
R = TypeVar("R")


class LateBridge(FakeBridge):
    """The next `stalls` calls of `stalling` reach the engine but answer `timeout`."""

    stalls = 0
    stalling: frozenset[Method[Any, Any]] = frozenset()

    async def call(self, method: Method[P, R], params: P) -> R:
        result = await super().call(method, params)
        if method in self.stalling and self.stalls > 0:
            self.stalls -= 1
            raise StompboxTimeoutError(f"engine did not answer {method.name} within 1 s")
        return result


def late(*methods: Method[Any, Any]) -> LateBridge:
    bridge = LateBridge()
    bridge.stalling = frozenset(methods)
    return bridge


async def _settled(m: Any) -> None:
    while m.doubts._tasks:
        await asyncio.gather(*m.doubts._tasks)


async def test_a_timed_out_bypass_is_followed_by_the_model_state(tmp_path: Path) -> None:
    bridge = late(B.PLUGIN_BYPASS)
    m, _, events = await make_session(tmp_path, bridge)
    await m.load_plugin(AMP, instance_id="amp")
    bridge.stalls = 1
    with pytest.raises(StompboxTimeoutError):
        await m.bypass_plugin("amp", True)
    assert bridge.instances["amp"].bypassed  # the engine applied it late
    await _settled(m)
    assert m.current_pedalboard().plugins[0].enabled
    assert not bridge.instances["amp"].bypassed
    assert m.doubts.statistics() == ReasserterStatistics(reasserted=1, pending=0)
    assert events.of("plugin_bypassed") == []


async def test_a_bypass_that_times_out_again_is_sent_again(tmp_path: Path) -> None:
    bridge = late(B.PLUGIN_BYPASS)
    m, _, _ = await make_session(tmp_path, bridge)
    await m.load_plugin(AMP, instance_id="amp")
    bridge.stalls = 2  # the request and the first re-assert
    with pytest.raises(StompboxTimeoutError):
        await m.bypass_plugin("amp", True)
    await _settled(m)
    assert not bridge.instances["amp"].bypassed
    assert m.doubts.reasserted == 1


async def test_a_newer_bypass_decides_instead(tmp_path: Path) -> None:
    bridge = late(B.PLUGIN_BYPASS)
    m, _, _ = await make_session(tmp_path, bridge)
    await m.load_plugin(AMP, instance_id="amp")
    bridge.stalls = 1
    with pytest.raises(StompboxTimeoutError):
        await m.bypass_plugin("amp", False)
    await m.bypass_plugin("amp", True)  # left after the late one: its outcome decides
    await _settled(m)
    assert bridge.instances["amp"].bypassed
    assert not m.current_pedalboard().plugins[0].enabled
    assert m.doubts.reasserted == 0


async def test_a_timed_out_connect_is_taken_back(tmp_path: Path) -> None:
    bridge = late(B.CONNECT)
    m, _, _ = await make_session(tmp_path, bridge)
    await m.load_plugin(AMP, instance_id="amp")
    bridge.stalls = 1
    with pytest.raises(StompboxTimeoutError):
        await m.connect("amp:out", "system:playback_1")
    assert ("amp:out", "system:playback_1") in bridge.connections  # applied late
    await _settled(m)
    assert m.current_pedalboard().connections == []
    assert ("amp:out", "system:playback_1") not in bridge.connections
    assert m.doubts.reasserted == 1


async def test_a_timed_out_disconnect_is_drawn_again(tmp_path: Path) -> None:
    bridge = late(B.DISCONNECT)
    m, _, _ = await make_session(tmp_path, bridge)
    await m.load_plugin(AMP, instance_id="amp")
    await m.connect("amp:out", "system:playback_1")
    bridge.stalls = 1
    with pytest.raises(StompboxTimeoutError):
        await m.disconnect("amp:out", "system:playback_1")
    assert ("amp:out", "system:playback_1") not in bridge.connections
    await _settled(m)
    assert len(m.current_pedalboard().connections) == 1
    assert ("amp:out", "system:playback_1") in bridge.connections


async def test_a_timed_out_preset_load_is_followed_by_the_model_values(tmp_path: Path) -> None:
    bridge = late(B.PLUGIN_LOAD_PRESET)
    m, _, _ = await make_session(tmp_path, bridge)
    await m.load_plugin(AMP, instance_id="amp")
    await m.set_parameter("amp", "gain", -6.5)
    await m.set_parameter("amp", "mode", 1)
    bridge.stalls = 1
    with pytest.raises(StompboxTimeoutError):
        await m.load_preset("amp", f"{AMP}#loud")
    assert bridge.instances["amp"].values["gain"] == 24.0  # the preset landed late
    await _settled(m)
    plugin = m.current_pedalboard().plugins[0]
    assert plugin.parameters["gain"] == -6.5
    assert plugin.preset is None
    assert bridge.instances["amp"].values == plugin.parameters
    assert m.doubts.reasserted == 1


async def test_a_knob_turned_after_the_late_preset_keeps_its_value(tmp_path: Path) -> None:
    bridge = late(B.PLUGIN_LOAD_PRESET)
    m, _, _ = await make_session(tmp_path, bridge)
    await m.load_plugin(AMP, instance_id="amp")
    bridge.stalls = 1
    with pytest.raises(StompboxTimeoutError):
        await m.load_preset("amp", f"{AMP}#loud")
    await m.set_parameter("amp", "gain", 3)  # left after the preset: it decides for gain
    await _settled(m)
    assert bridge.instances["amp"].values["gain"] == 3
    assert m.current_pedalboard().plugins[0].parameters["gain"] == 3


async def test_nothing_is_sent_once_the_engine_is_gone(tmp_path: Path) -> None:
    bridge = late(B.PLUGIN_BYPASS)
    m, _, _ = await make_session(tmp_path, bridge)
    await m.load_plugin(AMP, instance_id="amp")
    bridge.stalls = 1
    with pytest.raises(StompboxTimeoutError):
        await m.bypass_plugin("amp", True)
    m.state.engine_connected = False  # the link is lost: the replay after it takes over
    await _settled(m)
    assert bridge.instances["amp"].bypassed
    assert m.doubts.reasserted == 0
