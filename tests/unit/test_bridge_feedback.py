"""Engine feedback → bridge events, and mod-host error codes → contract errors."""

from __future__ import annotations

import pytest

from stompbox.bridge.errors import from_modhost
from stompbox.bridge.feedback_events import feedback_events
from stompbox.contract.bridge import (
    BRIDGE_EVENTS,
    CpuLoadData,
    DspLoadData,
    EngineConnected,
    EngineFeedback,
    EngineLog,
    EngineParameterChanged,
    MidiMapped,
    OutputChanged,
    PluginDied,
)
from stompbox.contract.errors import (
    ConflictError,
    EngineError,
    NotFoundError,
    ResourceError,
    ValidationError,
)
from stompbox.contract.events import event_data, event_name
from stompbox.contract.live import MidiBindingsState, ProgramChangeConfig
from stompbox.modhost.errors import ModHostError
from stompbox.modhost.feedback import parse_feedback

IDS = {0: "amp_1", 3: "delay"}


def events(text: str) -> list[tuple[str, object]]:
    """(event name, typed event) for one feedback message."""
    return [(event_name(e), e) for e in feedback_events(parse_feedback(text), IDS.get)]


def test_typed_events() -> None:
    assert events("output_set 0 level 0.500000") == [
        ("output_changed", OutputChanged("amp_1", "level", 0.5))
    ]
    assert events("param_set 3 time 1.250000") == [
        ("parameter_changed", EngineParameterChanged("delay", "time", 1.25, "engine"))
    ]
    assert events("cpu_load 12.500000 20.000000 3") == [("cpu_load", CpuLoadData(12.5, 20.0, 3))]
    assert events("midi_mapped 0 gain 0 60 10.000000 -10.000000 10.000000") == [
        ("midi_mapped", MidiMapped("amp_1", "gain", 0, 60, 10.0, -10.0, 10.0))
    ]
    assert events("data_finish") == []
    assert events("dsp_load 3 41.500000 3.984000") == [
        ("dsp_load", DspLoadData("delay", 41.5, 3.984))
    ]
    assert events("dsp_load 7 1.000000 0.100000") == []  # an instance the bridge does not know


def test_log_and_plugin_died() -> None:
    assert events("log 1 hello") == [("engine_log", EngineLog(1, "hello"))]
    # a death is the engine's own message; its log line is only text
    assert events("log 3 effect_3 died") == [("engine_log", EngineLog(3, "effect_3 died"))]
    assert events("plugin_died 3 -11") == [("plugin_died", PluginDied("delay", -11))]
    assert events("plugin_died 9 1") == []  # an instance the bridge does not know


def test_bridge_events_decode_into_the_union_and_refuse_bad_data() -> None:
    assert BRIDGE_EVENTS.decode("plugin_died", {"instance_id": "a", "code": 1}) == PluginDied(
        "a", 1
    )
    assert BRIDGE_EVENTS.decode("engine_connected", {}) == EngineConnected()
    assert BRIDGE_EVENTS.decode("cpu_load", event_data(CpuLoadData(1.0, 2.0, 3))) == CpuLoadData(
        1.0, 2.0, 3
    )
    assert BRIDGE_EVENTS.decode("from_a_newer_bridge", {"x": 1}) is None
    with pytest.raises(ValidationError):
        BRIDGE_EVENTS.decode("cpu_load", {"avg": "x"})
    assert "type" not in event_data(PluginDied("a"))  # the tag travels as the envelope's name


def test_event_data_uses_the_wire_names_of_fields() -> None:
    state = MidiBindingsState([], [], None, ProgramChangeConfig())
    assert set(event_data(state)) == {"board", "global", "learning", "program_change"}


def test_unknown_instance_and_other_kinds_are_raw_feedback() -> None:
    assert events("output_set 9 level 0.500000") == [
        ("engine_feedback", EngineFeedback("output_set 9 level 0.500000"))
    ]
    assert events("transport 1 4.000000 120.000000") == [
        ("engine_feedback", EngineFeedback("transport 1 4.000000 120.000000"))
    ]
    assert events("something odd") == [("engine_feedback", EngineFeedback("something odd"))]


def test_error_mapping() -> None:
    cases = {
        -3: NotFoundError,
        -101: NotFoundError,
        -105: NotFoundError,
        -205: NotFoundError,
        -206: NotFoundError,
        -2: ConflictError,
        -103: ValidationError,
        -102: ResourceError,
        -902: EngineError,
        -401: EngineError,
    }
    for code, cls in cases.items():
        err = from_modhost(ModHostError(code), "cmd")
        assert type(err) is cls
        assert err.data["engine_code"] == code
    engine = from_modhost(ModHostError(-902, "param_set: not found"))
    assert isinstance(engine, EngineError)
    assert engine.engine_code == -902
    assert "not found" in engine.message
