"""The `midi.*` RPC methods: MIDI bindings of the board and global ones, learn, program change,
and applying MIDI input (from the bridge's events or `midi.input`) to the session.

Global bindings and the program-change setting live in `<data_dir>/midi.json` (atomic writes);
board bindings in the board. Every action goes through the manager's lock like any client's
request, so no browser can lock MIDI out.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from pathlib import Path
from typing import Any, Protocol

import msgspec

from stompbox.contract import bridge_api as B, live as lv
from stompbox.contract.bridge import MidiMonitor
from stompbox.contract.errors import StompboxError, ValidationError
from stompbox.contract.params import Done, Empty
from stompbox.contract.plugin import PortInfo
from stompbox.contract.session import ChangeSource

from .midi_bindings import Action, BindingEngine
from .session_manager import SessionManager
from .snapshots import Snapshots
from .storage import atomic_write

log = logging.getLogger(__name__)

GLOBAL_MIDI_FILE = "midi.json"


class GlobalMidi(msgspec.Struct, kw_only=True):
    bindings: list[lv.MidiBinding] = msgspec.field(default_factory=list)
    program_change: lv.ProgramChangeConfig = lv.ProgramChangeConfig()


class LiveActions(Protocol):
    """What MIDI can ask of the live service."""

    snapshots: Snapshots

    async def snapshot_recall(self, q: lv.SnapshotRef, source: ChangeSource = ...) -> Any: ...
    async def snapshot_step(self, q: lv.SnapshotStep, source: ChangeSource = ...) -> Any: ...
    async def setlist_go(self, q: lv.SetlistGo) -> Any: ...
    async def setlist_step(self, step: int) -> Any: ...
    async def tuner_start(self, q: lv.TunerStart) -> Any: ...
    async def tuner_stop(self, _: Empty) -> Any: ...
    def tuner_active(self) -> bool: ...


class MidiService:
    """Bindings, learning and program change; `apply_midi` performs what a message is bound to."""

    def __init__(self, manager: SessionManager, data_dir: Path, actions: LiveActions) -> None:
        self.m = manager
        self.st = manager.state
        self.data_dir = Path(data_dir)
        self.actions = actions
        self.midi = BindingEngine()
        self.program_change = lv.ProgramChangeConfig()
        self._monitored: set[int] = set()
        self._midi_warned = False
        self._load_global_midi()

    def _load_global_midi(self) -> None:
        path = self.data_dir / GLOBAL_MIDI_FILE
        try:
            saved = msgspec.json.decode(path.read_bytes(), type=GlobalMidi)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return
        self.midi.global_ = list(saved.bindings)
        self.program_change = saved.program_change

    def _save_global_midi(self) -> None:
        data = GlobalMidi(bindings=self.midi.global_, program_change=self.program_change)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(self.data_dir / GLOBAL_MIDI_FILE, msgspec.json.encode(data))

    def _sync_board_bindings(self) -> None:
        board = self.st.board
        self.midi.board = board.midi_bindings if board is not None else []

    def _bindings_state(self) -> lv.MidiBindingsState:
        self._sync_board_bindings()
        return lv.MidiBindingsState(
            list(self.midi.board), list(self.midi.global_), self.midi.learning, self.program_change
        )

    def _bindings_changed(self) -> lv.MidiBindingsState:
        state = self._bindings_state()
        self.st.publish(lv.LiveEvent.BINDINGS_CHANGED, state)
        return state

    async def midi_bindings(self, _: Empty) -> lv.MidiBindingsState:
        return self._bindings_state()

    async def midi_bind(self, q: lv.MidiBinding) -> lv.MidiBinding:
        async with self.m.mutation():
            self._sync_board_bindings()
            if q.target in (lv.BindingTarget.PARAMETER, lv.BindingTarget.BYPASS):
                plugin = self.st.instance(q.instance_id)
                if q.target is lv.BindingTarget.PARAMETER and q.symbol not in (
                    plugin.available_parameters
                ):
                    raise ValidationError(f"no parameter {q.symbol!r} on {q.instance_id!r}")
            binding = self.midi.add(q)
            self._persist(binding.scope)
            self._bindings_changed()
        await self.sync_midi_monitor()
        return binding

    def _persist(self, scope: lv.BindingScope) -> None:
        if scope is lv.BindingScope.GLOBAL:
            self._save_global_midi()
        else:
            self.st.changed()

    async def midi_unbind(self, q: lv.BindingRef) -> Done:
        async with self.m.mutation():
            self._sync_board_bindings()
            was_global = any(b.id == q.id for b in self.midi.global_)
            self.midi.remove(q.id)
            self._persist(lv.BindingScope.GLOBAL if was_global else lv.BindingScope.BOARD)
            self._bindings_changed()
        await self.sync_midi_monitor()
        return Done()

    async def midi_learn(self, q: lv.LearnBinding) -> lv.MidiBindingsState:
        if not 0.5 <= q.timeout <= 300 or not math.isfinite(q.timeout):
            raise ValidationError("learn timeout must be 0.5..300 seconds")
        self.midi.learn(q.binding, time.monotonic() + q.timeout)
        state = self._bindings_changed()
        await self.sync_midi_monitor()
        return state

    async def midi_learn_cancel(self, _: Empty) -> lv.MidiBindingsState:
        self.midi.learning = None
        state = self._bindings_changed()
        await self.sync_midi_monitor()
        return state

    async def midi_program_change(self, q: lv.ProgramChangeConfig) -> lv.MidiBindingsState:
        if not 0 <= q.channel <= 15 or q.target not in ("setlist", "snapshot", "off"):
            raise ValidationError("program change: channel 0..15, target setlist|snapshot|off")
        self.program_change = q
        self._save_global_midi()
        state = self._bindings_changed()
        await self.sync_midi_monitor()
        return state

    async def midi_input(self, q: lv.MidiInput) -> lv.MidiActions:
        """Apply one MIDI message as if it came from the engine (tests, other MIDI sources)."""
        return lv.MidiActions(await self.apply_midi(q))

    def _port_of(self, instance_id: str, symbol: str) -> PortInfo | None:
        plugin = self.st.find(instance_id)
        return None if plugin is None else plugin.available_parameters.get(symbol)

    def _switch_state(self, b: lv.MidiBinding) -> bool:
        if b.target is lv.BindingTarget.BYPASS:
            plugin = self.st.find(b.instance_id)
            return plugin is not None and plugin.enabled
        if b.target is lv.BindingTarget.TUNER:
            return self.actions.tuner_active()
        return not self.m.control.processing  # mute

    async def apply_midi(self, msg: lv.MidiInput) -> int:
        """Perform what `msg` is bound to; errors are logged, never raised. Returns how many."""
        if msg.kind == "program":
            return await self._program(msg)
        self._sync_board_bindings()
        actions, learned = self.midi.handle(
            msg, self._port_of, self._switch_state, time.monotonic()
        )
        if learned is not None:
            self._persist(learned.scope)
            self.st.publish(lv.LiveEvent.MIDI_LEARNED, lv.MidiLearnedData(learned))
            self._bindings_changed()
            await self.sync_midi_monitor()  # learning is over: release the other channels
        done = 0
        for action in actions:
            try:
                await self._perform(action)
                done += 1
            except StompboxError as exc:
                log.info("MIDI %s: %s", action.target, exc.message)
        return done

    async def _program(self, msg: lv.MidiInput) -> int:
        pc = self.program_change
        if pc.target == "off" or msg.channel != pc.channel:
            return 0
        try:
            if pc.target == "setlist":
                await self.actions.setlist_go(lv.SetlistGo(position=msg.number))
            else:
                await self.actions.snapshot_recall(lv.SnapshotRef(msg.number), ChangeSource.ENGINE)
        except StompboxError as exc:
            log.info("program change %d: %s", msg.number, exc.message)
            return 0
        return 1

    async def _perform(self, a: Action) -> None:
        t = lv.BindingTarget
        if a.target is t.PARAMETER:
            await self.m.set_parameter(a.instance_id, a.symbol, a.value)
        elif a.target is t.BYPASS:
            await self.m.bypass_plugin(a.instance_id, not a.on)
        elif a.target is t.MUTE:
            await self.m.set_processing(not a.on)
        elif a.target is t.TUNER:
            await (
                self.actions.tuner_start(lv.TunerStart())
                if a.on
                else self.actions.tuner_stop(Empty())
            )
        elif a.target in (t.SNAPSHOT_NEXT, t.SNAPSHOT_PREV):
            step = 1 if a.target is t.SNAPSHOT_NEXT else -1
            await self.actions.snapshot_step(lv.SnapshotStep(step), ChangeSource.ENGINE)
        elif a.target is t.SNAPSHOT_RECALL:
            await self.actions.snapshot_recall(lv.SnapshotRef(a.index), ChangeSource.ENGINE)
        elif a.target is t.SNAPSHOT_SAVE:
            await self._save_current_snapshot()
        elif a.target is t.SETLIST_NEXT:
            await self.actions.setlist_step(1)
        elif a.target is t.SETLIST_PREV:
            await self.actions.setlist_step(-1)

    async def _save_current_snapshot(self) -> None:
        """A footswitch's "save": the current values into the current snapshot (or a new one),
        covering what that snapshot covered."""
        async with self.m.mutation():
            board = self.st.require_board()
            index = board.current_snapshot
            if index is None or index >= len(board.snapshots):
                self.actions.snapshots.save(
                    lv.SaveSnapshot(name=f"Snapshot {len(board.snapshots) + 1}")
                )
                return
            old = board.snapshots[index]
            include = [f"{i}:{s}" for i, values in old.parameters.items() for s in values]
            include = [a for a in include if self._port_of(*a.split(":", 1)) is not None]
            self.actions.snapshots.save(
                lv.SaveSnapshot(
                    name=old.name, index=index, include=include, bypass=bool(old.bypass)
                )
            )

    def engine_changed(self) -> None:
        """A (re)started engine monitors nothing yet: the next sync asks again for every channel."""
        self._monitored = set()

    async def sync_midi_monitor(self) -> None:
        """Ask the engine to report MIDI on every channel a binding or program change uses
        (mod-host: `monitor_midi_program`), every channel while learning (the control the user
        moves may be on any), and to stop for channels nothing needs any more (the engine then
        drops their messages in the cycle); an engine without MIDI input says so once."""
        if not self.st.engine_connected:
            self._monitored = set()
            return
        self._sync_board_bindings()
        wanted = {b.channel for b in self.midi.all()}
        if self.program_change.target != "off":
            wanted.add(self.program_change.channel)
        if self.midi.learning is not None:
            wanted = set(range(16))
        for channel in sorted(self._monitored - wanted):  # nothing needs it any more
            self._monitored.discard(channel)
            with contextlib.suppress(StompboxError):
                await self.st.bridge.call(B.LIVE_MIDI_MONITOR, MidiMonitor(channel, enable=False))
        for channel in sorted(wanted - self._monitored):
            self._monitored.add(channel)
            try:
                await self.st.bridge.call(B.LIVE_MIDI_MONITOR, MidiMonitor(channel))
            except StompboxError as exc:
                if not self._midi_warned:
                    log.info("MIDI input: %s", exc.message)
                    self._midi_warned = True
