"""The MIDI binding engine (pure): which binding a MIDI message hits, and what it asks for.

`BindingEngine.handle(message, ...)` returns `Action`s; the caller (the live service) performs
them. Continuous controls scale 0..127 into the binding's range (or the port's), honouring
invert, toggled, integer, enumeration and logarithmic ports. Switch functions (bypass, tuner,
mute) are toggle (each press flips) or momentary (on while held); triggers (snapshot/setlist
steps, recall) fire on a press. A press is a note-on, or a CC rising to >= 64 (a CC that repeats
127, as footswitches that send no release do, is a press each time). No message is ever refused:
an unknown one is ignored. Learning takes the next CC or note as the binding's control.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable

import msgspec

from stompbox.contract.errors import ValidationError
from stompbox.contract.live import (
    MAX_BINDINGS,
    BindingScope,
    BindingTarget,
    MidiBinding,
    MidiInput,
    MidiKind,
    SwitchMode,
)
from stompbox.contract.plugin import PortInfo

SWITCHES = frozenset({BindingTarget.BYPASS, BindingTarget.TUNER, BindingTarget.MUTE})
TRIGGERS = frozenset(
    {
        BindingTarget.SNAPSHOT_NEXT,
        BindingTarget.SNAPSHOT_PREV,
        BindingTarget.SNAPSHOT_RECALL,
        BindingTarget.SNAPSHOT_SAVE,
        BindingTarget.SETLIST_NEXT,
        BindingTarget.SETLIST_PREV,
    }
)
GLOBAL_ONLY = frozenset(
    {BindingTarget.SETLIST_NEXT, BindingTarget.SETLIST_PREV, BindingTarget.TUNER}
)


class Action(msgspec.Struct, frozen=True, kw_only=True):
    """What a binding asks for. `value` for parameters; `on` for switches (bypass: on = the
    effect is engaged, i.e. not bypassed); `index` for snapshot_recall."""

    target: BindingTarget
    instance_id: str = ""
    symbol: str = ""
    value: float = 0.0
    on: bool = False
    index: int = 0


BEND_MAX = 16383
KINDS = {
    "cc": MidiKind.CC,
    "note_on": MidiKind.NOTE,
    "note_off": MidiKind.NOTE,
    "bend": MidiKind.BEND,
}


def check_binding(b: MidiBinding) -> MidiBinding:
    """Validate a binding's shape (ranges of channel/number, what its target needs)."""
    if not 0 <= b.channel <= 15:
        raise ValidationError("MIDI channel must be 0..15")
    if not 0 <= b.number <= 127:
        raise ValidationError("MIDI CC/note number must be 0..127")
    if b.target in (BindingTarget.PARAMETER, BindingTarget.BYPASS) and not b.instance_id:
        raise ValidationError(f"a {b.target} binding needs instance_id")
    if b.target is BindingTarget.PARAMETER and not b.symbol:
        raise ValidationError("a parameter binding needs symbol")
    for v in (b.minimum, b.maximum):
        if v is not None and not math.isfinite(v):
            raise ValidationError("binding minimum/maximum must be finite")
    if (
        b.target in (BindingTarget.PARAMETER, BindingTarget.BYPASS)
        and b.scope is BindingScope.GLOBAL
    ):
        raise ValidationError("parameter and bypass bindings belong to a board (scope 'board')")
    return b


def scale(b: MidiBinding, port: PortInfo, raw: int, kind: str) -> float:
    """The parameter value a control value (0..127, or a note on/off) stands for."""
    lo = b.minimum if b.minimum is not None else (port.minimum if port.minimum is not None else 0.0)
    hi = b.maximum if b.maximum is not None else (port.maximum if port.maximum is not None else 1.0)
    if kind == "bend":
        t = min(max(raw, 0), BEND_MAX) / BEND_MAX
    else:
        t = 1.0 if kind == "note_on" else 0.0 if kind == "note_off" else min(max(raw, 0), 127) / 127
    if b.invert:
        t = 1.0 - t
    if port.toggled:
        return hi if t >= 0.5 else lo
    log_scale = port.logarithmic and lo > 0 and hi > 0
    value: float = lo * (hi / lo) ** t if log_scale else lo + t * (hi - lo)
    if port.enumeration and port.scale_points:
        points = [sp.value for sp in port.scale_points]
        return float(min(points, key=lambda v: abs(v - value)))
    if port.integer:
        value = float(round(value))
    return value


class BindingEngine:
    """Bindings of the current board plus global ones; switch and learn state."""

    def __init__(self) -> None:
        self.board: list[MidiBinding] = []
        self.global_: list[MidiBinding] = []
        self.learning: MidiBinding | None = None
        self.learn_until = math.inf
        self._last: dict[tuple[str, int, int], int] = {}  # (kind, channel, number) → last value
        self.ignored = 0

    # -- the binding lists ----------------------------------------------------------------

    def all(self) -> list[MidiBinding]:
        return [*self.board, *self.global_]

    def add(self, b: MidiBinding) -> MidiBinding:
        b = check_binding(b)
        if b.scope is BindingScope.BOARD and b.target in GLOBAL_ONLY:
            b = msgspec.structs.replace(b, scope=BindingScope.GLOBAL)
        replaces = any(x.id == b.id for x in self.all()) if b.id else False
        if len(self.all()) >= MAX_BINDINGS and not replaces:
            raise ValidationError(f"at most {MAX_BINDINGS} MIDI bindings")
        b = msgspec.structs.replace(b, id=b.id or secrets.token_hex(4))
        self.remove(b.id, missing_ok=True)
        (self.global_ if b.scope is BindingScope.GLOBAL else self.board).append(b)
        return b

    def remove(self, binding_id: str, *, missing_ok: bool = False) -> bool:
        for bucket in (self.board, self.global_):
            for i, b in enumerate(bucket):
                if b.id == binding_id:
                    del bucket[i]
                    return True
        if not missing_ok:
            raise ValidationError(f"no MIDI binding {binding_id!r}")
        return False

    def drop_instance(self, instance_id: str) -> None:
        self.board = [b for b in self.board if b.instance_id != instance_id]

    # -- messages -------------------------------------------------------------------------

    def learn(self, template: MidiBinding, until: float = math.inf) -> None:
        """Arm learning until the monotonic time `until` (a message after it is not learned)."""
        check_binding(msgspec.structs.replace(template, channel=0, number=0))
        self.learning = template
        self.learn_until = until

    def _learned(self, msg: MidiInput) -> MidiBinding:
        assert self.learning is not None
        learned = msgspec.structs.replace(
            self.learning, channel=msg.channel, number=msg.number, kind=KINDS[msg.kind], id=""
        )
        self.learning = None
        return self.add(learned)

    def _press(self, msg: MidiInput) -> bool | None:
        """True: a press; False: a release; None: neither (a CC moving within a half)."""
        if msg.kind == "note_on":
            return msg.value > 0
        if msg.kind == "note_off":
            return False
        key = (msg.kind, msg.channel, msg.number)
        last = self._last.get(key)
        value = msg.value >> 7 if msg.kind == "bend" else msg.value  # a bend as 0..127
        if last is not None and msg.kind == "bend":
            last >>= 7
        if value >= 64:
            return last is None or last < 64 or (value == 127 and last == 127)
        return False if last is None or last >= 64 else None

    def handle(
        self,
        msg: MidiInput,
        port_of: Callable[[str, str], PortInfo | None],
        switch_state: Callable[[MidiBinding], bool],
        now: float = 0.0,
    ) -> tuple[list[Action], MidiBinding | None]:
        """The actions `msg` asks for, and the binding learned from it (if learning).

        `port_of(instance, symbol)` gives a parameter's port (None if gone: the binding is
        skipped); `switch_state(binding)` the current on/off of a switch binding's function.
        """
        if msg.kind not in KINDS or not (0 <= msg.channel <= 15 and 0 <= msg.number <= 127):
            self.ignored += 1
            return [], None
        if self.learning is not None and now > self.learn_until:
            self.learning = None  # nobody moved a control in time
        if self.learning is not None and msg.kind != "note_off":
            return [], self._learned(msg)
        press = self._press(msg)
        if msg.kind in ("cc", "bend"):
            self._last[(msg.kind, msg.channel, msg.number)] = msg.value
        kind = KINDS[msg.kind]
        actions: list[Action] = []
        for b in self.all():
            if b.kind is not kind or b.channel != msg.channel or b.number != msg.number:
                continue
            action = self._action(b, msg, press, port_of, switch_state)
            if action is not None:
                actions.append(action)
        return actions, None

    def _action(
        self,
        b: MidiBinding,
        msg: MidiInput,
        press: bool | None,
        port_of: Callable[[str, str], PortInfo | None],
        switch_state: Callable[[MidiBinding], bool],
    ) -> Action | None:
        if b.target is BindingTarget.PARAMETER:
            port = port_of(b.instance_id, b.symbol)
            if port is None:
                return None
            value = scale(b, port, msg.value, msg.kind)
            return Action(target=b.target, instance_id=b.instance_id, symbol=b.symbol, value=value)
        if press is None:
            return None
        if b.target in SWITCHES:
            if b.mode is SwitchMode.MOMENTARY:
                on = press != b.invert
            elif press:
                on = not switch_state(b)
            else:
                return None
            return Action(target=b.target, instance_id=b.instance_id, on=on)
        if b.target in TRIGGERS and press:
            return Action(target=b.target, index=b.snapshot)
        return None
