"""MIDI mappings, audio meters and the process thread's reports, for the board (board.py).

A mixin of `NativeCore`: the C core applies CCs and measures peaks in the process cycle; this
side keeps what mod-host's replies need (which mappings exist, which meters, in which order)
and turns the C core's reports into feedback messages.
"""

from __future__ import annotations

import re
import time

from stompbox.modhost.errors import ErrorCode
from stompbox.modhost.feedback import (
    AudioMonitorFb,
    LogFb,
    MidiControlChangeFb,
    MidiMappedFb,
    MidiNoteFb,
    MidiProgramChangeFb,
    OutputSetFb,
    ParamSetFb,
    PatchSetFb,
)

from .feedback import FeedbackQueue
from .instances import Instance
from .native import BYPASS_PORT, Event, EventKind, NativeEngine, PortInfo, PortKind

PLUGIN_PORT = re.compile(r"^effect_(\d+):(.+)$")
MAX_CHANNEL = 15
PITCH_BEND = 131  # mod-host's controller number for pitch bend
MAX_MAPPINGS = 1024
MAX_MONITORS = 256  # the C core's SB_MAX_MONITORS
METER_PERIOD = 0.05  # s between peak reads: the C core keeps the maximum in between


class NativePlugin:
    """One instance in the C core, as the dispatcher sees it (values held here, sent by ring)."""

    def __init__(self, engine: NativeEngine, number: int, ports: dict[str, PortInfo]) -> None:
        self._engine = engine
        self.number = number
        self.ports = ports
        self.symbols = {info.index: sym for sym, info in ports.items()}
        self.values: dict[str, float] = {}
        self.closing = False

    @property
    def alive(self) -> bool:
        return not self.closing

    def set(self, symbol: str, value: float) -> None:
        info = self.ports.get(symbol)
        if info is None:
            return
        self.values[symbol] = value
        self._engine.param_set(self.number, info.index, value)

    def monitor(self, symbol: str, on: bool) -> None:
        """Report (or stop reporting) changes of an output control."""
        info = self.ports.get(symbol)
        if info is not None:
            self._engine.monitor_output(self.number, info.index, on)

    def current(self, symbol: str) -> float:
        return self._engine.control_value(self.number, self.ports[symbol].index)

    async def refresh_outputs(self, within: float) -> dict[str, float]:
        return {
            sym: self._engine.control_value(self.number, info.index)
            for sym, info in self.ports.items()
            if not info.is_input and not info.is_signal
        }

    async def close(self, within: float) -> int:
        self.closing = True
        return 0


class BoardIO:
    """MIDI, meters and reports; `NativeCore` provides the attributes and the two methods."""

    native: NativeEngine
    feedback: FeedbackQueue
    instances: dict[int, Instance]
    midi: dict[tuple[int, str], tuple[int, int, float, float]]  # (ch, cc, lo, hi)
    monitors: list[str]  # monitor_audio_levels ports, by index
    meters_read: float  # monotonic time of the last peak read

    def _plugin_port(self, name: str) -> tuple[Instance, PortInfo] | None:
        raise NotImplementedError

    def transport_event(self, ev: Event) -> None:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    # meters --------------------------------------------------------------------------------
    def monitor_audio_levels(self, name: str, on: bool) -> int:
        """Meter a port (mod-host's `monitor_audio_levels`): index = order of adding; off only
        for the most recently added one."""
        if not on:
            if not self.monitors or self.monitors[-1] != name:
                return ErrorCode.INVALID_OPERATION
            self.monitors.pop()
            self.native.monitor_clear(len(self.monitors))
            self._commit()
            return 0
        if len(self.monitors) >= MAX_MONITORS:
            return ErrorCode.INVALID_OPERATION
        found = self._plugin_port(name)
        if found is not None:
            if found[1].kind not in (PortKind.AUDIO, PortKind.CV):
                return ErrorCode.JACK_PORT_CONNECTION
            code = self.native.monitor_set(
                len(self.monitors), found[0].number, found[1].index, None
            )
        elif PLUGIN_PORT.match(name) or self.native.jack_direction(name) != "output":
            return ErrorCode.JACK_PORT_CONNECTION
        else:
            code = self.native.monitor_set(len(self.monitors), -1, -1, name)
        if code != 0:
            return code
        self.monitors.append(name)
        self._commit()
        return 0

    def clear_monitors(self) -> None:
        """Stop every meter (`remove -1`: a new client starts without the last one's meters)."""
        while self.monitors:
            self.monitors.pop()
            self.native.monitor_clear(len(self.monitors))

    # MIDI --------------------------------------------------------------------------------
    def _midi_port(self, inst: Instance, symbol: str) -> int | None:
        if symbol == ":bypass":
            return -1
        if not isinstance(inst.proc, NativePlugin) or symbol not in inst.layout.ranges:
            return None
        info = inst.proc.ports.get(symbol)
        return None if info is None else info.index

    def midi_map(
        self, inst: Instance, symbol: str, channel: int, cc: int, lo: float, hi: float
    ) -> int:
        """Map CC `cc` (131: pitch bend) on `channel` to a control, scaled to [lo, hi]."""
        port = self._midi_port(inst, symbol)
        if port is None:
            return ErrorCode.LV2_INVALID_PARAM_SYMBOL
        if not (0 <= channel <= MAX_CHANNEL and 0 <= cc <= PITCH_BEND):
            return ErrorCode.INVALID_OPERATION
        if (inst.number, symbol) not in self.midi and len(self.midi) >= MAX_MAPPINGS:
            return ErrorCode.ASSIGNMENT_LIST_FULL
        code = self.native.midi_map(inst.number, port, channel, cc, lo, hi)
        if code == 0:
            self.midi[(inst.number, symbol)] = (channel, cc, lo, hi)
        return code

    def midi_learn(self, inst: Instance, symbol: str, lo: float, hi: float) -> int:
        """The next CC or pitch bend on the board's MIDI input becomes this control's mapping."""
        port = self._midi_port(inst, symbol)
        if port is None:
            return ErrorCode.LV2_INVALID_PARAM_SYMBOL
        return self.native.midi_learn(inst.number, port, lo, hi)

    def midi_unmap(self, inst: Instance, symbol: str) -> bool:
        """True when a mapping was removed."""
        port = self._midi_port(inst, symbol)
        if port is None:
            return False
        self.native.midi_unmap(inst.number, port)
        return self.midi.pop((inst.number, symbol), None) is not None

    def monitor_midi_program(self, channel: int, on: bool) -> int:
        if not 0 <= channel <= MAX_CHANNEL:
            return ErrorCode.INVALID_OPERATION
        return self.native.midi_program(channel, on)

    # RT -> control -----------------------------------------------------------------------
    def _symbol(self, inst: Instance, port: int) -> str | None:
        if port == BYPASS_PORT:
            return ":bypass"
        return inst.proc.symbols.get(port) if isinstance(inst.proc, NativePlugin) else None

    def _event(self, ev: Event) -> None:
        if ev.kind is EventKind.PROGRAM:
            self.feedback.put(MidiProgramChangeFb(ev.a, ev.b))
            return
        if ev.kind is EventKind.CONTROL:
            self.feedback.put(MidiControlChangeFb(ev.a, ev.b, int(ev.value)))
            return
        if ev.kind is EventKind.TRANSPORT:
            self.transport_event(ev)
            return
        if ev.kind is EventKind.NOTE:
            self.feedback.put(MidiNoteFb(ev.a, ev.b, int(ev.value)))
            return
        inst = self.instances.get(ev.number)
        symbol = None if inst is None else self._symbol(inst, ev.port)
        if inst is None or symbol is None:
            return
        if ev.kind is EventKind.OUTPUT:
            if symbol in inst.monitored:
                self.feedback.put(OutputSetFb(ev.number, symbol, ev.value))
            return
        if symbol == ":bypass":
            inst.bypassed = ev.value >= 0.5 * (ev.lo + ev.hi)
        else:
            inst.proc.values[symbol] = ev.value
        if ev.kind is EventKind.PARAM:
            self.feedback.put(ParamSetFb(ev.number, symbol, ev.value))
        elif ev.kind is EventKind.MIDI_MAPPED:
            self.midi[(ev.number, symbol)] = (ev.a, ev.b, ev.lo, ev.hi)
            self.feedback.put(MidiMappedFb(ev.number, symbol, ev.a, ev.b, ev.value, ev.lo, ev.hi))

    def poll(self) -> bool:
        """Forward the process thread's reports, plugin patches and logs; free retired plans.
        True when something besides output-control values and meter peaks came (MIDI, a
        patch, a log line, a plan to free): the poller then looks again soon. Output values
        (meters, a tuner) stream on at the idle rate."""
        events = self.native.events()
        for ev in events:
            self._event(ev)
        patches = self.native.patches()
        for number, prop, kind, text in patches:
            if number in self.instances:
                self.feedback.put(PatchSetFb(number, prop, kind, text))
        now = time.monotonic()
        if self.monitors and now - self.meters_read >= METER_PERIOD:
            self.meters_read = now  # at most 20 reports per meter and second, nothing lost
            for index in range(len(self.monitors)):
                peak = self.native.monitor_peak(index)
                if peak > 0.0:
                    self.feedback.put(AudioMonitorFb(index, peak))
        logs = self.native.logs()
        for level, text in logs:
            self.feedback.put(LogFb(level, text))
        waiting = self.native.collect()
        control = any(ev.kind is not EventKind.OUTPUT for ev in events)
        return bool(control or patches or logs or waiting)
