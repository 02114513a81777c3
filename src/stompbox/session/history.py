"""The current board's undo history: entries per client, knob gestures coalesced, conflicts found.

Rules (see README "Undo and redo"):
- each client (a browser tab, by the id it sends) undoes its own entries, newest first, and redoes
  what it undid; a new entry by a client drops that client's undone entries;
- every change of the board, recorded or not, stamps what it touched (`touched`: key → who, when);
  an entry is refused (and dropped from the history, a "skip") when something it touched was
  changed later by another client: an undo never silently reverts someone else's newer change;
- at most `MAX_ENTRIES` entries are kept (the oldest go first); loading or creating another board
  starts a new history.

Keys: `<instance>` (the instance itself), `<instance>/p/<symbol>`, `<instance>/bypass`,
`<instance>/pos`, `<instance>/preset`, `~<source>><target>` (a cable). Two keys overlap when equal,
when one is a path prefix of the other, or when one is an instance the other (a cable) ends at.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import msgspec

from stompbox.contract.errors import ConflictError
from stompbox.contract.history import (
    MAX_SUMMARY,
    AddPluginStep,
    BypassStep,
    ConnectStep,
    DisconnectStep,
    HistoryEntry,
    HistoryFile,
    HistoryItem,
    KnobsStep,
    MoveStep,
    RemovePluginStep,
    Step,
    ValuesStep,
)

MAX_ENTRIES = 200
MAX_TOUCHED = 2000
ENGINE_CLIENT = "engine"


def cable_key(source: str, target: str) -> str:
    return f"~{source}>{target}"  # '~' is never part of an instance id


def owners(key: str) -> set[str]:
    """The instances a key belongs to (a cable belongs to both of its ends)."""
    if key.startswith("~"):
        source, _, target = key[1:].partition(">")
        return {source.partition(":")[0], target.partition(":")[0]}
    return {key.partition("/")[0]}


def step_keys(step: Step) -> set[str]:
    """The keys one step changes."""
    if isinstance(step, AddPluginStep | RemovePluginStep):
        return {step.plugin.instance_id}
    if isinstance(step, ConnectStep | DisconnectStep):
        return {cable_key(step.source, step.target)}
    if isinstance(step, MoveStep):
        return {f"{step.instance_id}/pos"}
    if isinstance(step, BypassStep):
        return {f"{step.instance_id}/bypass"}
    if isinstance(step, KnobsStep):
        return {f"{step.instance_id}/knobs"}
    keys = {f"{step.instance_id}/p/{s}" for s in step.after}
    if step.preset_before != step.preset_after:
        keys.add(f"{step.instance_id}/preset")
    return keys


def overlaps(a: str, b: str) -> bool:
    """Do changes of `a` and `b` touch the same thing? (an instance covers all of its keys)"""
    if a == b or a.startswith(f"{b}/") or b.startswith(f"{a}/"):
        return True
    return any(
        "/" not in x and not x.startswith("~") and x in owners(y) for x, y in ((a, b), (b, a))
    )


def invert(step: Step) -> Step:
    """The step that takes the board back from after `step` to before it."""
    if isinstance(step, AddPluginStep):
        return RemovePluginStep(step.plugin)
    if isinstance(step, RemovePluginStep):
        return AddPluginStep(step.plugin)
    if isinstance(step, ConnectStep):
        return DisconnectStep(step.source, step.target)
    if isinstance(step, DisconnectStep):
        return ConnectStep(step.source, step.target)
    if isinstance(step, MoveStep):
        return MoveStep(step.instance_id, step.after, step.before)
    if isinstance(step, BypassStep):
        return BypassStep(step.instance_id, step.after, step.before)
    if isinstance(step, KnobsStep):
        return KnobsStep(step.instance_id, step.after, step.before)
    return ValuesStep(
        step.instance_id, step.after, step.before, step.preset_after, step.preset_before
    )


BURST = 1.0
"""Seconds: changes of one knob by one client without a gesture id, each within this of the last,
make one entry (an API client's burst costs one entry, not one per value)."""


class History:
    """The history of one board; `file` is what gets persisted."""

    def __init__(self, board_id: str = "", clock: Callable[[], float] = time.monotonic) -> None:
        self.file = HistoryFile(board_id=board_id)
        self.version = 0
        """Increases with every change worth saving (the autosaver compares it)."""
        self.clock = clock
        self._last_at = float("-inf")

    @classmethod
    def adopt(cls, file: HistoryFile) -> History:
        history = cls(file.board_id)
        history.file = file
        return history

    @property
    def board_id(self) -> str:
        return self.file.board_id

    @property
    def entries(self) -> list[HistoryEntry]:
        return self.file.entries

    def reset(self, board_id: str) -> None:
        self.file = HistoryFile(board_id=board_id)
        self.version += 1

    # -- recording ------------------------------------------------------------------------

    def touch(self, keys: Iterable[str], client: str) -> int:
        """Stamp `keys` as changed now by `client` (every change of the board, recorded or not)."""
        f = self.file
        f.stamp += 1
        for key in keys:
            f.touched.pop(key, None)
            f.touched[key] = (client, f.stamp)
        if len(f.touched) > MAX_TOUCHED:  # the oldest stamps can no longer conflict with anything
            for key in list(f.touched)[: len(f.touched) - MAX_TOUCHED]:
                del f.touched[key]
        self.version += 1
        return f.stamp

    def record(self, client: str, label: str, steps: list[Step], gesture: str = "") -> bool:
        """Add an entry (or extend the client's open gesture); True when the entry list changed."""
        if not steps:
            return False
        keys = set().union(*(step_keys(s) for s in steps))
        last = self._newest(client, undone=False)
        now = self.clock()
        burst = not gesture and now - self._last_at < BURST
        self._last_at = now
        if (
            last is not None
            and ((gesture and last.gesture == gesture) or (burst and not last.gesture))
            and last is self.entries[-1]
            and len(last.steps) == 1
            and len(steps) == 1
            and isinstance(last.steps[0], ValuesStep)
            and isinstance(steps[0], ValuesStep)
            and last.steps[0].instance_id == steps[0].instance_id
            and (gesture or set(last.steps[0].after) == set(steps[0].after))
        ):
            old, new = last.steps[0], steps[0]
            last.steps[0] = ValuesStep(
                old.instance_id,
                {**new.before, **old.before},
                {**old.after, **new.after},
                old.preset_before,
                new.preset_after,
            )
            last.stamp = self.touch(keys, client)
            return False
        f = self.file
        f.entries = [e for e in f.entries if not (e.client == client and e.undone)]
        stamp = self.touch(keys, client)
        f.entries.append(
            HistoryEntry(
                id=f.next_id, label=label, client=client, stamp=stamp, steps=steps, gesture=gesture
            )
        )
        f.next_id += 1
        del f.entries[:-MAX_ENTRIES]
        return True

    # -- undo and redo --------------------------------------------------------------------

    def _newest(self, client: str, *, undone: bool) -> HistoryEntry | None:
        for entry in reversed(self.entries):
            if entry.client == client and entry.undone == undone:
                return entry
        return None

    def _oldest_undone(self, client: str) -> HistoryEntry | None:
        for entry in self.entries:
            if entry.client == client and entry.undone:
                return entry
        return None

    def next_undo(self, client: str) -> HistoryEntry | None:
        return self._newest(client, undone=False)

    def next_redo(self, client: str) -> HistoryEntry | None:
        return self._oldest_undone(client)

    def conflict(self, entry: HistoryEntry) -> str | None:
        """Why `entry` may not be undone/redone by its client now, or None."""
        keys = set().union(*(step_keys(s) for s in entry.steps))
        for key, (who, stamp) in self.file.touched.items():
            if stamp > entry.stamp and who != entry.client and any(overlaps(key, k) for k in keys):
                by = "the engine (MIDI or the plugin)" if who == ENGINE_CLIENT else "another client"
                return f"“{entry.label}” was changed since by {by}"
        return None

    def check(self, entry: HistoryEntry, verb: str) -> None:
        """Raise ConflictError (and drop the entry: it can never apply again) on a conflict."""
        reason = self.conflict(entry)
        if reason is not None:
            self.drop(entry)
            raise ConflictError(
                f"cannot {verb} {reason}; skipped it (the next {verb} goes further back)",
                {"entry": entry.id, "label": entry.label},
            )

    def drop(self, entry: HistoryEntry) -> None:
        self.file.entries = [e for e in self.entries if e is not entry]
        self.version += 1

    def mark(self, entry: HistoryEntry, *, undone: bool) -> None:
        """After applying: the entry flips and its keys are stamped as changed by its client."""
        entry.undone = undone
        keys = set().union(*(step_keys(s) for s in entry.steps))
        entry.stamp = self.touch(keys, entry.client)

    # -- views ----------------------------------------------------------------------------

    def summary(self) -> list[HistoryItem]:
        return [HistoryItem(e.id, e.label, e.client, e.undone) for e in self.entries[-MAX_SUMMARY:]]

    def encode(self) -> bytes:
        return msgspec.json.encode(self.file)


def decode_history(data: bytes) -> HistoryFile | None:
    """A persisted history, or None when the file is damaged (a broken history is not fatal)."""
    try:
        file = msgspec.json.decode(data, type=HistoryFile)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if file.schema != 1:
        return None
    del file.entries[:-MAX_ENTRIES]
    return file
