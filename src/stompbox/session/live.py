"""The live-play service: snapshots, setlists, MIDI bindings, tuner and load figures on the session.

One object built by the session app next to the manager: `register(server)` adds its RPC methods,
`on_bridge_event` sees every bridge event (MIDI input, tuner outputs, cpu load), `run()` watches
that the hidden tuner instance stays loaded. Every change goes through the manager's lock, so MIDI,
the browsers and the REST API act on one model in one order; no client can lock MIDI out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec

from stompbox.contract import live as lv
from stompbox.contract.errors import NotFoundError, StompboxError, ValidationError
from stompbox.contract.events import EventName
from stompbox.contract.params import Empty
from stompbox.contract.plugin import PortInfo
from stompbox.contract.session import ChangeSource

from .handlers import Registry
from .media_service import MediaService
from .midi_bindings import Action, BindingEngine
from .session_manager import SessionManager
from .setlists import SetlistStore
from .snapshots import Snapshots
from .storage import atomic_write
from .tuner import Tuner

log = logging.getLogger(__name__)

WATCH_INTERVAL = 1.0
POLL_INTERVAL = 0.1  # tuner readings while the tuner is on
GLOBAL_MIDI_FILE = "midi.json"


class GlobalMidi(msgspec.Struct, kw_only=True):
    bindings: list[lv.MidiBinding] = msgspec.field(default_factory=list)
    program_change: lv.ProgramChangeConfig = lv.ProgramChangeConfig()


class LiveService:
    """Snapshots, setlist player, MIDI bindings, tuner, load-since-board-load."""

    def __init__(self, manager: SessionManager, data_dir: Path) -> None:
        self.m = manager
        self.st = manager.state
        self.data_dir = Path(data_dir)
        self.snapshots = Snapshots(self.st, manager.plugins)
        self.setlists = SetlistStore(self.data_dir)
        self.setlist_id: str | None = None
        self.position: int | None = None
        self.midi = BindingEngine()
        self.program_change = lv.ProgramChangeConfig()
        self.tuner = Tuner(self.st, manager.control)
        self.media = MediaService(manager)
        self.snapshots.send_file = self.media.send
        self._load_board = ""
        self._load_base: tuple[float, int] = (time.monotonic(), 0)
        self.load_stats = lv.LoadStats(0.0, 0.0, 0, 0.0, 0.0, "")
        self._load_global_midi()

    # -- wiring ---------------------------------------------------------------------------

    def register(self, server: Registry) -> None:
        table: list[tuple[str, Callable[[Any], Awaitable[Any]], type]] = [
            ("snapshot.list", self.snapshot_list, Empty),
            ("snapshot.save", self.snapshot_save, lv.SaveSnapshot),
            ("snapshot.recall", self.snapshot_recall, lv.SnapshotRef),
            ("snapshot.step", self.snapshot_step, lv.SnapshotStep),
            ("snapshot.rename", self.snapshot_rename, lv.RenameSnapshot),
            ("snapshot.delete", self.snapshot_delete, lv.SnapshotRef),
            ("setlist.list", self.setlist_list, Empty),
            ("setlist.get", self.setlist_get, lv.SetlistRef),
            ("setlist.create", self.setlist_create, lv.CreateSetlist),
            ("setlist.update", self.setlist_update, lv.UpdateSetlist),
            ("setlist.delete", self.setlist_delete, lv.SetlistRef),
            ("setlist.state", self.setlist_state, Empty),
            ("setlist.go", self.setlist_go, lv.SetlistGo),
            ("setlist.next", self.setlist_next, Empty),
            ("setlist.previous", self.setlist_previous, Empty),
            ("midi.bindings", self.midi_bindings, Empty),
            ("midi.bind", self.midi_bind, lv.MidiBinding),
            ("midi.unbind", self.midi_unbind, lv.BindingRef),
            ("midi.learn", self.midi_learn, lv.LearnBinding),
            ("midi.learn_cancel", self.midi_learn_cancel, Empty),
            ("midi.program_change", self.midi_program_change, lv.ProgramChangeConfig),
            ("midi.input", self.midi_input, lv.MidiInput),
            ("tuner.start", self.tuner_start, lv.TunerStart),
            ("tuner.stop", self.tuner_stop, Empty),
            ("tuner.state", self.tuner_state, Empty),
            ("load.stats", self.load_stats_now, Empty),
        ]
        for method, handler, params_type in table:
            server.register(method, handler, params_type)
        self.media.register(server)

    async def run(self) -> None:
        """Keep the tuner instance loaded while the tuner is on (a board switch removes it);
        send a newly loaded board's file parameters."""
        ticks = 0
        while True:
            await asyncio.sleep(POLL_INTERVAL)
            ticks += 1
            if self.tuner.active:
                with contextlib.suppress(StompboxError):
                    await self.tuner.poll()
            if ticks % round(WATCH_INTERVAL / POLL_INTERVAL):
                continue
            if self.st.engine_connected:
                await self.media.restore()
            if self.tuner.active and not self.st.lock.locked():
                try:
                    async with self.m.mutation():
                        await self.tuner.ensure()
                except StompboxError as exc:
                    log.warning("tuner: %s", exc.message)

    async def on_bridge_event(self, event: str, data: dict[str, Any]) -> None:
        if event == EventName.OUTPUT_CHANGED:
            self.tuner.on_output(data)
        elif event == EventName.CPU_LOAD:
            self._on_cpu_load(data)
        elif event == lv.LiveEvent.MIDI_CONTROL_CHANGE:
            with contextlib.suppress(msgspec.ValidationError):
                cc = msgspec.convert(data, lv.MidiControlChange)
                await self.apply_midi(
                    lv.MidiInput(
                        kind="cc", channel=cc.channel, number=cc.controller, value=cc.value
                    )
                )
        elif event == lv.LiveEvent.MIDI_PROGRAM_CHANGE:
            with contextlib.suppress(msgspec.ValidationError):
                pc = msgspec.convert(data, lv.MidiProgramChange)
                await self.apply_midi(
                    lv.MidiInput(kind="program", channel=pc.channel, number=pc.program)
                )

    # -- snapshots ------------------------------------------------------------------------

    def _snapshots_data(self, action: str = "list") -> lv.SnapshotsChangedData:
        board = self.st.require_board()
        return lv.SnapshotsChangedData(board.snapshots, board.current_snapshot, action)

    async def snapshot_list(self, _: Empty) -> lv.SnapshotsChangedData:
        return self._snapshots_data()

    async def snapshot_save(self, q: lv.SaveSnapshot) -> lv.Snapshot:
        async with self.m.mutation():
            return self.snapshots.save(q)

    async def snapshot_recall(
        self, q: lv.SnapshotRef, source: ChangeSource = ChangeSource.SESSION
    ) -> lv.RecallResult:
        async with self.m.mutation():
            return await self.snapshots.recall(q.index, source)

    async def snapshot_step(
        self, q: lv.SnapshotStep, source: ChangeSource = ChangeSource.SESSION
    ) -> lv.RecallResult:
        async with self.m.mutation():
            return await self.snapshots.recall(self.snapshots.neighbour(q.step or 1), source)

    async def snapshot_rename(self, q: lv.RenameSnapshot) -> lv.Snapshot:
        async with self.m.mutation():
            return self.snapshots.rename(q.index, q.name)

    async def snapshot_delete(self, q: lv.SnapshotRef) -> dict[str, Any]:
        async with self.m.mutation():
            self.snapshots.delete(q.index)
        return {}

    # -- setlists -------------------------------------------------------------------------

    async def setlist_list(self, _: Empty) -> list[lv.SetlistSummary]:
        return self.setlists.summaries()

    async def setlist_get(self, q: lv.SetlistRef) -> lv.Setlist:
        return self.setlists.load(q.id)

    async def setlist_create(self, q: lv.CreateSetlist) -> lv.Setlist:
        return self.setlists.create(q.name, q.entries)

    async def setlist_update(self, q: lv.UpdateSetlist) -> lv.Setlist:
        setlist = self.setlists.update(q.id, q.name, q.entries)
        if q.id == self.setlist_id:
            if self.position is not None and self.position >= len(setlist.entries):
                self.position = len(setlist.entries) - 1 if setlist.entries else None
            self._publish_setlist()
        return setlist

    async def setlist_delete(self, q: lv.SetlistRef) -> dict[str, Any]:
        self.setlists.delete(q.id)
        if q.id == self.setlist_id:
            self.setlist_id, self.position = None, None
            self._publish_setlist()
        return {}

    def _setlist_state(self) -> lv.SetlistState:
        if self.setlist_id is None:
            return lv.SetlistState()
        try:
            setlist = self.setlists.load(self.setlist_id)
        except StompboxError:
            return lv.SetlistState()
        return lv.SetlistState(setlist.id, setlist.name, self.position, setlist.entries)

    def _publish_setlist(self) -> lv.SetlistState:
        state = self._setlist_state()
        self.st.publish(lv.LiveEvent.SETLIST_CHANGED, state)
        return state

    async def setlist_state(self, _: Empty) -> lv.SetlistState:
        return self._setlist_state()

    async def setlist_go(self, q: lv.SetlistGo) -> lv.SetlistState:
        """Load entry `position` of the setlist: its board, then its starting snapshot."""
        sid = q.id if q.id is not None else self.setlist_id
        if sid is None:
            raise NotFoundError("no active setlist: give its id")
        setlist = self.setlists.load(sid)
        if not 0 <= q.position < len(setlist.entries):
            raise ValidationError(
                f"setlist {setlist.name!r} has entries 0..{len(setlist.entries) - 1}",
                {"position": q.position},
            )
        entry = setlist.entries[q.position]
        board = self.st.board
        if board is None or board.id != entry.board or self.st.modified:
            await self.m.load_pedalboard(entry.board)
        if entry.snapshot is not None:
            async with self.m.mutation():
                if entry.snapshot < len(self.st.require_board().snapshots):
                    await self.snapshots.recall(entry.snapshot)
        self.setlist_id, self.position = sid, q.position
        return self._publish_setlist()

    async def _setlist_step(self, step: int) -> lv.SetlistState:
        if self.setlist_id is None:
            raise NotFoundError("no active setlist")
        setlist = self.setlists.load(self.setlist_id)
        if not setlist.entries:
            raise NotFoundError(f"setlist {setlist.name!r} is empty")
        current = -1 if self.position is None else self.position
        position = min(max(current + step, 0), len(setlist.entries) - 1)
        return await self.setlist_go(lv.SetlistGo(id=self.setlist_id, position=position))

    async def setlist_next(self, _: Empty) -> lv.SetlistState:
        return await self._setlist_step(1)

    async def setlist_previous(self, _: Empty) -> lv.SetlistState:
        return await self._setlist_step(-1)

    # -- MIDI -----------------------------------------------------------------------------

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
            return binding

    def _persist(self, scope: lv.BindingScope) -> None:
        if scope is lv.BindingScope.GLOBAL:
            self._save_global_midi()
        else:
            self.st.changed()

    async def midi_unbind(self, q: lv.BindingRef) -> dict[str, Any]:
        async with self.m.mutation():
            self._sync_board_bindings()
            was_global = any(b.id == q.id for b in self.midi.global_)
            self.midi.remove(q.id)
            self._persist(lv.BindingScope.GLOBAL if was_global else lv.BindingScope.BOARD)
            self._bindings_changed()
        return {}

    async def midi_learn(self, q: lv.LearnBinding) -> lv.MidiBindingsState:
        self.midi.learn(q.binding)
        return self._bindings_changed()

    async def midi_learn_cancel(self, _: Empty) -> lv.MidiBindingsState:
        self.midi.learning = None
        return self._bindings_changed()

    async def midi_program_change(self, q: lv.ProgramChangeConfig) -> lv.MidiBindingsState:
        if not 0 <= q.channel <= 15 or q.target not in ("setlist", "snapshot", "off"):
            raise ValidationError("program change: channel 0..15, target setlist|snapshot|off")
        self.program_change = q
        self._save_global_midi()
        return self._bindings_changed()

    async def midi_input(self, q: lv.MidiInput) -> dict[str, Any]:
        """Apply one MIDI message as if it came from the engine (tests, other MIDI sources)."""
        return {"actions": await self.apply_midi(q)}

    def _port_of(self, instance_id: str, symbol: str) -> PortInfo | None:
        plugin = self.st.find(instance_id)
        return None if plugin is None else plugin.available_parameters.get(symbol)

    def _switch_state(self, b: lv.MidiBinding) -> bool:
        if b.target is lv.BindingTarget.BYPASS:
            plugin = self.st.find(b.instance_id)
            return plugin is not None and plugin.enabled
        if b.target is lv.BindingTarget.TUNER:
            return self.tuner.active
        return not self.m.control.processing  # mute

    async def apply_midi(self, msg: lv.MidiInput) -> int:
        """Perform what `msg` is bound to; errors are logged, never raised. Returns how many."""
        if msg.kind == "program":
            return await self._program(msg)
        self._sync_board_bindings()
        actions, learned = self.midi.handle(msg, self._port_of, self._switch_state)
        if learned is not None:
            self._persist(learned.scope)
            self.st.publish(lv.LiveEvent.MIDI_LEARNED, lv.MidiLearnedData(learned))
            self._bindings_changed()
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
                await self.setlist_go(lv.SetlistGo(position=msg.number))
            else:
                await self.snapshot_recall(lv.SnapshotRef(msg.number), ChangeSource.ENGINE)
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
            await (self.tuner_start(lv.TunerStart()) if a.on else self.tuner_stop(Empty()))
        elif a.target in (t.SNAPSHOT_NEXT, t.SNAPSHOT_PREV):
            step = 1 if a.target is t.SNAPSHOT_NEXT else -1
            await self.snapshot_step(lv.SnapshotStep(step), ChangeSource.ENGINE)
        elif a.target is t.SNAPSHOT_RECALL:
            await self.snapshot_recall(lv.SnapshotRef(a.index), ChangeSource.ENGINE)
        elif a.target is t.SETLIST_NEXT:
            await self._setlist_step(1)
        elif a.target is t.SETLIST_PREV:
            await self._setlist_step(-1)

    # -- tuner ----------------------------------------------------------------------------

    async def tuner_start(self, q: lv.TunerStart) -> lv.TunerReading:
        async with self.m.mutation():
            return await self.tuner.start(q)

    async def tuner_stop(self, _: Empty) -> lv.TunerReading:
        async with self.m.mutation():
            return await self.tuner.stop()

    async def tuner_state(self, _: Empty) -> lv.TunerReading:
        return self.tuner.reading

    # -- load -----------------------------------------------------------------------------

    def _on_cpu_load(self, data: dict[str, Any], now: float | None = None) -> None:
        try:
            avg, peak, xruns = float(data["avg"]), float(data["max"]), int(data["xruns"])
        except (KeyError, TypeError, ValueError):
            return
        now = time.monotonic() if now is None else now
        board = self.st.board.id if self.st.board is not None else ""
        if board != self._load_board or xruns < self._load_base[1]:
            self._load_board, self._load_base = board, (now, xruns)
        since, base = self._load_base
        seconds = max(now - since, 0.0)
        count = xruns - base
        rate = count / (seconds / 60.0) if seconds >= 1.0 else 0.0
        self.load_stats = lv.LoadStats(avg, peak, count, round(rate, 2), round(seconds, 1), board)
        self.st.publish(lv.LiveEvent.LOAD_STATS, self.load_stats)

    async def load_stats_now(self, _: Empty) -> lv.LoadStats:
        return self.load_stats
