"""Feedback port messages: every message of reference §6 parsed and re-encoded byte for byte."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, strategies as st

from stompbox.modhost.errors import ProtocolError
from stompbox.modhost.feedback import (
    AudioMonitorFb,
    CpuLoadFb,
    DataFinishFb,
    DspLoadFb,
    Feedback,
    FeedbackParser,
    LogFb,
    MidiControlChangeFb,
    MidiMappedFb,
    MidiProgramChangeFb,
    OutputSetFb,
    ParamSetFb,
    ParamStateFb,
    PatchSetFb,
    PluginDiedFb,
    TransportFb,
    UnknownFb,
    encode_feedback,
    parse_feedback,
)

GOLDEN: list[tuple[str, Feedback]] = [
    ("param_set 0 gain -0.225046", ParamSetFb(0, "gain", -0.225046)),
    ("param_set 9995 :bpm 120.000000", ParamSetFb(9995, ":bpm", 120.0)),
    ("param_state 3 drive 2", ParamStateFb(3, "drive", 2)),
    ("output_set 1 latency 64.000000", OutputSetFb(1, "latency", 64.0)),
    ("audio_monitor 0 0.125893", AudioMonitorFb(0, 0.125893)),
    (
        "patch_set 4 http://gareus.org/oss/lv2/convoLV2#impulse p /usr/share/ir dir/ir.wav",
        PatchSetFb(
            4, "http://gareus.org/oss/lv2/convoLV2#impulse", "p", "/usr/share/ir dir/ir.wav"
        ),
    ),
    ("patch_set 1 urn:x#vec v 3-f-1.0:2.0:3.0", PatchSetFb(1, "urn:x#vec", "v", "3-f-1.0:2.0:3.0")),
    ("patch_set 1 urn:x#s s ", PatchSetFb(1, "urn:x#s", "s", "")),
    (
        "midi_mapped 2 gain 0 60 10.000000 -10.000000 10.000000",
        MidiMappedFb(2, "gain", 0, 60, 10.0, -10.0, 10.0),
    ),
    ("midi_control_change 0 64 127", MidiControlChangeFb(0, 64, 127)),
    ("midi_program_change 5 15", MidiProgramChangeFb(5, 15)),
    ("plugin_died 20 -9", PluginDiedFb(20, -9)),
    ("transport 0 3.000000 130.000000", TransportFb(False, 3.0, 130.0)),
    ("transport 1 4.000000 120.500000", TransportFb(True, 4.0, 120.5)),
    ("cpu_load 12.345600 0.000000 3", CpuLoadFb(12.3456, 0.0, 3)),
    ("dsp_load 2 41.500000 3.984000", DspLoadFb(2, 41.5, 3.984)),
    ("log 0 Buffer size: 128\n", LogFb(0, "Buffer size: 128\n")),
    ("log 3 ", LogFb(3, "")),
    ("data_finish", DataFinishFb()),
]


@pytest.mark.parametrize(("text", "fb"), GOLDEN)
def test_golden_parse_and_encode(text: str, fb: Feedback) -> None:
    assert parse_feedback(text) == fb
    assert encode_feedback(fb) == text.encode() + b"\0"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "monitor 0 gain 3.000000",
        "param_set 0 gain",
        "param_set 0 gain 1.0 extra",
        "param_set x gain 1.0",
        "param_set 0 gain abc",
        "transport x 1 2",
        "data_finish now",
        "log x hello",
        "PARAM_SET 0 gain 1.0",
    ],
)
def test_unknown_or_malformed(text: str) -> None:
    fb = parse_feedback(text)
    assert fb == UnknownFb(text)
    assert encode_feedback(fb) == text.encode() + b"\0"


def test_tagged_union_serialises() -> None:
    fb = parse_feedback("output_set 1 latency 64.000000")
    blob = msgspec.json.encode(fb)
    assert msgspec.json.decode(blob, type=Feedback) == fb


def test_feedback_parser_chunked() -> None:
    stream = b"".join(t.encode() + b"\0" for t, _ in GOLDEN)
    expected = [fb for _, fb in GOLDEN]
    for cut in range(0, len(stream) + 1, 7):
        parser = FeedbackParser()
        assert parser.feed(stream[:cut]) + parser.feed(stream[cut:]) == expected
        assert parser.pending() == b""


def test_feedback_parser_non_utf8_and_guard() -> None:
    parser = FeedbackParser(max_message=16)
    assert parser.feed(b"log 2 caf\xe9\0") == [LogFb(2, "caf\ufffd")]
    with pytest.raises(ProtocolError):
        parser.feed(b"x" * 17)


symbols = st.text(alphabet="abcdefgh_:0123456789", min_size=1, max_size=12)
ints = st.integers(-(2**31), 2**31 - 1)
# values that %f writes exactly: multiples of 1/64 in a modest range
floats6 = st.integers(-(10**6), 10**6).map(lambda n: n / 64)
free_text = st.text(
    st.characters(blacklist_characters="\0", blacklist_categories=["Cs"]), max_size=30
)

feedback_st = st.one_of(
    st.builds(ParamSetFb, ints, symbols, floats6),
    st.builds(ParamStateFb, ints, symbols, st.integers(0, 2)),
    st.builds(OutputSetFb, ints, symbols, floats6),
    st.builds(AudioMonitorFb, st.integers(0, 64), floats6),
    st.builds(PatchSetFb, ints, symbols, st.sampled_from("bilfgspuv"), free_text),
    st.builds(MidiMappedFb, ints, symbols, st.integers(0, 15), ints, floats6, floats6, floats6),
    st.builds(MidiControlChangeFb, st.integers(0, 15), st.integers(0, 131), st.integers(0, 127)),
    st.builds(MidiProgramChangeFb, st.integers(0, 127), st.integers(0, 15)),
    st.builds(TransportFb, st.booleans(), floats6, floats6),
    st.builds(CpuLoadFb, floats6, floats6, st.integers(0, 10**6)),
    st.builds(LogFb, st.integers(0, 3), free_text),
    st.builds(PluginDiedFb, ints, st.integers(-64, 255)),
    st.just(DataFinishFb()),
)


@given(feedback_st)
def test_encode_parse_round_trip(fb: Feedback) -> None:
    wire = encode_feedback(fb)
    assert wire.endswith(b"\0")
    assert parse_feedback(wire[:-1].decode()) == fb


@given(st.text())
def test_parse_feedback_never_raises(text: str) -> None:
    fb = parse_feedback(text)
    assert isinstance(fb, msgspec.Struct)
