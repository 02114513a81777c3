"""The board on the C core: instances, logical connections, external JACK ports, plan commits.

Connections are kept by name, as the protocol gives them (`effect_<N>:<symbol>`, or any JACK
port). Plugin-to-plugin edges become internal buffers in the C core's next plan; an edge between
a plugin port and a JACK port goes through the engine's own JACK port for that plugin port
(`<client>:effect_<N>.<symbol>`, with the alias `effect_<N>:<symbol>`), registered on first use.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from pathlib import Path

from stompbox.modhost.errors import ErrorCode
from stompbox.modhost.feedback import (
    LogFb,
    MidiControlChangeFb,
    MidiMappedFb,
    MidiProgramChangeFb,
    OutputSetFb,
    ParamSetFb,
    PatchSetFb,
)

from .feedback import FeedbackQueue
from .instances import MAX_INSTANCE, REMOVE_ALL_LIMIT, RESERVED, Instance, Layout
from .native import BYPASS_PORT, Event, EventKind, NativeEngine, PortInfo
from .plugins import PluginData
from .state import save_state

log = logging.getLogger(__name__)

Edge = tuple[str, str]  # (output port, input port), as named in the protocol
_PLUGIN_PORT = re.compile(r"^effect_(\d+):(.+)$")
MAX_PATCH_VALUE = 4096  # bytes of a patch_set value (a path, a string)
MAX_CHANNEL = 15
PITCH_BEND = 131  # mod-host's controller number for pitch bend
MAX_MAPPINGS = 1024


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


class NativeCore:
    """Owns every instance and the logical graph; the C core runs them in one JACK client."""

    def __init__(
        self,
        engine: NativeEngine,
        plugins: PluginData,
        feedback: FeedbackQueue,
        *,
        start_timeout: float = 20.0,
    ) -> None:
        self.native = engine
        self.plugins = plugins
        self.feedback = feedback
        self.instances: dict[int, Instance] = {}
        self._pending: set[int] = set()
        self.edges: set[Edge] = set()
        self.start_timeout = start_timeout
        self.processing = True
        self._transaction = 0  # depth of transaction_begin
        self._dirty = False  # a plan is due at the outermost transaction_commit
        self.saved_presets: dict[str, tuple[dict[str, float], str]] = {}  # uri -> (values, ttl)
        self.midi: dict[tuple[int, str], tuple[int, int, float, float]] = {}  # (ch, cc, lo, hi)

    # life cycle --------------------------------------------------------------------------
    async def add(self, uri: str, number: int) -> int:
        """Instantiate in the C core; the instance number or a negative mod-host code."""
        if number < 0 or number > MAX_INSTANCE:
            return ErrorCode.INSTANCE_INVALID
        if number in self.instances or number in self._pending or number in RESERVED:
            return ErrorCode.INSTANCE_ALREADY_EXISTS
        self._pending.add(number)
        try:
            info = await asyncio.to_thread(self.plugins.info, uri)
            if info is None:
                return ErrorCode.LV2_INVALID_URI
            code = await asyncio.to_thread(self.native.add, number, uri)
            if code < 0:
                log.warning("effect_%d (%s) did not instantiate: %d", number, uri, code)
                return code
            ports: dict[str, PortInfo] = {}
            for p in info.ports:
                found = self.native.port(number, p.symbol)
                if found is not None:
                    ports[p.symbol] = found
            host = NativePlugin(self.native, number, ports)
            layout = Layout.of(info)
            host.values = {s: host.current(s) for s in layout.ranges if s in ports}
            self.instances[number] = Instance(
                number=number, uri=uri, info=info, layout=layout, proc=host
            )
            self._commit()
            return number
        finally:
            self._pending.discard(number)

    def _drop(self, number: int) -> Instance | None:
        inst = self.instances.pop(number, None)
        if inst is None:
            return None
        inst.proc.closing = True
        client = inst.client + ":"
        self.edges = {
            (s, t) for s, t in self.edges if not (s.startswith(client) or t.startswith(client))
        }
        self.feedback.drop_instance(number)
        self.midi = {k: v for k, v in self.midi.items() if k[0] != number}
        self.native.remove(number)
        return inst

    async def remove(self, number: int) -> int:
        if number == -1:
            return await self.remove_all()
        if self._drop(number) is not None:
            self._commit()
        return 0

    async def remove_all(self) -> int:
        """`remove -1`: drop capture→system connections, then instances 0..9989, one plan."""
        patched = {
            (s, t)
            for s, t in self.edges
            if s.startswith("system:capture_") and t.startswith("system:")
        }
        self.edges -= patched
        for source, target in patched:  # JACK's own view may lag a cycle behind a connect
            self.native.jack_disconnect(source, target)
        self.native.unpatch_capture()
        for number in [n for n in self.instances if n <= REMOVE_ALL_LIMIT]:
            self._drop(number)
        self._transaction = 0  # a new client starts clean (the bridge sends `remove -1` first)
        self._commit()
        return 0

    async def close_all(self) -> None:
        """Shutdown: the C core frees every instance when the engine closes."""
        self.instances.clear()

    # graph -------------------------------------------------------------------------------
    def _plugin_port(self, name: str) -> tuple[Instance, PortInfo] | None:
        m = _PLUGIN_PORT.match(name)
        if m is None:
            return None
        inst = self.instances.get(int(m.group(1)))
        if inst is None or not isinstance(inst.proc, NativePlugin):
            return None
        info = inst.proc.ports.get(m.group(2))
        return (inst, info) if info is not None and info.is_signal else None

    def _direction(self, name: str) -> str | None:
        found = self._plugin_port(name)
        if found is not None:
            return "input" if found[1].is_input else "output"
        if _PLUGIN_PORT.match(name):
            return None  # a plugin port that does not exist (or a control port)
        return self.native.jack_direction(name)

    def _orient(self, a: str, b: str) -> Edge | None:
        da, db = self._direction(a), self._direction(b)
        if da == "output" and db == "input":
            return a, b
        if da == "input" and db == "output":
            return b, a
        return None

    def begin(self) -> int:
        """`transaction_begin`: graph changes from now on go into one plan, swapped in at
        `transaction_commit` (kept plugins never stop; nothing changes audibly before)."""
        self._transaction += 1
        return 0

    def commit(self) -> int:
        if self._transaction == 0:
            return ErrorCode.INVALID_OPERATION
        self._transaction -= 1
        if self._transaction == 0 and self._dirty:
            self._commit()
        return 0

    def _commit(self) -> None:
        if self._transaction:
            self._dirty = True
            return
        self._dirty = False
        internal: list[tuple[int, int, int, int]] = []
        for source, target in self.edges:
            s, t = self._plugin_port(source), self._plugin_port(target)
            if s is not None and t is not None:
                internal.append((s[0].number, s[1].index, t[0].number, t[1].index))
        if self.native.commit(internal) != 0:
            log.error("the C core could not build a plan (out of memory)")

    def _jack_name(self, name: str) -> str | None:
        """The JACK port behind a protocol name: the engine's port for a plugin port."""
        found = self._plugin_port(name)
        if found is None:
            return name
        return self.native.external_port(found[0].number, found[1].index)

    def connect(self, a: str, b: str) -> int:
        edge = self._orient(a, b)
        if edge is None:
            return ErrorCode.JACK_PORT_CONNECTION
        if edge in self.edges:
            return 0
        source, target = edge
        if self._plugin_port(source) is not None and self._plugin_port(target) is not None:
            self.edges.add(edge)
            self._commit()
            return 0
        src, dst = self._jack_name(source), self._jack_name(target)
        if src is None or dst is None:
            return ErrorCode.JACK_PORT_CONNECTION
        if src != source or dst != target:
            self._commit()  # a newly registered engine port joins the plan
        if not self.native.jack_connect(src, dst):
            return ErrorCode.JACK_PORT_CONNECTION
        self.edges.add(edge)
        return 0

    def disconnect(self, a: str, b: str) -> int:
        edge = self._orient(a, b)
        if edge is None:
            return ErrorCode.JACK_PORT_DISCONNECTION
        source, target = edge
        internal = self._plugin_port(source) is not None and self._plugin_port(target) is not None
        if edge in self.edges:
            self.edges.discard(edge)
            if internal:
                self._commit()
            else:
                src, dst = self._jack_name(source), self._jack_name(target)
                if src is not None and dst is not None:
                    self.native.jack_disconnect(src, dst)
            return 0
        if internal or not self.native.jack_connected(*edge):
            return ErrorCode.JACK_PORT_DISCONNECTION
        if self.native.jack_disconnect(*edge):
            return 0
        return ErrorCode.JACK_PORT_DISCONNECTION

    def set_bypass(self, inst: Instance, bypassed: bool) -> None:
        inst.bypassed = bypassed
        self.native.bypass(inst.number, bypassed)
        if inst.layout.enabled is not None:
            inst.proc.values[inst.layout.enabled] = 0.0 if bypassed else 1.0

    def set_processing(self, enabled: bool) -> None:
        """Global processing on/off: off fades every output the board gives JACK to silence."""
        self.processing = enabled
        self.native.processing(enabled, at_once=False)

    def cpu_load(self) -> float:
        return self.native.cpu_load()

    # presets and state -------------------------------------------------------------------
    async def load_preset(self, inst: Instance, uri: str, values: dict[str, float] | None) -> int:
        """Restore the preset's state and port values in the C core; hold its values."""
        code = await asyncio.to_thread(self.native.state_restore, inst.number, uri)
        if code != 0:
            return code
        for symbol, value in (values or {}).items():
            if symbol in inst.layout.ranges and symbol != inst.layout.enabled:
                inst.proc.values[symbol] = value
        return 0

    async def save_preset(
        self, inst: Instance, label: str, bundle: Path, filename: str
    ) -> tuple[str, str]:
        """Save port values and plugin state (lilv) into `bundle`; (preset URI, Turtle)."""
        return await asyncio.to_thread(
            save_state, self.native, inst.number, bundle, filename, label
        )

    def patch_set(self, number: int, prop: str, value: str) -> int:
        if number not in self.instances:
            return ErrorCode.INSTANCE_NON_EXISTS
        if len(value) > MAX_PATCH_VALUE:
            return ErrorCode.MEMORY_ALLOCATION
        return self.native.patch_set(number, prop, value)

    def patch_get(self, number: int, prop: str) -> int:
        if number not in self.instances:
            return ErrorCode.INSTANCE_NON_EXISTS
        return self.native.patch_get(number, prop)

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

    def poll(self) -> None:
        """Forward the process thread's reports, plugin patches and logs; free retired plans."""
        for ev in self.native.events():
            self._event(ev)
        for number, prop, kind, text in self.native.patches():
            if number in self.instances:
                self.feedback.put(PatchSetFb(number, prop, kind, text))
        for level, text in self.native.logs():
            self.feedback.put(LogFb(level, text))
        self.native.collect()

    def statistics(self) -> dict[str, int]:
        return {
            "instances": len(self.instances),
            "pending": len(self._pending),
            "logical_edges": len(self.edges),
            "plan_generation": self.native.generation,
            "plan_adopted": self.native.adopted,
            "processing": int(self.processing),
            "pid": os.getpid(),
        }
