"""Hidden instances' output ports are polled until the engine streams them, and again after."""

from __future__ import annotations

from stompbox.session.output_poll import STALE, OutputPoll


def test_polls_until_values_stream_and_again_when_they_stop() -> None:
    poll = OutputPoll()
    assert poll.due(0.0)
    poll.arrived(0.01)  # the answer to the poll (the jalv engine: one per poll)
    assert poll.due(0.1)
    poll.arrived(0.11)
    poll.arrived(0.15)  # a second value unasked: the engine streams
    assert not poll.due(0.2)
    poll.arrived(0.25)
    assert not poll.due(0.3)
    assert poll.due(0.25 + STALE + 0.01)  # nothing came for a while: ask again
    poll.arrived(0.9)
    poll.arrived(0.95)
    poll.reset()  # the instance was loaded again
    assert poll.due(1.0)
