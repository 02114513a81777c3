"""A socket's outgoing queue: the newest value of each control, structural events in order."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings, strategies as st

from stompbox.web.hub import Client
from stompbox.web.outqueue import Kind, Outgoing, OutQueue, coalescing_key

KEYS = ["a", "b", "c"]

# an operation: a value of key k ("v", k), a structural event ("s",), a reply ("r",), a write ("w",)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("v"), st.sampled_from(KEYS)),
        st.tuples(st.just("s")),
        st.tuples(st.just("r")),
        st.tuples(st.just("w")),
    ),
    max_size=200,
)


def _run(
    program: list[tuple[str, ...]],
) -> tuple[list[Outgoing], list[Outgoing], OutQueue, int]:
    """Publish and write as `program` says, then write what is left: (published, written,
    queue, the most items it held)."""
    q = OutQueue(10_000)
    published: list[Outgoing] = []
    written: list[Outgoing] = []
    most = 0
    seq = 0
    for op in program:
        if op[0] == "w":
            if q:
                written.append(q.pop())
            continue
        seq += 1
        if op[0] == "v":
            item = Outgoing(Kind.EVENT, seq, f"{op[1]}={seq}", key=("parameter_changed", op[1]))
        elif op[0] == "s":
            item = Outgoing(Kind.EVENT, seq, f"s{seq}")
        else:
            item = Outgoing(Kind.REPLY, seq, f"r{seq}")
        published.append(item)
        assert q.push(item)
        most = max(most, len(q))
    while q:
        written.append(q.pop())
    return published, written, q, most


@settings(max_examples=400)
@given(ops)
def test_each_control_ends_on_the_last_value_sent(program: list[tuple[str, ...]]) -> None:
    published, written, _, _ = _run(program)
    last_sent = {p.key: p.text for p in published if p.key is not None}
    last_seen = {w.key: w.text for w in written if w.key is not None}
    assert last_seen == last_sent


@settings(max_examples=400)
@given(ops)
def test_a_value_never_goes_backwards(program: list[tuple[str, ...]]) -> None:
    _, written, _, _ = _run(program)
    seqs = defaultdict(list)
    for w in written:
        if w.key is not None:
            seqs[w.key].append(w.seq)
    for key_seqs in seqs.values():
        assert key_seqs == sorted(set(key_seqs))


@settings(max_examples=400)
@given(ops)
def test_no_value_crosses_a_structural_event(program: list[tuple[str, ...]]) -> None:
    """Structural events and replies all arrive, in order; just before each structural event
    the client holds, for every control, the last value published before it."""
    published, written, _, _ = _run(program)
    structural = [p.text for p in published if p.key is None]
    assert [w.text for w in written if w.key is None] == structural
    session: dict[object, int] = {}
    at_structural = {}
    for p in published:
        if p.key is None and p.kind is Kind.EVENT:
            at_structural[p.seq] = dict(session)
        elif p.key is not None:
            session[p.key] = p.seq
    client: dict[object, int] = {}
    for w in written:
        if w.key is None and w.kind is Kind.EVENT:
            assert client == at_structural[w.seq]
        elif w.key is not None:
            client[w.key] = w.seq


@settings(max_examples=200)
@given(ops)
def test_the_queue_holds_one_value_per_control_per_segment(program: list[tuple[str, ...]]) -> None:
    published, written, q, most = _run(program)
    structural = sum(1 for p in published if p.key is None)
    assert most <= structural + len(KEYS) * (structural + 1)
    keyed_sent = sum(1 for p in published if p.key is not None)
    keyed_written = sum(1 for w in written if w.key is not None)
    assert q.coalesced == keyed_sent - keyed_written


def test_a_flood_of_one_control_holds_one_item() -> None:
    q = OutQueue(4)
    for seq in range(1, 1001):
        assert q.push(Outgoing(Kind.EVENT, seq, str(seq), key=("parameter_changed", "a", "g")))
    assert len(q) == 1
    assert q.coalesced == 999
    assert q.pop().text == "1000"
    assert not q


def test_a_taken_value_is_not_replaced() -> None:
    q = OutQueue(8)
    key = ("parameter_changed", "a", "g")
    q.push(Outgoing(Kind.EVENT, 1, "1", key=key))
    first = q.pop()
    q.push(Outgoing(Kind.EVENT, 2, "2", key=key))
    assert first.text == "1"
    assert q.pop().text == "2"


def test_a_reply_does_not_close_a_segment_and_a_state_does() -> None:
    q = OutQueue(8)
    key = ("parameter_changed", "a", "g")
    q.push(Outgoing(Kind.EVENT, 1, "1", key=key))
    q.push(Outgoing(Kind.REPLY, 0, "error"))
    q.push(Outgoing(Kind.EVENT, 2, "2", key=key))
    assert len(q) == 2
    q.push(Outgoing(Kind.FETCH_STATE))
    q.push(Outgoing(Kind.EVENT, 3, "3", key=key))
    assert [q.pop().text for _ in range(len(q))] == ["2", "error", "", "3"]


def test_a_full_queue_refuses_new_items_but_still_coalesces() -> None:
    q = OutQueue(2)
    key = ("parameter_changed", "a", "g")
    assert q.push(Outgoing(Kind.EVENT, 1, "s1"))
    assert q.push(Outgoing(Kind.EVENT, 2, "2", key=key))
    assert not q.push(Outgoing(Kind.EVENT, 3, "s3"))
    assert q.push(Outgoing(Kind.EVENT, 4, "4", key=key))
    assert [q.pop().text, q.pop().text] == ["s1", "4"]


def test_coalescing_keys() -> None:
    data = {"instance_id": "amp_1", "symbol": "gain", "value": 1.0}
    assert coalescing_key("parameter_changed", data) == ("parameter_changed", "amp_1", "gain")
    assert coalescing_key("output_changed", data) == ("output_changed", "amp_1", "gain")
    assert coalescing_key("dsp_load", {"instance_id": "amp_1", "percent": 3.0}) == (
        "dsp_load",
        "amp_1",
    )
    assert coalescing_key("tuner", {}) == ("tuner",)
    assert coalescing_key("plugin_loaded", data) is None  # structural
    assert coalescing_key("parameter_changed", {"instance_id": "amp_1"}) is None  # malformed
    assert coalescing_key("parameter_changed", {"instance_id": 1, "symbol": "g"}) is None


async def test_a_slow_socket_gets_the_newest_values_without_a_resync() -> None:
    """A socket not written to while 10,000 values of 8 controls arrive holds 8 items, ends on
    each control's newest value, and never overflows into a fresh state."""
    client = Client(queue_size=64)
    client.request_state()
    assert (await client.get()).kind is Kind.FETCH_STATE
    client.fetch_queued = False
    for seq in range(1, 10_001):
        key = ("parameter_changed", f"amp_{seq % 8}", "gain")
        client.offer(Outgoing(Kind.EVENT, seq, f"{key[1]}={seq}", key=key))
    assert len(client.out) == 8
    got = [(await client.get()).text for _ in range(8)]
    assert sorted(got) == sorted(f"amp_{s % 8}={s}" for s in range(9993, 10_001))
    assert client.stats["coalesced"] == 10_000 - 8
    assert client.stats["overflows"] == 0


async def test_structural_events_past_the_limit_still_resync() -> None:
    client = Client(queue_size=4)
    for seq in range(1, 10):
        client.offer(Outgoing(Kind.EVENT, seq, f"s{seq}"))
    assert client.stats["overflows"] >= 1
    kinds = [client.out.pop().kind for _ in range(len(client.out))]
    assert Kind.FETCH_STATE in kinds


def test_the_hub_statistics_are_typed_with_every_socket_counter() -> None:
    """Every counter a socket keeps (ws.py, hub.py) is a field of HubStatistics: a new one
    without a field fails here, not in /api/stats."""
    import msgspec

    from stompbox.contract.stats import HubStatistics, WebStatistics
    from stompbox.web.hub import Hub

    class NoSubscriber:
        def statistics(self) -> dict[str, int]:
            return {"received": 0}

    hub = Hub(None, NoSubscriber())  # type: ignore[arg-type]
    client = Client(queue_size=2)
    hub.register(client)
    counters = ["sent", "received", "refused", "coalesced", "overflows", "replies_dropped"]
    for name in [*counters, "errors_dropped", "resyncs_limited", "calls_paced"]:
        client.stats[name] += 1
    stats = hub.statistics()
    assert isinstance(stats, HubStatistics)
    assert (stats.clients, stats.coalesced, stats.calls_paced) == (1, 1, 1)
    wire = msgspec.json.encode(WebStatistics(stats, {}))
    assert msgspec.json.decode(wire, type=WebStatistics).hub == stats
