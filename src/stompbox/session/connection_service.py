"""The seed's Connection Service: validated audio/MIDI connections between plugin and system ports.

Addresses are `<instance_id>:<symbol>` for plugin ports and `system:<port>` for sound-card ports.
A connection runs from an output (a plugin's output port, or a system capture port, which JACK
calls an output) to an input of the same kind: audio/CV with audio/CV, MIDI with MIDI.
"""

from __future__ import annotations

import logging

from stompbox.contract.bridge import PortEntry
from stompbox.contract.errors import ConflictError, NotFoundError, ValidationError
from stompbox.contract.model import Connection
from stompbox.contract.plugin import PortType
from stompbox.contract.session import ConnectionCreatedData, ConnectionRemovedData

from .doubt import cable_item
from .state import SessionState

log = logging.getLogger(__name__)

SYSTEM = "system"


class Endpoint:
    """A resolved port: its address, kind ("audio"/"midi") and direction ("input"/"output")."""

    __slots__ = ("address", "direction", "kind")

    def __init__(self, address: str, kind: str, direction: str) -> None:
        self.address = address
        self.kind = kind
        self.direction = direction


def split_address(address: str) -> tuple[str, str]:
    owner, sep, port = address.partition(":")
    if not sep or not owner or not port or len(address) > 200:
        raise ValidationError(
            f"invalid port address {address!r} (expected '<instance_id>:<symbol>' or "
            "'system:<port>')",
            {"address": address},
        )
    return owner, port


def _kind(port_type: str) -> str:
    return "midi" if port_type == PortType.MIDI else "audio"


class ConnectionService:
    """Connect and disconnect ports; the model's `connections` mirror the engine's graph."""

    def __init__(self, state: SessionState) -> None:
        self.state = state
        self._system: dict[str, PortEntry] = {}

    def set_system_ports(self, ports: list[PortEntry]) -> None:
        self._system = {}
        for p in ports:
            if p.system or p.name.startswith(f"{SYSTEM}:"):
                name = p.name if ":" in p.name else f"{SYSTEM}:{p.name}"
                self._system[name] = p

    async def refresh_system_ports(self) -> None:
        self.set_system_ports(await self.state.bridge.list_ports())

    @property
    def system_ports(self) -> list[str]:
        return sorted(self._system)

    async def resolve(self, address: str) -> Endpoint:
        owner, port = split_address(address)
        if owner == SYSTEM:
            entry = self._system.get(address)
            if entry is None:
                await self.refresh_system_ports()
                entry = self._system.get(address)
            if entry is None:
                raise ValidationError(f"unknown system port {address!r}", {"address": address})
            return Endpoint(address, _kind(entry.type), entry.direction)
        plugin = self.state.instance(owner)
        info = plugin.ports.get(port)
        if info is None:
            if port in plugin.available_parameters or port in plugin.outputs:
                raise ValidationError(
                    f"{address} is a control port; only audio, CV and MIDI ports connect",
                    {"address": address},
                )
            known = ", ".join(sorted(plugin.ports)) or "none"
            raise ValidationError(
                f"unknown port {port!r} of {owner!r} (known: {known})", {"address": address}
            )
        return Endpoint(address, _kind(info.type), info.direction)

    async def validate(self, source: str, target: str) -> None:
        src, dst = await self.resolve(source), await self.resolve(target)
        if src.direction != "output":
            message = (
                f"source {source} is an input port: input→input connections are impossible"
                if dst.direction == "input"
                else f"source {source} is an input and target {target} an output; swap them"
            )
            raise ValidationError(message, {"source": source, "target": target})
        if dst.direction != "input":
            raise ValidationError(
                f"target {target} is an output port: output→output connections are impossible",
                {"source": source, "target": target},
            )
        if src.kind != dst.kind:
            raise ValidationError(
                f"type mismatch: {source} is {src.kind}, {target} is {dst.kind}",
                {"source": source, "target": target},
            )

    async def connect(self, source: str, target: str) -> Connection:
        st = self.state
        board = st.require_board()
        await self.validate(source, target)
        conn = Connection(source, target)
        if conn in board.connections:
            raise ConflictError(
                f"{source} is already connected to {target}", {"source": source, "target": target}
            )
        async with st.doubt.request(cable_item(source, target)):
            await st.bridge.connect(source, target)
        st.engine.connections.add((source, target))
        board.connections.append(conn)
        st.changed()
        st.publish_event(ConnectionCreatedData.of(conn))
        return conn

    async def disconnect(self, source: str, target: str) -> None:
        st = self.state
        board = st.require_board()
        split_address(source)
        split_address(target)
        conn = Connection(source, target)
        if conn not in board.connections:
            raise NotFoundError(
                f"no connection from {source} to {target}", {"source": source, "target": target}
            )
        if (source, target) in st.engine.connections:
            try:
                async with st.doubt.request(cable_item(source, target)):
                    await st.bridge.disconnect(source, target)
            except (NotFoundError, ValidationError) as exc:
                log.info("engine had no connection %s → %s: %s", source, target, exc)
        st.engine.connections.discard((source, target))
        board.connections.remove(conn)
        st.changed()
        st.publish_event(ConnectionRemovedData.of(conn))
