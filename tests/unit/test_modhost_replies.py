"""Reply parsing: every error code, inverted replies, raw replies, garbage."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, strategies as st

from stompbox.modhost import commands as c
from stompbox.modhost.errors import ErrorCode, ModHostError, ProtocolError
from stompbox.modhost.replies import Ok, Raw, parse_reply
from stompbox.modhost.server import encode_resp

TURTLE = (
    "@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n"
    "<urn:p#x>\n    a <http://lv2plug.in/ns/ext/presets#Preset> ;\n"
    '    lv2:port [ lv2:symbol "gain" ; <http://lv2plug.in/ns/ext/presets#value> 0.5 ] .\n'
)


def reply(cmd: c.Command, wire: bytes) -> Ok | Raw:
    assert wire.endswith(b"\0")
    return parse_reply(cmd, wire[:-1].decode())


def test_status_replies() -> None:
    assert reply(c.Add("urn:x", 7), b"resp 7\0") == Ok(7)
    assert reply(c.Remove(7), b"resp 0\0") == Ok(0)
    assert reply(c.Connect("a", "b"), b"resp 0\0") == Ok()
    assert reply(c.FeatureEnable("freewheeling", 1), b"resp 0\0") == Ok(0)


@pytest.mark.parametrize("code", [code for code in ErrorCode if code < 0])
def test_every_error_code_round_trips(code: ErrorCode) -> None:
    with pytest.raises(ModHostError) as info:
        reply(c.ParamSet(0, "gain", 1.0), encode_resp(code))
    assert info.value.code == code
    assert info.value.name == code.name
    assert code.name in str(info.value)


def test_error_code_table() -> None:
    assert len(ErrorCode) == 28
    assert int(ErrorCode.INVALID_OPERATION) == -902
    assert int(ErrorCode.ASSIGNMENT_UNUSED) == -305
    assert int(ErrorCode.EXTERNAL_UI_UNAVAILABLE) == -404


def test_unknown_negative_code() -> None:
    with pytest.raises(ModHostError) as info:
        reply(c.Remove(1), b"resp -77\0")
    assert (info.value.code, info.value.name) == (-77, "UNKNOWN")


def test_value_replies() -> None:
    assert reply(c.ParamGet(0, "gain"), b"resp 0 70.0000\0") == Ok(0, 70.0)
    assert reply(c.ParamGet(0, "gain"), b"resp 0 -0.2250\0") == Ok(0, -0.225)
    assert reply(c.CpuLoad(), b"resp 0 12.3456\0") == Ok(0, 12.3456)
    assert reply(c.MaxCpuLoad(), b"resp 0 0.0000\0") == Ok(0, 0.0)
    with pytest.raises(ModHostError) as info:
        reply(c.ParamGet(0, "nope"), b"resp -103\0")
    assert info.value.code == ErrorCode.LV2_INVALID_PARAM_SYMBOL
    with pytest.raises(ProtocolError):
        reply(c.ParamGet(0, "gain"), b"resp 0\0")


@pytest.mark.parametrize(
    "cmd",
    [
        c.MonitorOutput(1, "latency"),
        c.MonitorOutputOff(1, "latency"),
        c.MidiLearn(1, "gain", 0.0, 1.0),
        c.MidiMap(1, "gain", 0, 7, 0.0, 1.0),
    ],
)
def test_inverted_replies(cmd: c.Command) -> None:
    assert cmd.reply_kind is c.ReplyKind.INVERTED
    assert reply(cmd, b"resp 1\0") == Ok(0)
    with pytest.raises(ModHostError) as info:
        reply(cmd, b"resp 0\0")
    assert info.value.code == ErrorCode.INSTANCE_INVALID
    with pytest.raises(ProtocolError):
        reply(cmd, b"resp 2\0")


def test_midi_unmap_is_never_an_error_for_0_or_1() -> None:
    cmd = c.MidiUnmap(1, "gain")
    assert reply(cmd, b"resp 1\0") == Ok(1)
    assert reply(cmd, b"resp 0\0") == Ok(0)
    with pytest.raises(ProtocolError):
        reply(cmd, b"resp 5\0")


def test_raw_replies() -> None:
    assert reply(c.PresetShow("urn:p#x"), TURTLE.encode() + b"\0") == Raw(TURTLE)
    assert reply(c.PresetShow("urn:p#nope"), b"\0") == Raw("")
    assert reply(c.Licensee(1), b"\0") == Raw("")
    assert reply(c.Licensee(1), b"Jane Doe\0") == Raw("Jane Doe")


@pytest.mark.parametrize("text", ["not found", "few arguments", "many arguments"])
@pytest.mark.parametrize("cmd", [c.ParamGet(0, "g"), c.PresetShow("u"), c.MonitorOutput(0, "g")])
def test_text_errors(cmd: c.Command, text: str) -> None:
    with pytest.raises(ModHostError) as info:
        parse_reply(cmd, text)
    assert info.value.code == ErrorCode.INVALID_OPERATION
    assert text in str(info.value)


@pytest.mark.parametrize(
    "text",
    ["", "resp", "resp x", "resp 0 x", "resp  0", "resp 0 1 2", "RESP 0", "ok", "resp 0\n"],
)
def test_garbage_is_a_protocol_error(text: str) -> None:
    with pytest.raises(ProtocolError):
        parse_reply(c.Remove(1), text)


@given(st.text())
def test_parse_reply_raises_only_codec_errors(text: str) -> None:
    for cmd in (
        c.Remove(1),
        c.ParamGet(0, "g"),
        c.MidiUnmap(0, "g"),
        c.MidiMap(0, "g", 0, 0, 0, 1),
    ):
        with contextlib.suppress(ModHostError, ProtocolError):
            parse_reply(cmd, text)


@given(st.integers(-(2**31), 2**31 - 1), st.floats(-1e6, 1e6))
def test_encode_resp_parse_reply_round_trip(status: int, extra: float) -> None:
    if status < 0:
        with pytest.raises(ModHostError) as info:
            reply(c.ParamGet(0, "g"), encode_resp(status, extra))
        assert info.value.code == status
    else:
        got = reply(c.Add("u", 1), encode_resp(status, extra))
        assert isinstance(got, Ok)
        assert got.value == status
        assert got.extra == pytest.approx(extra, abs=1e-4)
