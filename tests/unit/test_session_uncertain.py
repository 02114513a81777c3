"""A knob turn the engine did not answer in time: the model's value follows it (the engine may
apply the late one), unless a newer turn of that knob left after it. The stall is a fault the
unit tests cannot cause for real (tests/integration/test_engine_stall.py does, with SIGSTOP):
this bridge applies the value and then answers `timeout`, as a stalled engine does."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, TypeVar

import pytest

from stompbox.contract import bridge_api as B
from stompbox.contract.errors import StompboxTimeoutError
from stompbox.contract.method import Method
from stompbox.contract.session import SetParameter
from stompbox.contract.stats import ReasserterStatistics
from stompbox.session.fake_bridge import AMP, FakeBridge

from .test_session_support import make_session

P = TypeVar("P")
R = TypeVar("R")


class LateBridge(FakeBridge):
    """The next `stalls` set_parameter calls reach the engine but answer `timeout`."""

    stalls = 0

    async def call(self, method: Method[P, R], params: P) -> R:
        result = await super().call(method, params)
        if method is B.PLUGIN_SET_PARAMETER and self.stalls > 0:
            self.stalls -= 1
            raise StompboxTimeoutError("engine did not answer param_set within 1 s")
        return result


async def _settled(m: Any) -> None:
    await asyncio.gather(*m.reasserter._tasks)


async def test_a_timed_out_knob_turn_is_followed_by_the_model_value(tmp_path: Path) -> None:
    bridge = LateBridge()
    m, _, events = await make_session(tmp_path, bridge)
    await m.load_plugin(AMP, instance_id="amp")
    await m.set_parameter("amp", "gain", -6.5)
    bridge.stalls = 1
    with pytest.raises(StompboxTimeoutError):
        await m.set_parameter("amp", "gain", 12)
    assert bridge.instances["amp"].values["gain"] == 12  # the engine applied it late
    await _settled(m)
    assert m.current_pedalboard().plugins[0].parameters["gain"] == -6.5
    assert bridge.instances["amp"].values["gain"] == -6.5
    assert m.reasserter.statistics() == ReasserterStatistics(reasserted=1, pending=0)
    assert 12 not in [e["value"] for e in events.of("parameter_changed")]


async def test_a_newer_turn_of_the_knob_decides_instead(tmp_path: Path) -> None:
    bridge = LateBridge()
    m, _, _ = await make_session(tmp_path, bridge)
    await m.load_plugin(AMP, instance_id="amp")
    bridge.stalls = 1
    with pytest.raises(StompboxTimeoutError):
        await m.set_parameter("amp", "gain", 12)
    await m.set_parameter("amp", "gain", 3)  # left after the late one: its outcome decides
    await _settled(m)
    assert bridge.instances["amp"].values["gain"] == 3
    assert m.current_pedalboard().plugins[0].parameters["gain"] == 3
    assert m.reasserter.reasserted == 0


async def test_a_timed_out_value_of_a_batch_is_followed_too(tmp_path: Path) -> None:
    bridge = LateBridge()
    m, _, _ = await make_session(tmp_path, bridge)
    await m.load_plugin(AMP, instance_id="amp")
    await m.set_parameter("amp", "gain", -6.5)
    bridge.stalls = 1
    with pytest.raises(StompboxTimeoutError):
        await m.set_parameters([SetParameter("amp", "gain", 12)])
    await _settled(m)
    assert bridge.instances["amp"].values["gain"] == -6.5
    assert m.reasserter.reasserted == 1
