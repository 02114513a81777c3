"""NUL framing: arbitrary chunkings of a stream yield the same messages."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, strategies as st

from stompbox.modhost.errors import ProtocolError
from stompbox.modhost.framing import MAX_MESSAGE, NulFramer

messages_st = st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\0", b"")), max_size=12)


def test_basic_split_and_pending() -> None:
    framer = NulFramer()
    assert framer.feed(b"a\0b\0c") == [b"a", b"b"]
    assert framer.pending() == b"c"
    assert framer.feed(b"d\0\0") == [b"cd", b""]
    assert framer.pending() == b""
    assert framer.feed(b"param_get 0 gain") == []
    assert framer.take_pending() == b"param_get 0 gain"
    assert framer.pending() == b""


def test_every_byte_boundary() -> None:
    msgs = [b"resp 0", b"resp 0 1.2345", b"", b"@prefix a: <b> .\n", b"not found"]
    stream = b"".join(m + b"\0" for m in msgs) + b"tail"
    for cut in range(len(stream) + 1):
        framer = NulFramer()
        out = framer.feed(stream[:cut]) + framer.feed(stream[cut:])
        assert out == msgs
        assert framer.pending() == b"tail"
    framer = NulFramer()
    out = [m for i in range(len(stream)) for m in framer.feed(stream[i : i + 1])]
    assert out == msgs


@given(messages_st, st.lists(st.integers(0, 400), max_size=20), st.binary(max_size=10))
def test_random_chunking(msgs: list[bytes], cuts: list[int], tail: bytes) -> None:
    tail = tail.replace(b"\0", b"")
    stream = b"".join(m + b"\0" for m in msgs) + tail
    points = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    framer = NulFramer()
    out: list[bytes] = []
    for a, b in itertools.pairwise(points):
        out += framer.feed(stream[a:b])
    assert out == msgs
    assert framer.pending() == tail


def test_max_message_guard_resets() -> None:
    framer = NulFramer(max_message=8)
    assert framer.feed(b"12345678\0") == [b"12345678"]
    assert framer.feed(b"1234") == []
    with pytest.raises(ProtocolError):
        framer.feed(b"56789")
    assert framer.pending() == b""
    assert framer.feed(b"ok\0") == [b"ok"]
    with pytest.raises(ProtocolError):
        framer.feed(b"123456789\0")
    assert framer.pending() == b""


def test_default_limit_is_one_mib() -> None:
    assert MAX_MESSAGE == 1024 * 1024
    framer = NulFramer()
    big = b"x" * MAX_MESSAGE
    assert framer.feed(big[:1000]) == []
    assert framer.feed(big[1000:] + b"\0") == [big]
    with pytest.raises(ProtocolError):
        framer.feed(big + b"y")
