"""Coalescing of parameter changes and the token bucket (pure bookkeeping)."""

from __future__ import annotations

import pytest

from stompbox.web.coalesce import Coalescer, TokenBucket, TooManyKeys


def test_first_value_goes_out_at_once() -> None:
    c: Coalescer[str, int] = Coalescer()
    assert c.submit("gain", 1) == 1
    assert c.busy("gain")


def test_burst_collapses_to_newest_value() -> None:
    c: Coalescer[str, int] = Coalescer()
    assert c.submit("gain", 1) == 1
    for v in range(2, 100):
        assert c.submit("gain", v) is None
    assert c.done("gain") == 99  # the newest parked value is sent next
    assert c.done("gain") is None  # nothing newer: idle
    assert not c.busy("gain")
    stats = c.statistics()
    assert stats["submitted"] == 99
    assert stats["started"] == 2
    assert stats["coalesced"] == 97


def test_keys_are_independent() -> None:
    c: Coalescer[tuple[str, str], float] = Coalescer()
    assert c.submit(("a", "gain"), 1.0) == 1.0
    assert c.submit(("a", "tone"), 2.0) == 2.0
    assert c.submit(("a", "gain"), 3.0) is None
    assert c.done(("a", "tone")) is None
    assert c.done(("a", "gain")) == 3.0


def test_too_many_keys_refused_until_one_is_done() -> None:
    c: Coalescer[int, int] = Coalescer(max_keys=2)
    assert c.submit(1, 1) == 1
    assert c.submit(2, 2) == 2
    with pytest.raises(TooManyKeys):
        c.submit(3, 3)
    assert c.submit(1, 10) is None  # a busy key still parks
    assert c.done(2) is None
    assert c.submit(3, 3) == 3
    assert c.statistics()["refused"] == 1


def test_token_bucket_allows_burst_then_rate() -> None:
    bucket = TokenBucket(rate=10.0, burst=5.0, now=0.0)
    assert [bucket.allow(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert bucket.allow(0.1)  # one token refilled after 0.1 s
    assert not bucket.allow(0.1)
    assert sum(bucket.allow(10.0) for _ in range(10)) == 5  # capped at burst


def test_token_bucket_says_how_long_until_the_next_token() -> None:
    bucket = TokenBucket(rate=100.0, burst=1.0, now=0.0)
    assert bucket.wait(0.0) == 0.0
    assert bucket.allow(0.0)
    assert abs(bucket.wait(0.0) - 0.01) < 1e-9
    assert abs(bucket.wait(0.004) - 0.006) < 1e-9  # a paced call waits the rest, not 1/rate
    assert not bucket.allow(0.004)
    assert bucket.allow(0.004 + bucket.wait(0.004))
