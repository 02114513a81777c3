"""Wire a just-loaded plugin in: cut the cables it replaces, draw those around it (one entry).

The caller holds the session lock and has loaded the plugin; `@new:<symbol>` in the splice names
one of its ports. Every new cable is validated before anything changes; a bad one unloads the
plugin again, so a refused splice leaves the board as it was.
"""

from __future__ import annotations

from stompbox.contract.errors import StompboxError
from stompbox.contract.history import ConnectStep, DisconnectStep, Step
from stompbox.contract.session import Splice

from .connection_service import ConnectionService
from .plugin_manager import PluginManager


async def splice_in(
    plugins: PluginManager, connections: ConnectionService, instance_id: str, splice: Splice
) -> list[Step]:
    """Apply `splice` around `instance_id`; the steps done, for the history."""

    def name(address: str) -> str:
        return address.replace("@new:", f"{instance_id}:", 1)

    wires = [(name(c.source), name(c.target)) for c in splice.connect]
    try:
        for source, target in wires:
            await connections.validate(source, target)
    except StompboxError:
        await plugins.unload(instance_id)
        raise
    steps: list[Step] = []
    for c in splice.disconnect:
        await connections.disconnect(c.source, c.target)
        steps.append(DisconnectStep(c.source, c.target))
    for source, target in dict.fromkeys(wires):
        if not connections.state.has_connection(source, target):
            await connections.connect(source, target)
            steps.append(ConnectStep(source, target))
    return steps
