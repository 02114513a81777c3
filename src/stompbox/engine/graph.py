"""Logical connections and bypass, and the physical JACK graph derived from them (pure, no I/O).

Clients connect ports logically; a bypassed instance is contracted out of the physical graph: what
feeds its audio input i is wired straight to whatever its audio output i feeds (outputs beyond the
last input take the last input), so the signal passes unprocessed. While global processing is off
(`feature_enable processing 0`), plugins output silence: no physical edge leaves a plugin's port and
nothing is contracted, so only connections made from non-plugin ports (system, other clients) stay.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Edge = tuple[str, str]  # (output port, input port), full JACK names

PLUGIN_CLIENT_PREFIX = "effect_"


def client_of(port: str) -> str:
    return port.split(":", 1)[0]


def is_plugin_port(port: str) -> bool:
    return client_of(port).startswith(PLUGIN_CLIENT_PREFIX)


def bypass_pairs(audio_inputs: Sequence[str], audio_outputs: Sequence[str]) -> list[Edge]:
    """Pair audio input i with audio output i (extra outputs take the last input)."""
    if not audio_inputs:
        return []
    return [
        (audio_inputs[min(i, len(audio_inputs) - 1)], out) for i, out in enumerate(audio_outputs)
    ]


class Graph:
    """The logical edge set plus the bypassed instances' input→output pairings."""

    def __init__(self) -> None:
        self.edges: set[Edge] = set()
        self._through: dict[str, list[str]] = {}  # contracted input port -> output ports
        self._contracted_outputs: set[str] = set()
        self._bypassed: dict[str, list[Edge]] = {}  # client -> pairs
        self.processing = True  # global processing flag; off = plugins output silence

    # logical edits -----------------------------------------------------------------------
    def connect(self, source: str, target: str) -> None:
        self.edges.add((source, target))

    def disconnect(self, source: str, target: str) -> bool:
        if (source, target) in self.edges:
            self.edges.discard((source, target))
            return True
        return False

    def set_bypass(self, client: str, pairs: Iterable[Edge] | None) -> None:
        """Contract `client` (pairs of (audio input, audio output)) or, with None, restore it."""
        self._bypassed.pop(client, None)
        if pairs is not None:
            self._bypassed[client] = list(pairs)
        self._through.clear()
        self._contracted_outputs.clear()
        for plist in self._bypassed.values():
            for inp, out in plist:
                self._through.setdefault(inp, []).append(out)
                self._contracted_outputs.add(out)

    def is_bypassed(self, client: str) -> bool:
        return client in self._bypassed

    def remove_client(self, client: str) -> None:
        self.edges = {
            e for e in self.edges if client_of(e[0]) != client and client_of(e[1]) != client
        }
        if client in self._bypassed:
            self.set_bypass(client, None)

    def remove_where(self, source_prefix: str, target_prefix: str) -> list[Edge]:
        """Drop logical edges whose ports start with the given prefixes; return them."""
        gone = [
            e
            for e in self.edges
            if e[0].startswith(source_prefix) and e[1].startswith(target_prefix)
        ]
        for e in gone:
            self.edges.discard(e)
        return gone

    # derivation --------------------------------------------------------------------------
    def physical(self) -> set[Edge]:
        """The JACK connections realising the logical graph, bypassed instances contracted."""
        if not self.processing:
            return {e for e in self.edges if not is_plugin_port(e[0])}
        result: set[Edge] = set()
        for source, target in self.edges:
            if source in self._contracted_outputs:
                continue  # reached by expanding whatever feeds the contracted input
            for real in self._targets(target, set()):
                result.add((source, real))
        return result

    def _targets(self, port: str, seen: set[str]) -> set[str]:
        outs = self._through.get(port)
        if outs is None:
            return {port}
        if port in seen:
            return set()
        seen.add(port)
        found: set[str] = set()
        for out in outs:
            for source, target in self.edges:
                if source == out:
                    found |= self._targets(target, seen)
        return found


def diff(old: set[Edge], new: set[Edge]) -> tuple[list[Edge], list[Edge]]:
    """(to disconnect, to connect), each sorted for determinism."""
    return sorted(old - new), sorted(new - old)
