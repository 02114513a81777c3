"""The MIDI binding engine (pure): matching, scaling, switches, triggers, learning, bad input."""

from __future__ import annotations

import pytest

from stompbox.contract.errors import ValidationError
from stompbox.contract.live import (
    MAX_BINDINGS,
    BindingScope,
    BindingTarget,
    MidiBinding,
    MidiInput,
    MidiKind,
    SwitchMode,
)
from stompbox.contract.plugin import Direction, PortInfo, PortType, ScalePoint
from stompbox.session.midi_bindings import Action, BindingEngine, check_binding, scale

T = BindingTarget


def port(**kw: object) -> PortInfo:
    base: dict[str, object] = {
        "index": 0,
        "symbol": "gain",
        "name": "Gain",
        "type": PortType.CONTROL,
        "direction": Direction.INPUT,
        "minimum": -70.0,
        "maximum": 70.0,
        "default": 0.0,
    }
    base.update(kw)
    return PortInfo(**base)  # type: ignore[arg-type]


def cc(number: int, value: int, channel: int = 0) -> MidiInput:
    return MidiInput(kind="cc", channel=channel, number=number, value=value)


def engine_with(*bindings: MidiBinding) -> BindingEngine:
    e = BindingEngine()
    for b in bindings:
        e.add(b)
    return e


GAIN = port()
PORTS = {("amp", "gain"): GAIN}


def run(e: BindingEngine, msg: MidiInput, states: dict[str, bool] | None = None) -> list[Action]:
    actions, learned = e.handle(
        msg, lambda i, s: PORTS.get((i, s)), lambda b: (states or {}).get(b.target.value, False)
    )
    assert learned is None
    return actions


def test_cc_scales_into_the_port_range_and_binding_range() -> None:
    e = engine_with(
        MidiBinding(target=T.PARAMETER, channel=0, number=7, instance_id="amp", symbol="gain")
    )
    assert run(e, cc(7, 0))[0].value == -70.0
    assert run(e, cc(7, 127))[0].value == 70.0
    assert run(e, cc(7, 64))[0].value == pytest.approx(-70 + 140 * 64 / 127)
    ranged = MidiBinding(
        target=T.PARAMETER,
        channel=0,
        number=7,
        instance_id="amp",
        symbol="gain",
        minimum=-12.0,
        maximum=6.0,
        invert=True,
    )
    assert scale(ranged, GAIN, 0, "cc") == 6.0
    assert scale(ranged, GAIN, 127, "cc") == -12.0


def test_scaling_honours_toggle_integer_enum_and_log_ports() -> None:
    b = MidiBinding(target=T.PARAMETER, channel=0, number=1, instance_id="a", symbol="s")
    assert scale(b, port(minimum=0, maximum=1, toggled=True), 63, "cc") == 0.0
    assert scale(b, port(minimum=0, maximum=1, toggled=True), 64, "cc") == 1.0
    assert scale(b, port(minimum=0, maximum=10, integer=True), 64, "cc") == 5.0
    enum_port = port(
        minimum=0,
        maximum=2,
        enumeration=True,
        scale_points=[ScalePoint("a", 0), ScalePoint("b", 1), ScalePoint("c", 2)],
    )
    assert scale(b, enum_port, 70, "cc") == 1.0
    log_port = port(minimum=20.0, maximum=20000.0, logarithmic=True)
    assert scale(b, log_port, 0, "cc") == pytest.approx(20.0)
    assert scale(b, log_port, 127, "cc") == pytest.approx(20000.0)
    assert scale(b, log_port, 64, "cc") == pytest.approx(20 * 1000 ** (64 / 127))
    assert scale(b, GAIN, 0, "note_on") == 70.0
    assert scale(b, GAIN, 0, "note_off") == -70.0


def test_channel_number_and_kind_must_match() -> None:
    e = engine_with(
        MidiBinding(target=T.PARAMETER, channel=2, number=7, instance_id="amp", symbol="gain")
    )
    assert run(e, cc(7, 10, channel=0)) == []
    assert run(e, cc(8, 10, channel=2)) == []
    assert run(e, MidiInput(kind="note_on", channel=2, number=7)) == []
    assert len(run(e, cc(7, 10, channel=2))) == 1


def test_toggle_switch_flips_on_each_press_only() -> None:
    e = engine_with(MidiBinding(target=T.BYPASS, channel=0, number=80, instance_id="amp"))
    first = run(e, cc(80, 127), {"bypass": True})
    assert first == [Action(target=T.BYPASS, instance_id="amp", on=False)]
    assert run(e, cc(80, 0), {"bypass": False}) == []  # release: nothing
    assert run(e, cc(80, 127), {"bypass": False})[0].on is True
    # a footswitch that only sends 127: every message is a press
    assert run(e, cc(80, 127), {"bypass": True})[0].on is False
    # an expression pedal moving inside the upper half after a low value: one press only
    run(e, cc(80, 10))
    assert len(run(e, cc(80, 90))) == 1
    assert run(e, cc(80, 100)) == []


def test_momentary_switch_follows_the_pedal() -> None:
    e = engine_with(
        MidiBinding(
            target=T.MUTE,
            channel=0,
            number=81,
            mode=SwitchMode.MOMENTARY,
            scope=BindingScope.GLOBAL,
        )
    )
    assert run(e, cc(81, 127))[0].on is True
    assert run(e, cc(81, 0))[0].on is False
    inverted = engine_with(
        MidiBinding(target=T.MUTE, channel=0, number=81, invert=True, mode=SwitchMode.MOMENTARY)
    )
    assert run(inverted, cc(81, 127))[0].on is False
    notes = engine_with(
        MidiBinding(
            target=T.TUNER, kind=MidiKind.NOTE, channel=0, number=60, mode=SwitchMode.MOMENTARY
        )
    )
    assert run(notes, MidiInput(kind="note_on", channel=0, number=60, value=100))[0].on is True
    assert run(notes, MidiInput(kind="note_off", channel=0, number=60))[0].on is False


def test_triggers_fire_on_press() -> None:
    e = engine_with(
        MidiBinding(target=T.SNAPSHOT_NEXT, channel=0, number=20),
        MidiBinding(target=T.SNAPSHOT_RECALL, channel=0, number=21, snapshot=3),
        MidiBinding(target=T.SETLIST_PREV, channel=0, number=22),
    )
    assert run(e, cc(20, 127)) == [Action(target=T.SNAPSHOT_NEXT)]
    assert run(e, cc(20, 0)) == []
    assert run(e, cc(21, 127)) == [Action(target=T.SNAPSHOT_RECALL, index=3)]
    assert run(e, cc(22, 127)) == [Action(target=T.SETLIST_PREV)]
    assert [b.scope for b in e.all()] == [
        BindingScope.BOARD,
        BindingScope.BOARD,
        BindingScope.GLOBAL,
    ]  # setlist steps are global


def test_a_binding_to_a_removed_parameter_is_skipped() -> None:
    e = engine_with(
        MidiBinding(target=T.PARAMETER, channel=0, number=7, instance_id="gone", symbol="gain")
    )
    assert run(e, cc(7, 100)) == []


def test_learning_takes_the_next_control() -> None:
    e = BindingEngine()
    e.learn(MidiBinding(target=T.PARAMETER, channel=0, number=0, instance_id="amp", symbol="gain"))
    actions, learned = e.handle(cc(74, 5, channel=3), lambda i, s: GAIN, lambda b: False)
    assert actions == []
    assert learned is not None
    assert (learned.channel, learned.number, learned.kind) == (3, 74, MidiKind.CC)
    assert learned.id
    assert e.learning is None
    assert len(run(e, cc(74, 127, channel=3))) == 1
    e.learn(MidiBinding(target=T.SNAPSHOT_NEXT, channel=0, number=0))
    _, by_note = e.handle(
        MidiInput(kind="note_on", channel=9, number=36), lambda i, s: None, lambda b: False
    )
    assert by_note is not None
    assert by_note.kind is MidiKind.NOTE


def test_bad_messages_and_bindings() -> None:
    e = engine_with(
        MidiBinding(target=T.PARAMETER, channel=0, number=7, instance_id="amp", symbol="gain")
    )
    for msg in (
        MidiInput(kind="sysex", channel=0, number=0),
        MidiInput(kind="cc", channel=16, number=7),
        MidiInput(kind="cc", channel=0, number=128),
        MidiInput(kind="cc", channel=-1, number=7),
    ):
        assert run(e, msg) == []
    assert e.ignored == 4
    for bad in (
        MidiBinding(target=T.PARAMETER, channel=16, number=1, instance_id="a", symbol="s"),
        MidiBinding(target=T.PARAMETER, channel=0, number=200, instance_id="a", symbol="s"),
        MidiBinding(target=T.PARAMETER, channel=0, number=1, instance_id="a"),
        MidiBinding(target=T.BYPASS, channel=0, number=1),
        MidiBinding(
            target=T.PARAMETER,
            channel=0,
            number=1,
            instance_id="a",
            symbol="s",
            minimum=float("nan"),
        ),
        MidiBinding(
            target=T.BYPASS, channel=0, number=1, instance_id="a", scope=BindingScope.GLOBAL
        ),
    ):
        with pytest.raises(ValidationError):
            check_binding(bad)
    with pytest.raises(ValidationError):
        e.remove("nope")


def test_a_flood_is_bounded_and_ids_replace() -> None:
    e = BindingEngine()
    for n in range(MAX_BINDINGS):
        e.add(MidiBinding(target=T.SNAPSHOT_NEXT, channel=0, number=n % 128))
    with pytest.raises(ValidationError):
        e.add(MidiBinding(target=T.SNAPSHOT_NEXT, channel=0, number=1))
    first = e.all()[0]
    e.add(MidiBinding(target=T.SNAPSHOT_PREV, channel=1, number=1, id=first.id))
    assert len(e.all()) == MAX_BINDINGS
    assert next(b for b in e.all() if b.id == first.id).target is T.SNAPSHOT_PREV
    for _ in range(10_000):  # a CC flood: no state grows beyond one value per control
        run(e, cc(5, 127))
    assert len(e._last) == 1


def test_learning_expires() -> None:
    e = BindingEngine()
    e.learn(MidiBinding(target=T.MUTE, channel=0, number=0), until=10.0)
    actions, learned = e.handle(cc(3, 127), lambda i, s: None, lambda b: False, now=11.0)
    assert (actions, learned, e.learning) == ([], None, None)
