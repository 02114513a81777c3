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
from pathlib import Path

from stompbox.contract import live as lv
from stompbox.contract.bridge import (
    BridgeEvent,
    CpuLoadData,
    EngineConnected,
    EngineDisconnected,
    OutputChanged,
)
from stompbox.contract.errors import NotFoundError, StompboxError, ValidationError
from stompbox.contract.params import Done, Empty
from stompbox.contract.session import ChangeSource

from .block_meters import BlockMeterService
from .media_service import MediaService
from .meter import OutputMeter
from .midi_service import MidiService
from .session_manager import SessionManager
from .setlists import SetlistStore
from .snapshots import Snapshots
from .tuner import Tuner

log = logging.getLogger(__name__)

PITCH_BEND = 131
WATCH_INTERVAL = 1.0
POLL_INTERVAL = 0.1  # tuner readings while the tuner is on


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
        self.tuner = Tuner(self.st, manager.control)
        self.meter = OutputMeter(self.st)
        self.block_meters = BlockMeterService(self.st)
        self.media = MediaService(manager)
        self.snapshots.send_file = self.media.apply_file
        self._load_board = ""
        self._load_base: tuple[float, int] = (time.monotonic(), 0)
        self.load_stats = lv.LoadStats(0.0, 0.0, 0, 0.0, 0.0, "")
        self.midi = MidiService(manager, self.data_dir, self)

    # -- wiring ---------------------------------------------------------------------------

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
            if self.meter.active:
                with contextlib.suppress(StompboxError):
                    await self.meter.poll()
            if ticks % round(WATCH_INTERVAL / POLL_INTERVAL):
                continue
            await self.midi.sync_midi_monitor()
            if self.st.engine_connected:
                await self.media.restore()
            if (self.tuner.active or self.meter.active) and not self.st.lock.locked():
                try:
                    async with self.m.mutation():
                        await self.tuner.ensure()
                        await self.meter.ensure()
                        await self.meter.sync_sources()
                except StompboxError as exc:
                    log.warning("tuner/meter: %s", exc.message)

    async def on_bridge_event(self, event: BridgeEvent) -> None:
        match event:
            case EngineDisconnected():
                self.midi.engine_changed()
            case EngineConnected():
                self.midi.engine_changed()
                await self.midi.sync_midi_monitor()
                if self.block_meters.active:
                    await self.block_meters.enable(True)
            case lv.BlockLevels():
                self.block_meters.on_levels(event)
            case OutputChanged():
                if not self.tuner.on_output(event):
                    self.meter.on_output(event)
            case CpuLoadData():
                self._on_cpu_load(event)
            case lv.MidiControlChange(channel=channel, controller=controller, value=value):
                bend = controller == PITCH_BEND  # mod-host's controller number for a bend
                await self.midi.apply_midi(
                    lv.MidiInput(
                        kind="bend" if bend else "cc",
                        channel=channel,
                        number=0 if bend else controller,
                        value=value,
                    )
                )
            case lv.MidiNote(channel=channel, note=note, velocity=velocity):
                await self.midi.apply_midi(
                    lv.MidiInput(
                        kind="note_on" if velocity > 0 else "note_off",
                        channel=channel,
                        number=note,
                        value=velocity,
                    )
                )
            case lv.MidiProgramChange(channel=channel, program=program):
                await self.midi.apply_midi(
                    lv.MidiInput(kind="program", channel=channel, number=program)
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
            return await self._recall(q.index, q.client, source)

    async def snapshot_step(
        self, q: lv.SnapshotStep, source: ChangeSource = ChangeSource.SESSION
    ) -> lv.RecallResult:
        async with self.m.mutation():
            return await self._recall(self.snapshots.neighbour(q.step or 1), q.client, source)

    async def _recall(self, index: int, client: str, source: ChangeSource) -> lv.RecallResult:
        """Recall, then one undo entry for what it changed (MIDI's recalls: client "midi")."""
        self.snapshots.last_steps = []
        result = await self.snapshots.recall(index, source)
        if self.snapshots.last_steps:
            who = client or ("midi" if source is ChangeSource.ENGINE else "")
            label = f"Recall snapshot “{result.name}”"
            self.m.undo.record(who, label, self.snapshots.last_steps)
        return result

    async def snapshot_rename(self, q: lv.RenameSnapshot) -> lv.Snapshot:
        async with self.m.mutation():
            return self.snapshots.rename(q.index, q.name)

    async def snapshot_delete(self, q: lv.SnapshotRef) -> Done:
        async with self.m.mutation():
            self.snapshots.delete(q.index)
        return Done()

    # -- setlists -------------------------------------------------------------------------

    async def setlist_list(self, _: Empty) -> list[lv.SetlistSummary]:
        return self.setlists.summaries()

    async def setlist_get(self, q: lv.SetlistRef) -> lv.Setlist:
        return self.setlists.load(q.id)

    def _check_boards(self, entries: list[lv.SetlistEntry]) -> None:
        for n, entry in enumerate(entries):
            if not self.m.storage.exists(entry.board):
                raise NotFoundError(
                    f"entry {n + 1}: no saved pedalboard {entry.board!r} (save the board first)",
                    {"board": entry.board},
                )

    async def setlist_create(self, q: lv.CreateSetlist) -> lv.Setlist:
        self._check_boards(q.entries)
        return self.setlists.create(q.name, q.entries)

    async def setlist_update(self, q: lv.UpdateSetlist) -> lv.Setlist:
        self._check_boards(q.entries or [])
        setlist = self.setlists.update(q.id, q.name, q.entries)
        if q.id == self.setlist_id:
            if self.position is not None and self.position >= len(setlist.entries):
                self.position = len(setlist.entries) - 1 if setlist.entries else None
            self._publish_setlist()
        return setlist

    async def setlist_delete(self, q: lv.SetlistRef) -> Done:
        self.setlists.delete(q.id)
        if q.id == self.setlist_id:
            self.setlist_id, self.position = None, None
            self._publish_setlist()
        return Done()

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
            # the song's board with its starting snapshot in it: one sync, one transaction
            await self.m.load_pedalboard(entry.board, entry.snapshot)
        elif entry.snapshot is not None:
            async with self.m.mutation():
                if entry.snapshot < len(self.st.require_board().snapshots):
                    await self.snapshots.recall(entry.snapshot)
        self.setlist_id, self.position = sid, q.position
        state = self._publish_setlist()
        await self.prepare_neighbours(setlist, q.position)
        return state

    async def prepare_neighbours(self, setlist: lv.Setlist, position: int) -> None:
        """Read and validate the boards of the songs before and after `position` now, so that
        next/previous does not read a file (the pedalboard service keeps them)."""
        ids = [
            setlist.entries[p].board
            for p in (position + 1, position - 1)
            if 0 <= p < len(setlist.entries)
        ]
        await self.m.pedalboards.prepare(ids)

    async def setlist_step(self, step: int) -> lv.SetlistState:
        if self.setlist_id is None:
            raise NotFoundError("no active setlist")
        setlist = self.setlists.load(self.setlist_id)
        if not setlist.entries:
            raise NotFoundError(f"setlist {setlist.name!r} is empty")
        current = -1 if self.position is None else self.position
        position = min(max(current + step, 0), len(setlist.entries) - 1)
        return await self.setlist_go(lv.SetlistGo(id=self.setlist_id, position=position))

    async def setlist_leave(self, _: Empty) -> lv.SetlistState:
        """Play without a setlist (next/previous then step through snapshots)."""
        self.setlist_id, self.position = None, None
        return self._publish_setlist()

    async def setlist_next(self, _: Empty) -> lv.SetlistState:
        return await self.setlist_step(1)

    async def setlist_previous(self, _: Empty) -> lv.SetlistState:
        return await self.setlist_step(-1)

    # -- tuner ----------------------------------------------------------------------------

    async def tuner_start(self, q: lv.TunerStart) -> lv.TunerReading:
        async with self.m.mutation():
            return await self.tuner.start(q)

    async def tuner_stop(self, _: Empty) -> lv.TunerReading:
        async with self.m.mutation():
            return await self.tuner.stop()

    def tuner_active(self) -> bool:
        return self.tuner.active

    async def tuner_state(self, _: Empty) -> lv.TunerReading:
        return self.tuner.reading

    # -- load -----------------------------------------------------------------------------

    def _on_cpu_load(self, load: CpuLoadData, now: float | None = None) -> None:
        avg, peak, xruns = load.avg, load.max, load.xruns
        now = time.monotonic() if now is None else now
        board = self.st.board.id if self.st.board is not None else ""
        if board != self._load_board or xruns < self._load_base[1]:
            self._load_board, self._load_base = board, (now, xruns)
        since, base = self._load_base
        seconds = max(now - since, 0.0)
        count = xruns - base
        rate = count / (seconds / 60.0) if seconds >= 1.0 else 0.0
        self.load_stats = lv.LoadStats(avg, peak, count, round(rate, 2), round(seconds, 1), board)
        # no event: audio_status already carries the load twice a second; clients ask load.stats

    async def meter_start(self, _: Empty) -> lv.MeterReading:
        async with self.m.mutation():
            reading = await self.meter.start()
        await self.block_meters.enable(True)
        return reading

    async def meter_stop(self, _: Empty) -> lv.MeterReading:
        async with self.m.mutation():
            reading = await self.meter.stop()
        await self.block_meters.enable(False)
        return reading

    async def meter_state(self, _: Empty) -> lv.MeterReading:
        return self.meter.reading

    async def stage_footswitches(self, q: lv.Footswitches) -> lv.Footswitches:
        """Choose the stage view's footswitches for the current board (saved with it)."""
        async with self.m.mutation():
            board = self.st.require_board()
            if q.ids is not None:
                on_board = {p.instance_id for p in board.plugins}
                unknown = [i for i in q.ids if i not in on_board]
                if unknown or len(q.ids) > len(on_board):
                    raise ValidationError(f"not on this board: {unknown}", {"ids": unknown})
            board.footswitches = None if q.ids is None else list(dict.fromkeys(q.ids))
            self.st.changed()
            chosen = lv.Footswitches(board.footswitches)
            self.st.publish(lv.LiveEvent.FOOTSWITCHES_CHANGED, chosen)
            return chosen

    async def load_stats_now(self, _: Empty) -> lv.LoadStats:
        return self.load_stats
