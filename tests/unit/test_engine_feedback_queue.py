"""The engine's feedback queue (pure): newest value per port, order of the rest, bounds, batches."""

from __future__ import annotations

from stompbox.engine.feedback import FeedbackQueue
from stompbox.modhost.feedback import (
    LogFb,
    OutputSetFb,
    ParamSetFb,
    PluginDiedFb,
    parse_feedback,
)


def batch(q: FeedbackQueue) -> list[str]:
    data = q.take_batch()
    assert data is not None
    return data.decode().split("\0")[:-1]


def test_a_port_keeps_only_its_newest_value_and_others_keep_their_order() -> None:
    q = FeedbackQueue()
    q.put(ParamSetFb(1, "gain", 0.1))
    q.put(OutputSetFb(1, "level", 0.5))
    q.put(ParamSetFb(1, "gain", 0.2))  # replaces the first, moves behind `level`
    q.put(LogFb(1, "a"))
    q.put(LogFb(1, "b"))
    assert q.pending() == 4
    sent = batch(q)
    assert sent == [
        "output_set 1 level 0.500000",
        "param_set 1 gain 0.200000",
        "log 1 a",
        "log 1 b",
        "data_finish",
    ]
    assert [parse_feedback(m) for m in sent[:2]] == [
        OutputSetFb(1, "level", 0.5),
        ParamSetFb(1, "gain", 0.2),
    ]


def test_a_batch_disarms_until_the_client_asks_again() -> None:
    q = FeedbackQueue()
    assert q.ready
    assert q.take_batch() is None  # nothing queued: nothing sent, still armed
    q.put(PluginDiedFb(3, -9))
    assert batch(q) == ["plugin_died 3 -9", "data_finish"]
    assert not q.ready
    assert q.sent_batches == 1
    q.rearm()
    assert q.ready


def test_a_dead_instance_loses_its_pending_values_but_not_its_death() -> None:
    q = FeedbackQueue()
    q.put(ParamSetFb(3, "gain", 1.0))
    q.put(OutputSetFb(3, "level", 1.0))
    q.put(ParamSetFb(4, "gain", 1.0))
    q.drop_instance(3, "level")
    assert q.pending() == 2
    q.drop_instance(3)
    q.put(PluginDiedFb(3, 1))
    assert batch(q) == ["param_set 4 gain 1.000000", "plugin_died 3 1", "data_finish"]


def test_the_queue_is_bounded_and_counts_what_it_dropped() -> None:
    q = FeedbackQueue(max_pending=4)
    for n in range(6):
        q.put(LogFb(1, f"m{n}"))  # ordered: the oldest go
    for n in range(6):
        q.put(ParamSetFb(n, "gain", 0.0))  # coalesced, distinct ports: the oldest go
    assert q.dropped == 4
    sent = batch(q)
    assert sent[:4] == [f"param_set {n} gain 0.000000" for n in range(2, 6)]
    assert sent[4:] == ["log 1 m2", "log 1 m3", "log 1 m4", "log 1 m5", "data_finish"]
