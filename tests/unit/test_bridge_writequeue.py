"""The engine client's pipeline bookkeeping: window, FIFO matching, param_set coalescing."""

from __future__ import annotations

import pytest

from stompbox.bridge.writequeue import RequestQueue, coalesce_key
from stompbox.modhost.commands import Bypass, ParamGet, ParamSet, PresetLoad


def test_fifo_matching_and_window() -> None:
    q: RequestQueue[str] = RequestQueue(window=2)
    for i in range(5):
        q.submit(ParamGet(i, "gain"), f"w{i}")
    first = q.take()
    assert [p.waiters for p in first] == [["w0"], ["w1"]]
    assert q.take() == []  # window full
    assert q.answered().waiters == ["w0"]
    assert [p.waiters for p in q.take()] == [["w2"]]
    assert q.answered().waiters == ["w1"]
    assert q.answered().waiters == ["w2"]
    assert len(q) == 2
    assert q.queued == 2
    assert q.in_flight == 0


def test_reply_without_request_raises() -> None:
    q: RequestQueue[str] = RequestQueue()
    with pytest.raises(LookupError):
        q.answered()


def test_queued_param_sets_coalesce_to_newest_value() -> None:
    q: RequestQueue[str] = RequestQueue(window=1)
    q.submit(ParamSet(0, "gain", 1.0), "a")
    q.take()  # written: cannot change any more
    q.submit(ParamSet(0, "gain", 2.0), "b")
    q.submit(ParamSet(0, "gain", 3.0), "c")
    q.submit(ParamSet(0, "other", 9.0), "d")
    q.submit(ParamSet(1, "gain", 4.0), "e")
    q.submit(ParamSet(0, "gain", 5.0), "f")
    assert q.coalesced == 2
    assert q.answered().waiters == ["a"]
    written = []
    while len(q):
        (p,) = q.take()
        written.append((p.command, p.waiters))
        q.answered()
    assert written == [
        (ParamSet(0, "other", 9.0), ["d"]),
        (ParamSet(1, "gain", 4.0), ["e"]),
        (ParamSet(0, "gain", 5.0), ["b", "c", "f"]),
    ]


def test_coalesced_set_moves_behind_later_commands() -> None:
    q: RequestQueue[str] = RequestQueue(window=8)
    q.submit(ParamSet(0, "gain", 1.0), "a")
    q.submit(PresetLoad(0, "urn:preset"), "p")
    q.submit(ParamSet(0, "gain", 2.0), "b")
    cmds = [p.command for p in q.take()]
    assert cmds == [PresetLoad(0, "urn:preset"), ParamSet(0, "gain", 2.0)]


def test_drain_returns_everything() -> None:
    q: RequestQueue[str] = RequestQueue(window=1)
    q.submit(Bypass(0, True), "a")
    q.submit(Bypass(0, False), "b")
    q.take()
    drained = q.drain()
    assert [p.waiters for p in drained] == [["a"], ["b"]]
    assert len(q) == 0
    q.submit(ParamSet(0, "g", 1.0), "c")
    assert q.take()[0].waiters == ["c"]


def test_only_param_set_coalesces() -> None:
    assert coalesce_key(ParamSet(3, "g", 1.0)) == (3, "g")
    assert coalesce_key(ParamGet(3, "g")) is None
    assert coalesce_key(Bypass(3, True)) is None


def test_merged_request_writes_the_newest_bytes() -> None:
    q: RequestQueue[str] = RequestQueue()
    q.submit(ParamSet(0, "gain", 1.0), "a", b"param_set 0 gain 1.0\0")
    q.submit(ParamSet(0, "gain", 2.0), "b", b"param_set 0 gain 2.0\0")
    (p,) = q.take()
    assert p.data == b"param_set 0 gain 2.0\0"
    assert p.waiters == ["a", "b"]
