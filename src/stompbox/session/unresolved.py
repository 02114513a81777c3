"""What a board load cannot run here stays in the board: duplicate ids renamed, refusals pending.

A board file may name one instance id twice (edited by hand, an old bug): the second and later
ones get a fresh id (`<id>_2`, ...) before anything reaches the engine, so no plugin is ever
loaded twice under one id (an orphan in the engine); cables naming that id stay with the first.
Plugins the engine cannot load (not installed, refused) and connections it refuses are moved to
`pending_plugins` / `pending_connections`: the board keeps them (a save writes them back), every
client sees them in the board, and the next load or replay tries them again.
"""

from __future__ import annotations

from stompbox.contract.model import Connection, Pedalboard

MAX_ID_LENGTH = 64
"""contract/ids.py: instance ids are 1-64 characters."""


def _fresh_id(base: str, taken: set[str]) -> str:
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = base[: MAX_ID_LENGTH - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


def unique_ids(board: Pedalboard) -> list[str]:
    """Rename every repeated instance id of `board` (plugins and pending plugins); one message
    per rename."""
    problems: list[str] = []
    every = [*board.plugins, *board.pending_plugins]
    taken = {p.instance_id for p in every}
    seen: set[str] = set()
    for plugin in every:
        if plugin.instance_id not in seen:
            seen.add(plugin.instance_id)
            continue
        fresh = _fresh_id(plugin.instance_id, taken)
        problems.append(
            f"instance id {plugin.instance_id!r} appears twice in board {board.id!r}: the second "
            f"is now {fresh!r} (cables naming {plugin.instance_id!r} stay with the first)"
        )
        taken.add(fresh)
        seen.add(fresh)
        plugin.instance_id = fresh
    return problems


def take_pending(board: Pedalboard) -> None:
    """Put what is pending back among the board's plugins and connections, to be tried again."""
    ids = {p.instance_id for p in board.plugins}
    board.plugins += [p for p in board.pending_plugins if p.instance_id not in ids]
    known = set(board.connections)
    board.connections += [c for c in board.pending_connections if c not in known]
    board.pending_plugins, board.pending_connections = [], []


def _of(connection: Connection, ids: set[str]) -> bool:
    return connection.source.split(":", 1)[0] in ids or connection.target.split(":", 1)[0] in ids


def set_plugins_pending(board: Pedalboard, ids: set[str]) -> None:
    """Move the plugins `ids` and every connection of theirs to pending."""
    board.pending_plugins += [p for p in board.plugins if p.instance_id in ids]
    board.plugins = [p for p in board.plugins if p.instance_id not in ids]
    board.pending_connections += [c for c in board.connections if _of(c, ids)]
    board.connections = [c for c in board.connections if not _of(c, ids)]


def set_connection_pending(board: Pedalboard, source: str, target: str) -> None:
    pair = Connection(source, target)
    board.connections = [c for c in board.connections if c != pair]
    if pair not in board.pending_connections:
        board.pending_connections.append(pair)


def forget_instance(board: Pedalboard, instance_id: str) -> None:
    """An instance removed by the user: its pending cables go with it."""
    board.pending_connections = [c for c in board.pending_connections if not _of(c, {instance_id})]


def pending_ids(board: Pedalboard) -> set[str]:
    return {p.instance_id for p in board.pending_plugins}
