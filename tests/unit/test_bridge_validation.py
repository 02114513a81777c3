"""Port look-ups, and the one rule for values (contract/values.py): check what clients send,
shape what files hold."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from stompbox.bridge.validation import audio_port, control_port
from stompbox.contract.errors import ValidationError
from stompbox.contract.plugin import Direction, PluginInfo, PortInfo, PortType, ScalePoint
from stompbox.contract.values import check_value, shape_value


def ctl(symbol: str = "gain", **kw: object) -> PortInfo:
    base: dict[str, object] = {
        "index": 0,
        "symbol": symbol,
        "name": symbol,
        "type": PortType.CONTROL,
        "direction": Direction.INPUT,
        "minimum": -70.0,
        "maximum": 70.0,
        "default": 0.0,
    }
    base.update(kw)
    return PortInfo(**base)  # type: ignore[arg-type]


PLUGIN = PluginInfo(
    uri="urn:p",
    name="P",
    ports=[
        ctl(),
        ctl("level", direction=Direction.OUTPUT),
        PortInfo(index=2, symbol="in", name="in", type=PortType.AUDIO, direction=Direction.INPUT),
    ],
)


def test_clamps_like_mod_host() -> None:
    assert shape_value(ctl(), 1000) == 70.0
    assert shape_value(ctl(), -1000) == -70.0
    assert shape_value(ctl(), 3.25) == 3.25


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_is_validation(bad: float) -> None:
    with pytest.raises(ValidationError):
        shape_value(ctl(), bad)


def test_toggled_integer_enumeration() -> None:
    toggle = ctl(toggled=True, minimum=0.0, maximum=1.0)
    assert shape_value(toggle, 0.7) == 1.0
    assert shape_value(toggle, 0.2) == 0.0
    assert shape_value(toggle, 5) == 1.0
    integer = ctl(integer=True, minimum=0.0, maximum=10.0)
    assert shape_value(integer, 2.5) == 3.0
    assert shape_value(integer, 2.4) == 2.0
    assert shape_value(integer, 99) == 10.0
    enum = ctl(
        enumeration=True,
        minimum=0.0,
        maximum=4.0,
        scale_points=[ScalePoint("a", 0.0), ScalePoint("b", 2.0), ScalePoint("c", 4.0)],
    )
    assert shape_value(enum, 1.2) == 2.0
    assert shape_value(enum, 3.9) == 4.0


def test_port_lookup() -> None:
    assert control_port(PLUGIN, "gain", Direction.INPUT).symbol == "gain"
    assert control_port(PLUGIN, "level", Direction.OUTPUT).symbol == "level"
    with pytest.raises(ValidationError):
        control_port(PLUGIN, "level", Direction.INPUT)
    with pytest.raises(ValidationError):
        control_port(PLUGIN, "nope", Direction.INPUT)
    with pytest.raises(ValidationError):
        control_port(PLUGIN, "in", Direction.INPUT)
    assert audio_port(PLUGIN, "in").symbol == "in"
    with pytest.raises(ValidationError):
        audio_port(PLUGIN, "gain")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_result_is_always_in_range(value: float) -> None:
    v = shape_value(ctl(), value)
    assert -70.0 <= v <= 70.0
    if -70.0 <= value <= 70.0:
        assert v == value


def test_client_values_are_refused_not_clamped() -> None:
    assert check_value(ctl(), 3.25) == 3.25
    assert check_value(ctl(), 70) == 70.0
    for bad in (1000, -70.5, math.nan, math.inf, "3", True, None):
        with pytest.raises(ValidationError):
            check_value(ctl(), bad)
    toggle = ctl(toggled=True, minimum=0.0, maximum=1.0)
    assert check_value(toggle, 1) == 1.0
    with pytest.raises(ValidationError):
        check_value(toggle, 0.5)
    with pytest.raises(ValidationError):
        check_value(ctl(integer=True, minimum=0.0, maximum=10.0), 2.5)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_shaped_value_always_passes_the_check(value: float) -> None:
    """Whatever a file holds, once shaped it is a value a client could have sent."""
    for port in (
        ctl(),
        ctl(toggled=True, minimum=0.0, maximum=1.0),
        ctl(integer=True, minimum=0.0, maximum=10.0),
    ):
        shaped = shape_value(port, value)
        assert check_value(port, shaped) == shaped
