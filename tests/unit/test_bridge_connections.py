"""The bridge's book of acknowledged connections (what list_connections answers)."""

from __future__ import annotations

from stompbox.bridge.connections import ConnectionBook
from stompbox.contract.bridge import ConnectionEntry


def test_add_remove_in_either_order_and_no_duplicates() -> None:
    book = ConnectionBook()
    book.add("system:capture_1", "amp:input")
    book.add("amp:input", "system:capture_1")  # the same connection named the other way round
    book.add("amp:output", "system:playback_1")
    assert book.entries() == [
        ConnectionEntry("system:capture_1", "amp:input"),
        ConnectionEntry("amp:output", "system:playback_1"),
    ]
    book.remove("system:playback_1", "amp:output")
    assert book.entries() == [ConnectionEntry("system:capture_1", "amp:input")]


def test_an_unloaded_instance_takes_its_connections_along() -> None:
    book = ConnectionBook()
    book.add("system:capture_1", "amp:input")
    book.add("amp:output", "amp-2:input")
    book.add("amp-2:output", "system:playback_1")
    book.drop_instance("amp")
    assert book.entries() == [ConnectionEntry("amp-2:output", "system:playback_1")]
    book.drop_instance("amp-")  # a prefix of an id is not that id
    assert len(book) == 1
    book.clear()
    assert book.entries() == []
