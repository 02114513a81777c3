"""Undo/redo of the current board: history steps, entries, and the params that name who edits.

A history entry is one user action (add a plugin, draw a cable, one knob gesture …) recorded as
a list of invertible steps. Edits carry the editing client's id (`client`, chosen by the browser,
one per tab) so that each client undoes its own entries; a knob gesture (`gesture`, an id the
client picks at drag start) coalesces into one entry.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from .events import EventName
from .params import Bypass, InstanceRef, LoadPreset, Ports, SetParameter

ClientId = Annotated[str, msgspec.Meta(max_length=64)]

MAX_SUMMARY = 100
"""How many of the newest entries `state` and `history_changed` carry."""


# -- params of edits that are recorded (the session's variants of the shared shapes) ----------


class EditInstance(InstanceRef, frozen=True, forbid_unknown_fields=True):
    client: ClientId = ""


class EditParameter(SetParameter, frozen=True, forbid_unknown_fields=True):
    client: ClientId = ""
    gesture: ClientId = ""


class EditBypass(Bypass, frozen=True, forbid_unknown_fields=True):
    client: ClientId = ""


class EditPreset(LoadPreset, frozen=True, forbid_unknown_fields=True):
    client: ClientId = ""


class EditPorts(Ports, frozen=True, forbid_unknown_fields=True):
    client: ClientId = ""


MAX_KNOBS = 4
"""Controls a block shows at most."""


Symbol = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class EditKnobs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Params of `set_knobs`: the control symbols a block shows (None: back to the default)."""

    instance_id: str
    knobs: (
        Annotated[
            list[Annotated[str, msgspec.Meta(max_length=256)]], msgspec.Meta(max_length=MAX_KNOBS)
        ]
        | None
    ) = None
    client: ClientId = ""


class EditMove(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    instance_id: str
    x: float
    y: float
    client: ClientId = ""


class HistoryRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Params of `history.undo` / `history.redo`: whose newest entry to undo or redo."""

    client: ClientId = ""


# -- steps --------------------------------------------------------------------------------------


class PluginSnapshot(msgspec.Struct, frozen=True):
    """Enough of a plugin instance to bring it back exactly (same id, values, place, bypass)."""

    uri: str
    instance_id: str
    name: str
    x: float
    y: float
    enabled: bool
    parameters: dict[str, float]
    preset: str | None = None
    knobs: list[str] | None = None


class AddPluginStep(msgspec.Struct, frozen=True, tag="add_plugin"):
    plugin: PluginSnapshot


class RemovePluginStep(msgspec.Struct, frozen=True, tag="remove_plugin"):
    plugin: PluginSnapshot


class ConnectStep(msgspec.Struct, frozen=True, tag="connect"):
    source: str
    target: str


class DisconnectStep(msgspec.Struct, frozen=True, tag="disconnect"):
    source: str
    target: str


class MoveStep(msgspec.Struct, frozen=True, tag="move"):
    instance_id: str
    before: tuple[float, float]
    after: tuple[float, float]


class BypassStep(msgspec.Struct, frozen=True, tag="bypass"):
    instance_id: str
    before: bool
    after: bool


class KnobsStep(msgspec.Struct, frozen=True, tag="knobs"):
    instance_id: str
    before: list[str] | None
    after: list[str] | None


class ValuesStep(msgspec.Struct, frozen=True, tag="values"):
    """Parameter values (a knob gesture, a preset) from `before` to `after`."""

    instance_id: str
    before: dict[str, float]
    after: dict[str, float]
    preset_before: str | None = None
    preset_after: str | None = None


Step = (
    AddPluginStep
    | RemovePluginStep
    | ConnectStep
    | DisconnectStep
    | MoveStep
    | BypassStep
    | KnobsStep
    | ValuesStep
)


class HistoryEntry(msgspec.Struct, kw_only=True):
    """One undoable action. `stamp` orders every change the board has seen (see session.history)."""

    id: int
    label: str
    client: str
    stamp: int
    steps: list[Step]
    gesture: str = ""
    undone: bool = False


class HistoryFile(msgspec.Struct, kw_only=True):
    """What `history.json` (beside `current.json`) holds: the current board's history."""

    schema: int = 1
    board_id: str
    next_id: int = 1
    stamp: int = 0
    entries: list[HistoryEntry] = msgspec.field(default_factory=list)
    touched: dict[str, tuple[str, int]] = msgspec.field(default_factory=dict)


# -- results and events -------------------------------------------------------------------------


class HistoryItem(msgspec.Struct, frozen=True):
    """One entry as clients see it."""

    id: int
    label: str
    client: str
    undone: bool


class HistoryChangedData(msgspec.Struct, frozen=True, tag=EventName.HISTORY_CHANGED.value):
    """`history_changed`: the newest entries of the current board (oldest first)."""

    entries: list[HistoryItem]
    action: str = ""  # recorded | undone | redone | cleared | skipped
    label: str = ""
    client: str = ""


class UndoResult(msgspec.Struct, frozen=True):
    """Result of undo/redo: what was undone or redone (`label`), or why nothing was."""

    done: bool
    label: str = ""
    message: str = ""
