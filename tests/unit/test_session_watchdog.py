"""A failed board load changes nothing; the watchdog brings the engine back to the model and
repairs drifted values and connections (against the in-package FakeBridge)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import pytest

from stompbox.contract import bridge_api as B
from stompbox.contract.errors import StompboxConnectionError
from stompbox.contract.method import Method
from stompbox.session.fake_bridge import AMP, SYNTH, FakeBridge
from stompbox.session.state import HIDDEN_INSTANCES, EngineInstance
from stompbox.session.watchdog import Watchdog

from .test_session_support import make_session

P = TypeVar("P")
R = TypeVar("R")


class FlakyBridge(FakeBridge):
    """Loads fail like a bridge that lost its engine mid-load while `broken` is set."""

    broken = False

    async def call(self, method: Method[P, R], params: P) -> R:
        if self.broken and method is B.PLUGIN_LOAD:
            raise StompboxConnectionError("engine connection lost: mid-load")
        return await super().call(method, params)


async def test_failed_load_keeps_the_previous_board_and_engine_follows(tmp_path: Path) -> None:
    bridge = FlakyBridge()
    m, bridge, events = await make_session(tmp_path, bridge)
    await m.create_pedalboard("A")
    await m.load_plugin(AMP, instance_id="amp")
    await m.save_pedalboard()
    await m.create_pedalboard("B")
    await m.load_plugin(SYNTH, instance_id="synth")
    events.clear()
    assert isinstance(bridge, FlakyBridge)
    bridge.broken = True
    with pytest.raises(StompboxConnectionError):
        await m.load_pedalboard("a")
    assert m.current_pedalboard().id == "b"  # the session stays on B ...
    assert "pedalboard_loaded" not in events.names()  # ... and so does every client
    assert set(bridge.instances) == set()  # the engine is half way (B unloaded, A not loaded)
    bridge.broken = False
    reports: list[tuple[str, str]] = []
    dog = Watchdog(m, lambda kind, message: reports.append((kind, message)))
    await dog.round()
    await dog.round()
    assert set(bridge.instances) == {"synth"}  # ... until the watchdog brings it back to B
    assert reports
    assert reports[0][0] == "drift_repaired"


async def test_drifted_value_and_connection_are_repaired(tmp_path: Path) -> None:
    m, bridge, _ = await make_session(tmp_path)
    await m.load_plugin(AMP, instance_id="amp")
    await m.set_parameter("amp", "gain", -6.5)
    await m.connect("amp:out", "system:playback_1")
    bridge.instances["amp"].values["gain"] = 12.0  # behind the session's back
    bridge.connections.clear()
    reports: list[str] = []
    dog = Watchdog(m, lambda _kind, message: reports.append(message))
    await dog.round()
    assert reports == []  # seen once: may be a change in flight
    await dog.round()
    assert bridge.instances["amp"].values["gain"] == -6.5
    assert ("amp:out", "system:playback_1") in bridge.connections
    assert len(reports) == 2


async def test_hidden_live_instances_are_not_drift(tmp_path: Path) -> None:
    """The tuner's and meter's instances run in the engine but never on a board: the watchdog
    must not take them for plugins of another board and replay them away."""
    m, bridge, _ = await make_session(tmp_path)
    await m.load_plugin(AMP, instance_id="amp")
    st = m.state
    for hidden in sorted(HIDDEN_INSTANCES):
        await st.bridge.load(AMP, hidden)
        st.engine.instances[hidden] = EngineInstance(AMP, {}, False)
    reports: list[tuple[str, str]] = []
    dog = Watchdog(m, lambda kind, message: reports.append((kind, message)))
    for _ in range(3):
        await dog.round()
    assert set(bridge.instances) == {"amp", *HIDDEN_INSTANCES}
    assert reports == []
