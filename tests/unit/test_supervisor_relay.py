"""The supervisor's line relay: any output, however long, becomes bounded lines."""

from __future__ import annotations

from stompbox.supervisor import LineRelay


def test_short_lines_pass_unchanged_across_chunks() -> None:
    relay = LineRelay(limit=100)
    assert relay.feed(b"engine re") == []
    assert relay.feed(b"ady\nsecond\nthi") == [b"engine ready\n", b"second\n"]
    assert relay.flush() == [b"thi\n"]
    assert relay.flush() == []


def test_a_huge_line_is_truncated_and_what_follows_survives() -> None:
    relay = LineRelay(limit=10)
    out = relay.feed(b"x" * 70_000)
    out += relay.feed(b"y" * 1_000_000 + b"\nweb ready\n")
    assert out == [b"xxxxxxxxxx [... 1069990 bytes truncated]\n", b"web ready\n"]


def test_exactly_at_the_limit_is_not_truncated() -> None:
    relay = LineRelay(limit=4)
    assert relay.feed(b"abcd\nabcde\n") == [b"abcd\n", b"abcd [... 1 bytes truncated]\n"]
