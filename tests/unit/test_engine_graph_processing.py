"""The engine graph's processing flag: off keeps no edge leaving a plugin, on restores all."""

from __future__ import annotations

from stompbox.engine.graph import Graph, bypass_pairs


def board() -> Graph:
    g = Graph()
    g.connect("system:capture_1", "effect_0:input")
    g.connect("effect_0:output", "effect_1:input")
    g.connect("effect_1:output", "system:playback_1")
    g.connect("system:capture_2", "system:playback_2")
    g.connect("probe:out_0", "effect_1:input")
    return g


def test_processing_off_drops_every_edge_leaving_a_plugin() -> None:
    g = board()
    on = g.physical()
    g.processing = False
    assert g.physical() == {
        ("system:capture_1", "effect_0:input"),
        ("system:capture_2", "system:playback_2"),
        ("probe:out_0", "effect_1:input"),
    }
    g.processing = True
    assert g.physical() == on


def test_bypassed_plugin_is_not_contracted_while_processing_is_off() -> None:
    g = board()
    g.set_bypass("effect_0", bypass_pairs(["effect_0:input"], ["effect_0:output"]))
    assert ("system:capture_1", "effect_1:input") in g.physical()
    g.processing = False
    assert ("system:capture_1", "effect_1:input") not in g.physical()
    assert ("system:capture_1", "effect_0:input") in g.physical()
