"""Client-side encoding: golden bytes for every command, quoting, and a tokenizer round trip."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, strategies as st

from stompbox.modhost import commands as c
from stompbox.modhost.commands import Command, ReplyKind, encode, quote
from stompbox.modhost.server import COMMANDS, EXTENSIONS, ParsedCommand, parse_command, tokenize

GOLDEN: list[tuple[Command, bytes]] = [
    (c.Add("http://lv2plug.in/plugins/eg-amp", 0), b"add http://lv2plug.in/plugins/eg-amp 0\0"),
    (c.Preload("urn:p", 9), b"preload urn:p 9\0"),
    (c.Remove(3), b"remove 3\0"),
    (c.Remove(-1), b"remove -1\0"),
    (c.Activate(3, True), b"activate 3 1\0"),
    (c.MultiAdd((("urn:a", 1), ("urn:b", 2))), b"multi_add 2 urn:a 1 urn:b 2\0"),
    (c.MultiAdd(()), b"multi_add 0\0"),
    (c.MultiRemove((1, 2, 3)), b"multi_remove 3 1 2 3\0"),
    (c.Connect("effect_0:out", "system:playback_1"), b"connect effect_0:out system:playback_1\0"),
    (c.Disconnect("a:b", "c:d"), b"disconnect a:b c:d\0"),
    (c.DisconnectAll("effect_1:in"), b"disconnect_all effect_1:in\0"),
    (c.Bypass(2, True), b"bypass 2 1\0"),
    (c.Bypass(2, False), b"bypass 2 0\0"),
    (c.ParamSet(0, "gain", 1.5), b"param_set 0 gain 1.5\0"),
    (c.ParamSet(0, "gain", 0.1), b"param_set 0 gain 0.1\0"),
    (c.ParamSet(0, "gain", 1e-05), b"param_set 0 gain 1e-05\0"),
    (c.ParamSet(0, ":bypass", 1.0), b"param_set 0 :bypass 1.0\0"),
    (c.ParamGet(0, "gain"), b"param_get 0 gain\0"),
    (c.MultiParamSet("gain", -3.0, (1, 2)), b"multi_param_set gain -3.0 2 1 2\0"),
    (c.PatchSet(1, "urn:x#file", "/a b/c.wav"), b'patch_set 1 urn:x#file "/a b/c.wav"\0'),
    (c.PatchGet(1), b'patch_get 1 ""\0'),
    (c.PatchGet(1, "urn:x#file"), b"patch_get 1 urn:x#file\0"),
    (c.Licensee(4), b"licensee 4\0"),
    (c.PresetLoad(3, "urn:p#Leslie-slow"), b"preset_load 3 urn:p#Leslie-slow\0"),
    (
        c.PresetSave(1, 'My "best" tone', "/tmp/My Presets.lv2", "tone.ttl"),
        b'preset_save 1 "My \\"best\\" tone" "/tmp/My Presets.lv2" tone.ttl\0',
    ),
    (c.PresetShow("urn:p#x"), b"preset_show urn:p#x\0"),
    (c.BundleAdd("/usr/lib/lv2/x.lv2"), b"bundle_add /usr/lib/lv2/x.lv2\0"),
    (c.BundleRemove("/x.lv2"), b'bundle_remove /x.lv2 ""\0'),
    (c.MonitorOutput(1, "latency"), b"monitor_output 1 latency\0"),
    (c.MonitorOutputOff(1, "latency"), b"monitor_output_off 1 latency\0"),
    (c.MonitorAudioLevels("system:capture_1", True), b"monitor_audio_levels system:capture_1 1\0"),
    (c.MonitorMidiProgram(0, True), b"monitor_midi_program 0 1\0"),
    (c.MidiLearn(2, "gain", -10.0, 10.0), b"midi_learn 2 gain -10.0 10.0\0"),
    (c.MidiMap(2, "gain", 0, 7, 0.0, 1.0), b"midi_map 2 gain 0 7 0.0 1.0\0"),
    (c.MidiUnmap(2, "gain"), b"midi_unmap 2 gain\0"),
    (c.CpuLoad(), b"cpu_load\0"),
    (c.MaxCpuLoad(), b"max_cpu_load\0"),
    (c.FeatureEnable("processing", 2), b"feature_enable processing 2\0"),
    (c.OutputDataReady(), b"output_data_ready\0"),
    (c.WaitAudioCycle(), b"wait_audio_cycle\0"),
    (c.Transport(True, 4.0, 120.0), b"transport 1 4.0 120.0\0"),
    (c.TransportSync("midi"), b"transport_sync midi\0"),
    (c.SetBpm(130.0), b"set_bpm 130.0\0"),
    (c.SetBpb(3.0), b"set_bpb 3.0\0"),
    (c.TransactionBegin(), b"transaction_begin\0"),
    (c.TransactionCommit(), b"transaction_commit\0"),
]


@pytest.mark.parametrize(("cmd", "wire"), GOLDEN, ids=lambda v: getattr(v, "command", None))
def test_golden_encoding(cmd: Command, wire: bytes) -> None:
    assert encode(cmd) == wire
    assert wire.count(b"\0") == 1


def test_every_command_class_has_a_golden_and_is_in_the_server_table() -> None:
    classes = {type(cmd) for cmd, _ in GOLDEN}
    assert classes == set(Command.__args__)
    for cls in classes:
        assert cls.command in COMMANDS or cls.command in EXTENSIONS
        assert isinstance(cls.reply_kind, ReplyKind)


@pytest.mark.parametrize(("cmd", "wire"), GOLDEN, ids=lambda v: getattr(v, "command", None))
def test_golden_parses_on_the_server_side(cmd: Command, wire: bytes) -> None:
    parsed = parse_command(wire[:-1].decode())
    assert parsed.name == cmd.command


def test_parsed_shapes_match_the_struct() -> None:
    assert parse_command(encode(c.MultiAdd((("a b", 1),)))[:-1].decode()) == ParsedCommand(
        "multi_add", (1, (("a b", 1),))
    )
    assert parse_command(encode(c.ParamSet(1, "g", 0.1))[:-1].decode()).args == (1, "g", 0.1)


@pytest.mark.parametrize(
    ("token", "wire"),
    [
        ("plain", "plain"),
        ("", '""'),
        ("a b", '"a b"'),
        ('a"b', '"a\\"b"'),
        ("tab\there", '"tab\there"'),
        ("trail\n", '"trail\n"'),
        ("back\\slash", "back\\slash"),
        ("a\\ b", '"a\\ b"'),
    ],
)
def test_quote(token: str, wire: str) -> None:
    assert quote(token) == wire
    assert tokenize(f"x {wire} y") == ["x", token, "y"]


def test_unencodable() -> None:
    with pytest.raises(ValueError, match="surrogates"):
        encode(c.PresetShow("\ud800"))
    with pytest.raises(ValueError, match="NUL"):
        encode(c.PresetShow("a\0b"))
    with pytest.raises(ValueError, match="ending in"):
        quote("a b\\")
    with pytest.raises(ValueError, match="non-finite"):
        encode(c.ParamSet(0, "gain", float("nan")))
    with pytest.raises(ValueError, match="non-finite"):
        encode(c.SetBpm(float("inf")))


tokens_st = st.text(
    st.characters(blacklist_characters="\0", blacklist_categories=["Cs"]), max_size=40
)


def _encodable(token: str) -> bool:
    try:
        quote(token)
    except ValueError:
        return False
    return True


@given(tokens_st, tokens_st, st.integers(-(2**31), 2**31 - 1))
def test_tokenize_round_trip(label: str, uri: str, inst: int) -> None:
    assume(_encodable(label) and _encodable(uri))
    wire = encode(c.PresetSave(inst, label, uri, label))
    assert tokenize(wire[:-1].decode()) == ["preset_save", str(inst), label, uri, label]
    # as the last token too: trailing-whitespace trimming must not eat a quoted token
    wire = encode(c.PresetShow(uri))
    assert tokenize(wire[:-1].decode()) == ["preset_show", uri]


@given(st.text(st.characters(codec="ascii", categories=["L", "N", "P", "S", "Zs"]), max_size=60))
def test_printable_uris_round_trip(uri: str) -> None:
    assume(_encodable(uri))
    parsed = parse_command(encode(c.Add(uri, 7))[:-1].decode())
    assert parsed == ParsedCommand("add", (uri, 7))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_round_trip(value: float) -> None:
    parsed = parse_command(encode(c.ParamSet(0, "gain", value))[:-1].decode())
    assert parsed.args[2] == value


@given(st.lists(st.tuples(tokens_st, st.integers(0, 9999)), max_size=8))
def test_multi_add_round_trip(items: list[tuple[str, int]]) -> None:
    assume(all(_encodable(uri) for uri, _ in items))
    parsed = parse_command(encode(c.MultiAdd(tuple(items)))[:-1].decode())
    assert parsed.args == (len(items), tuple(items))
