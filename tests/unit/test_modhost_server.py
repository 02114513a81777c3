"""Server-side codec: mod-host tokenizer quirks, the command table and the strict errors."""

from __future__ import annotations

import pytest
from hypothesis import example, given, strategies as st

from stompbox.modhost.errors import CommandError
from stompbox.modhost.server import (
    COMMANDS,
    EXTENSIONS,
    FEW_ARGUMENTS,
    MANY_ARGUMENTS,
    NOT_FOUND,
    ArgType,
    Group,
    ParsedCommand,
    encode_raw,
    encode_resp,
    looks_foreign,
    parse_command,
    tokenize,
)

INVALID = b"resp -902\0"


def reply_of(line: str) -> bytes:
    with pytest.raises(CommandError) as info:
        parse_command(line)
    return info.value.reply


# --- tokenizer ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "tokens"),
    [
        ("param_get 0 gain", ["param_get", "0", "gain"]),
        ("param_get  0 gain", ["param_get", "", "0", "gain"]),
        ('add "a b" 3', ["add", "a b", "3"]),
        ('x "a\\"b" y', ["x", 'a"b', "y"]),
        ('x "a""b" y', ["x", 'a"b', "y"]),
        ('x a\\"b', ["x", 'a"b']),
        ('patch_get 0 ""', ["patch_get", "0", ""]),
        ("param_get 0 gain \t\r\n ", ["param_get", "0", "gain"]),
        ("cmd1\ncmd2", ["cmd1\ncmd2"]),
        ("a\tb", ["a\tb"]),
        ('x "a b"glued y', ["x", "a b", "y"]),  # a closing quote ends the token (C '\0')
        ('x "unterminated quote', ["x", "unterminated quote"]),
        ('x mid"dle quoted" y', ["x", "middle quoted", "y"]),
        (" lead", ["", "lead"]),
        ("", []),
        (" \t ", []),
        ("a\0b c", ["a"]),
    ],
)
def test_tokenize(line: str, tokens: list[str]) -> None:
    assert tokenize(line) == tokens


# --- table ----------------------------------------------------------------------------------


def test_table_has_all_65_commands() -> None:
    assert len(COMMANDS) == 65
    for name in ("help", "quit", "multi_pre_run", "hmi_map", "state_tmpdir", "show_external_ui"):
        assert name in COMMANDS


def test_signature_language() -> None:
    spec = COMMANDS["multi_params_flush"]
    assert spec.items == (
        ArgType.INT,
        ArgType.COUNT,
        Group((ArgType.INT,)),
        ArgType.COUNT,
        Group((ArgType.STR, ArgType.FLOAT)),
    )
    assert spec.fixed_count == 2
    assert spec.variadic
    assert spec.signature == "multi_params_flush %i %n {%i} %n {%s %f}"
    assert COMMANDS["cc_map"].fixed_count == 12
    assert not COMMANDS["midi_map"].variadic


@pytest.mark.parametrize(
    ("line", "args"),
    [
        ("add http://x/y 3", ("http://x/y", 3)),
        ("remove -1", (-1,)),
        ("param_set 0 gain 1.5", (0, "gain", 1.5)),
        ("param_set 0 :bypass 1", (0, ":bypass", 1.0)),
        ("param_set 0 gain -2e-3", (0, "gain", -0.002)),
        ("param_set 0 gain .5", (0, "gain", 0.5)),
        ("param_get 3 gain", (3, "gain")),
        ('preset_save 1 "My preset" /tmp/b.lv2 p.ttl', (1, "My preset", "/tmp/b.lv2", "p.ttl")),
        ('bundle_remove /x ""', ("/x", "")),
        ("midi_map 1 gain 0 7 -1 1", (1, "gain", 0, 7, -1.0, 1.0)),
        ("transport 1 4 120.5", (1, 4.0, 120.5)),
        ("cpu_load", ()),
        ("help", ()),
        ("quit", ()),
        ("feature_enable processing 2", ("processing", 2)),
        ("cv_map 0 gain system:capture_1 -5 5 =", (0, "gain", "system:capture_1", -5.0, 5.0, "=")),
        (
            "hmi_map 0 gain 1 2 3 4 5 Gain 0 1 10",
            (0, "gain", 1, 2, 3, 4, 5, "Gain", 0.0, 1.0, 10),
        ),
        ("multi_add 2 u1 1 u2 2", (2, (("u1", 1), ("u2", 2)))),
        ("multi_preload 1 u1 7", (1, (("u1", 7),))),
        ("multi_remove 3 1 2 3", (3, (1, 2, 3))),
        ("multi_activate 0 2 4 5", (0, 2, (4, 5))),
        ("multi_bypass 1 1 4", (1, 1, (4,))),
        ("multi_param_set gain 0.5 2 1 2", ("gain", 0.5, 2, (1, 2))),
        ("params_flush 1 0 2 a 1 b 2", (1, 0, 2, (("a", 1.0), ("b", 2.0)))),
        ("pre_run 1 0 1 a 1", (1, 0, 1, (("a", 1.0),))),
        ("multi_params_flush 0 2 1 2 1 g 1", (0, 2, (1, 2), 1, (("g", 1.0),))),
        ("multi_pre_run 1 1 3 2 a 0 b 1", (1, 1, (3,), 2, (("a", 0.0), ("b", 1.0)))),
        (
            "cc_map 1 g 0 0 lbl 1 0 2 2 0 dB 2 a 0 b 1",
            (1, "g", 0, 0, "lbl", 1.0, 0.0, 2.0, 2, 0, "dB", 2, (("a", 0.0), ("b", 1.0))),
        ),
        (
            "cc_map 1 g 0 0 lbl 1 0 2 2 0 dB 0",
            (1, "g", 0, 0, "lbl", 1.0, 0.0, 2.0, 2, 0, "dB", 0, ()),
        ),
        # count 0 passes through (the engine answers -302 like mod-host)
        ("multi_add 0", (0, ())),
        ("multi_remove 0", (0, ())),
        ("multi_params_flush 0 0", (0, 0, (), 0, ())),
        ("multi_params_flush 0 0 0", (0, 0, (), 0, ())),
    ],
)
def test_parse_command(line: str, args: tuple[object, ...]) -> None:
    parsed = parse_command(line)
    assert parsed == ParsedCommand(line.split(" ")[0], args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("PARAM_GET 0 gain", NOT_FOUND),
        ("nope", NOT_FOUND),
        ("param_get  0 gain", MANY_ARGUMENTS),
        ("param_get 0 gain\nparam_get 0 gain", MANY_ARGUMENTS),
        ("param_get 0", FEW_ARGUMENTS),
        ("add uri", FEW_ARGUMENTS),
        ("cpu_load 1", MANY_ARGUMENTS),
        ("multi_add", FEW_ARGUMENTS),
        ("multi_activate 1", FEW_ARGUMENTS),
        ("cc_map 1 g 0 0 lbl 1 0 2 2 0 dB", FEW_ARGUMENTS),
        # strict where mod-host uses atoi/atof
        ("param_set 0 gain abc", INVALID),
        ("param_set abc gain 1", INVALID),
        ("param_set 0 gain nan", INVALID),
        ("param_set 0 gain inf", INVALID),
        ("param_set 0 gain 1e999", INVALID),
        ("param_set 0 gain 0x10", INVALID),
        ("remove 1.5", INVALID),
        ("remove 99999999999", INVALID),
        ('remove ""', INVALID),
        # variadic counts are checked
        ("multi_remove 3 0", INVALID),
        ("multi_add 2 u1 1 u2", INVALID),
        ("multi_remove -1", INVALID),
        ("multi_remove 1 0 5", MANY_ARGUMENTS),
        ("multi_add 1 u1 1 extra", MANY_ARGUMENTS),
        ("multi_params_flush 0 1 4", INVALID),  # second count missing after a non-zero count
        ("multi_params_flush 0 1 4 2 a 1", INVALID),
        ("multi_params_flush 0 1 4 1 a 1 b", MANY_ARGUMENTS),
        ("multi_add 1 u1 x", INVALID),
        ("cc_map 1 g 0 0 lbl 1 0 2 2 0 dB 3 a 0 b 1", INVALID),
        # an empty message gets no reply
        ("", b""),
        ("   ", b""),
    ],
)
def test_parse_command_errors(line: str, reply: bytes) -> None:
    assert reply_of(line) == reply


def test_every_command_parses_with_sample_args() -> None:
    samples = {ArgType.INT: "1", ArgType.FLOAT: "0.5", ArgType.STR: "s", ArgType.COUNT: "1"}
    for spec in COMMANDS.values():
        words = [spec.name]
        for item in spec.items:
            if isinstance(item, Group):
                words.extend(samples[t] for t in item.types)
            else:
                words.append(samples[item])
        parsed = parse_command(" ".join(words))
        assert parsed.name == spec.name
        assert len(parsed.args) == len(spec.items)
        if spec.fixed_count:
            assert reply_of(" ".join(words[: spec.fixed_count])) == FEW_ARGUMENTS
        if not spec.variadic:
            assert reply_of(" ".join([*words, "x"])) == MANY_ARGUMENTS


def test_encode_resp_and_raw() -> None:
    assert encode_resp(0) == b"resp 0\0"
    assert encode_resp(-902) == b"resp -902\0"
    assert encode_resp(7) == b"resp 7\0"
    assert encode_resp(0, 1.23456) == b"resp 0 1.2346\0"
    assert encode_resp(0, 70.0) == b"resp 0 70.0000\0"
    assert encode_raw("") == b"\0"
    assert encode_raw("@prefix x: <y> .\n") == b"@prefix x: <y> .\n\0"
    with pytest.raises(ValueError, match="NUL"):
        encode_raw("a\0b")


@given(st.text())
@example("transaction_commit")  # hypothesis draws it from the module's constants, now and then
def test_parse_command_only_raises_command_error(line: str) -> None:
    try:
        parsed = parse_command(line)
    except CommandError as exc:
        reply = exc.reply
    else:
        assert parsed.name in COMMANDS or parsed.name in EXTENSIONS  # ours: transactions
        return
    assert reply in (b"", NOT_FOUND, FEW_ARGUMENTS, MANY_ARGUMENTS, INVALID)


_words = st.sampled_from(sorted(COMMANDS))
_tokens = st.one_of(
    st.integers(-(2**40), 2**40).map(str),
    st.floats(allow_nan=True).map(repr),
    st.text(alphabet=' "\\abc01.-', max_size=6),
)


@given(_words, st.lists(_tokens, max_size=20))
def test_parse_command_on_near_valid_lines(name: str, args: list[str]) -> None:
    try:
        parse_command(" ".join([name, *args]))
    except CommandError as exc:
        reply = exc.reply
    else:
        return
    assert reply in (b"", NOT_FOUND, FEW_ARGUMENTS, MANY_ARGUMENTS, INVALID)


@pytest.mark.parametrize(
    "message",
    [
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1:5555\r\nContent-Length: 21\r\n\r\nparam_set 0 gain 30",
        b"GET /favicon.ico HTTP/1.1\r\n",
        b"OPTIONS * HTTP/1.1",
        b"param_get 0 gain\nHost: evil.example",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        b"SSH-2.0-OpenSSH_9.2",
    ],
)
def test_other_protocols_look_foreign(message: bytes) -> None:
    assert looks_foreign(message)


@pytest.mark.parametrize(
    "message",
    [
        b"param_set 0 gain 30",
        b"add http://plugin.org.uk/swh-plugins/amp 0",
        b"connect system:capture_1 effect_0:input",
        b"param_get 0 gain\nparam_get 0 gain",  # mod-host answers `many arguments`: not foreign
        b'preset_save 0 "Host: x" /tmp/b x.ttl',
        b"",
    ],
)
def test_mod_host_commands_do_not(message: bytes) -> None:
    assert not looks_foreign(message)
