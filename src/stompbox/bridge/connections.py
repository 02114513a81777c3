"""The connections the bridge told the engine to make: what `list_connections` answers.

JACK cannot tell them: inside an engine that runs the whole board in one JACK client the plugin
ports are not JACK ports, and an engine may route around a bypassed plugin. So the bridge keeps
its own book of every `connect` the engine acknowledged, for any mod-host-compatible engine.
"""

from __future__ import annotations

from stompbox.contract.bridge import ConnectionEntry


def _owner(address: str) -> str:
    return address.split(":", 1)[0]


class ConnectionBook:
    """Acknowledged connections as (source, target) port addresses. Pure bookkeeping, no I/O."""

    def __init__(self) -> None:
        self._pairs: dict[tuple[str, str], None] = {}  # insertion-ordered set

    def __len__(self) -> int:
        return len(self._pairs)

    def add(self, source: str, target: str) -> None:
        if (target, source) not in self._pairs:  # connect works in either order
            self._pairs[(source, target)] = None

    def remove(self, source: str, target: str) -> None:
        self._pairs.pop((source, target), None)
        self._pairs.pop((target, source), None)

    def drop_instance(self, instance_id: str) -> None:
        """The engine drops an instance's connections with the instance."""
        self._pairs = {p: None for p in self._pairs if instance_id not in map(_owner, p)}

    def clear(self) -> None:
        self._pairs.clear()

    def entries(self) -> list[ConnectionEntry]:
        return [ConnectionEntry(s, t) for s, t in self._pairs]
