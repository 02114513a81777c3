"""Plugin Manager through the Session Manager, against the in-package FakeBridge."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from stompbox.contract.errors import ConflictError, NotFoundError, ValidationError
from stompbox.contract.session import SetParameter
from stompbox.session.fake_bridge import AMP, STEREO, SYNTH, FakeBridge

from .test_session_support import bridge_event, make_session


async def test_load_plugin_builds_the_instance_and_publishes(tmp_path: Path) -> None:
    m, bridge, events = await make_session(tmp_path)
    plugin = await m.load_plugin(AMP, 10, 20)
    assert plugin.instance_id == "test_amp_1"
    assert plugin.name == "Test Amp"
    assert plugin.brand == "stompbox"
    assert plugin.version == "1.0"
    assert plugin.parameters == {"gain": 0.0, "mode": 0.0, "on": 1.0}
    assert set(plugin.ports) == {"in", "out"}
    assert set(plugin.available_parameters) == {"gain", "mode", "on"}
    assert plugin.outputs == {"level": 0.0}
    assert (plugin.x, plugin.y, plugin.enabled, plugin.preset) == (10, 20, True, None)
    assert plugin.created_at
    assert "test_amp_1" in bridge.instances
    loaded = events.of("plugin_loaded")
    assert loaded[0]["instance_id"] == "test_amp_1"
    assert loaded[0]["plugin"]["uri"] == AMP
    second = await m.load_plugin(AMP)
    assert second.instance_id == "test_amp_2"
    assert [p.instance_id for p in m.current_pedalboard().plugins] == ["test_amp_1", "test_amp_2"]


async def test_load_errors_change_nothing(tmp_path: Path) -> None:
    m, bridge, events = await make_session(tmp_path)
    events.clear()
    with pytest.raises(NotFoundError):
        await m.load_plugin("urn:not:installed")
    await m.load_plugin(AMP, instance_id="mine")
    with pytest.raises(ConflictError):
        await m.load_plugin(AMP, instance_id="mine")
    for bad in ("system", "a:b", "", "x" * 65, "sp ace"):
        with pytest.raises(ValidationError):
            await m.load_plugin(AMP, instance_id=bad)
    with pytest.raises(ValidationError):
        await m.load_plugin(AMP, x=float("nan"))
    assert list(bridge.instances) == ["mine"]
    assert events.names() == ["plugin_loaded"]


async def test_set_parameter_validates_against_port_metadata(tmp_path: Path) -> None:
    m, bridge, events = await make_session(tmp_path)
    await m.load_plugin(AMP)
    events.clear()
    assert await m.set_parameter("test_amp_1", "gain", -6.5) == -6.5
    assert bridge.instances["test_amp_1"].values["gain"] == -6.5
    assert events.of("parameter_changed") == [
        {"instance_id": "test_amp_1", "symbol": "gain", "value": -6.5, "source": "session"}
    ]
    cases: list[tuple[str, str, float, type[Exception], str]] = [
        ("test_amp_1", "nope", 1.0, ValidationError, "unknown parameter symbol 'nope'"),
        ("test_amp_1", "gain", 30.0, ValidationError, r"out of range \[-70, 24\]"),
        ("test_amp_1", "gain", -71.0, ValidationError, "out of range"),
        ("test_amp_1", "gain", float("inf"), ValidationError, "finite"),
        ("test_amp_1", "mode", 1.5, ValidationError, "whole numbers"),
        ("test_amp_1", "on", 0.5, ValidationError, "toggle"),
        ("test_amp_1", "in", 0.5, ValidationError, "not an input control port"),
        ("test_amp_1", "level", 0.5, ValidationError, "not an input control port"),
        ("ghost", "gain", 0.0, NotFoundError, "no plugin instance 'ghost'"),
    ]
    for iid, symbol, value, exc, message in cases:
        with pytest.raises(exc, match=message):
            await m.set_parameter(iid, symbol, value)
    with pytest.raises(ValidationError, match="must be a number"):
        await m.set_parameter("test_amp_1", "gain", "loud")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be a number"):
        await m.set_parameter("test_amp_1", "gain", True)
    assert m.current_pedalboard().plugins[0].parameters["gain"] == -6.5
    assert bridge.instances["test_amp_1"].values["gain"] == -6.5
    assert len(events.names()) == 1


async def test_set_parameters_is_all_or_nothing(tmp_path: Path) -> None:
    m, bridge, _events = await make_session(tmp_path)
    await m.load_plugin(AMP)
    good = SetParameter("test_amp_1", "gain", 3.0)
    with pytest.raises(ValidationError):
        await m.set_parameters([good, SetParameter("test_amp_1", "gain", 99.0)])
    assert bridge.instances["test_amp_1"].values["gain"] == 0.0
    assert await m.set_parameters([good, SetParameter("test_amp_1", "mode", 2.0)]) == [3.0, 2.0]
    assert m.current_pedalboard().plugins[0].parameters == {"gain": 3.0, "mode": 2.0, "on": 1.0}


async def test_concurrent_setters_leave_model_and_engine_equal(tmp_path: Path) -> None:
    m, bridge, _ = await make_session(tmp_path)
    await m.load_plugin(AMP)
    values = [float(v) for v in range(-60, 20)]
    await asyncio.gather(*(m.set_parameter("test_amp_1", "gain", v) for v in values))
    final = m.current_pedalboard().plugins[0].parameters["gain"]
    assert final == bridge.instances["test_amp_1"].values["gain"]
    assert final == values[-1]  # the lock keeps arrival order


async def test_bypass_move_presets(tmp_path: Path) -> None:
    m, bridge, events = await make_session(tmp_path)
    await m.load_plugin(AMP)
    events.clear()
    await m.bypass_plugin("test_amp_1", True)
    assert bridge.instances["test_amp_1"].bypassed
    assert not m.current_pedalboard().plugins[0].enabled
    await m.move_plugin("test_amp_1", 5.5, -3)
    with pytest.raises(ValidationError):
        await m.move_plugin("test_amp_1", float("nan"), 0)
    values = await m.load_preset("test_amp_1", f"{AMP}#loud")
    assert values["gain"] == 24.0
    plugin = m.current_pedalboard().plugins[0]
    assert plugin.preset == f"{AMP}#loud"
    assert plugin.parameters["gain"] == 24.0
    with pytest.raises(NotFoundError):
        await m.load_preset("test_amp_1", "urn:no-preset")
    assert (await m.save_preset("test_amp_1", "Mine")).endswith("user-Mine")
    with pytest.raises(ValidationError):
        await m.save_preset("test_amp_1", "bad\nlabel")
    assert events.names() == ["plugin_bypassed", "plugin_moved", "preset_loaded"]
    assert events.of("plugin_moved") == [{"instance_id": "test_amp_1", "x": 5.5, "y": -3.0}]


async def test_unload_removes_connections_first(tmp_path: Path) -> None:
    m, bridge, events = await make_session(tmp_path)
    await m.load_plugin(AMP)
    await m.connect("system:capture_1", "test_amp_1:in")
    await m.connect("test_amp_1:out", "system:playback_1")
    events.clear()
    await m.unload_plugin("test_amp_1")
    assert events.names() == ["connection_removed", "connection_removed", "plugin_unloaded"]
    board = m.current_pedalboard()
    assert board.plugins == []
    assert board.connections == []
    assert bridge.instances == {}
    assert bridge.connections == set()
    with pytest.raises(NotFoundError):
        await m.unload_plugin("test_amp_1")


async def test_events_from_the_engine_update_the_model(tmp_path: Path) -> None:
    m, _, events = await make_session(tmp_path)
    await m.load_plugin(AMP)
    events.clear()
    await m.on_bridge_event(
        bridge_event(
            "parameter_changed", {"instance_id": "test_amp_1", "symbol": "gain", "value": -3.0}
        )
    )
    await m.on_bridge_event(
        bridge_event("parameter_changed", {"instance_id": "zz", "symbol": "g", "value": 1})
    )
    await m.on_bridge_event(
        bridge_event(
            "output_changed", {"instance_id": "test_amp_1", "symbol": "level", "value": 0.25}
        )
    )
    plugin = m.current_pedalboard().plugins[0]
    assert plugin.parameters["gain"] == -3.0
    assert plugin.outputs["level"] == 0.25
    assert events.names() == ["parameter_changed", "output_changed"]
    assert events.of("parameter_changed")[0]["source"] == "engine"


async def test_cpu_load_is_throttled(tmp_path: Path) -> None:
    m, _, events = await make_session(tmp_path)
    events.clear()
    sent = [
        m.control.on_cpu_load(
            bridge_event("cpu_load", {"avg": 1.0, "max": 2.0, "xruns": 0}), now=t / 100
        )
        for t in range(100)
    ]
    assert sum(sent) == 4  # one second of events at 100/s → at most 4
    assert m.dump().audio["dsp_load"] == 1.0


async def test_other_plugins_and_catalog(tmp_path: Path) -> None:
    m, _, _ = await make_session(tmp_path, FakeBridge())
    synth = await m.load_plugin(SYNTH)
    delay = await m.load_plugin(STEREO)
    assert synth.ports["midi_in"].type == "midi"
    assert delay.parameters == {"time": 250.0}
    assert len(await m.state.bridge.list_plugins({})) == 3
    assert await m.state.bridge.categories() == ["Amplifier", "Delay", "Instrument"]


async def test_user_presets_are_listed_as_the_users_and_deleted(tmp_path: Path) -> None:
    from stompbox.contract.session import Done, PluginUri, PresetUri
    from stompbox.session.handlers import Handlers

    m, _, _ = await make_session(tmp_path)
    await m.load_plugin(AMP)
    handlers = Handlers(m, dict)
    mine = await m.save_preset("test_amp_1", "Mine")
    listed = await handlers.plugin_presets(PluginUri(AMP))
    assert [(pr.label, pr.user) for pr in listed] == [("Loud", False), ("Mine", True)]
    assert await handlers.delete_preset(PresetUri(mine)) == Done()
    assert [pr.user for pr in await handlers.plugin_presets(PluginUri(AMP))] == [False]
    with pytest.raises(NotFoundError):
        await handlers.delete_preset(PresetUri(mine))
    with pytest.raises(NotFoundError):  # a factory preset is not the user's to delete
        await handlers.delete_preset(PresetUri(f"{AMP}#loud"))


async def test_a_crashed_plugin_stays_in_the_state_until_the_engine_runs_it_again(
    tmp_path: Path,
) -> None:
    """A page that loads while a plugin is lost still marks its block (state.crashed)."""
    from stompbox.contract.bridge import PluginDied

    m, _, events = await make_session(tmp_path)
    await m.load_plugin(AMP, instance_id="amp")
    await m.on_bridge_event(PluginDied("amp", -11))
    assert m.dump().crashed == ["amp"]
    assert events.of("plugin_died")[-1]["instance_id"] == "amp"
    await m.on_bridge_event(PluginDied("nobody", -11))  # not on the board: nothing to mark
    assert m.dump().crashed == ["amp"]
    await m.connect_engine(reset=True)  # the board is replayed: it runs again
    assert m.dump().crashed == []
