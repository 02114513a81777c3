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
from pathlib import Path

from stompbox.contract.plugin import PluginInfo
from stompbox.modhost.errors import ErrorCode
from stompbox.modhost.feedback import LogFb, OutputSetFb, PluginDiedFb

from .boardio import PLUGIN_PORT, BoardIO, NativePlugin
from .feedback import FeedbackQueue
from .instances import MAX_INSTANCE, REMOVE_ALL_LIMIT, RESERVED, Instance, Layout, client_name
from .jalv import Spawner, launch
from .native import NativeEngine, PortInfo
from .plugins import PluginData
from .quarantine import Quarantine
from .state import save_state
from .timebase import Timebase

log = logging.getLogger(__name__)

Edge = tuple[str, str]  # (output port, input port), as named in the protocol
MAX_PATCH_VALUE = 4096  # bytes of a patch_set value (a path, a string)
STOP_TIMEOUT = 5.0  # seconds for an isolated jalv to end


class NativeCore(Timebase, BoardIO):
    """Owns every instance and the logical graph; the C core runs them in one JACK client."""

    def __init__(
        self,
        engine: NativeEngine,
        plugins: PluginData,
        feedback: FeedbackQueue,
        *,
        spawn: Spawner | None = None,
        quarantine: Quarantine | None = None,
        start_timeout: float = 20.0,
    ) -> None:
        self.native = engine
        self._spawn = spawn
        self.quarantine = quarantine
        self.plugins = plugins
        self.feedback = feedback
        self.instances: dict[int, Instance] = {}
        self._pending: set[int] = set()
        self.edges: set[Edge] = set()
        self.start_timeout = start_timeout
        self.processing = True
        self._transaction = 0  # depth of transaction_begin
        self._written: set[tuple[int, int]] = set()  # plugin outputs with a silenced port
        self.monitors: list[str] = []  # monitor_audio_levels ports, by index
        self.meters_read = 0.0
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
            if self.quarantine is not None and self.quarantine.is_isolated(uri):
                return await self._add_isolated(uri, number, info)
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

    async def _add_isolated(self, uri: str, number: int, info: PluginInfo) -> int:
        """A quarantined plugin: its own jalv, JACK client `effect_<N>` wired through JACK."""
        layout = Layout.of(info)
        holder: list[Instance] = []
        if self._spawn is None:
            return ErrorCode.LV2_INSTANTIATION
        proc = await launch(
            client_name(number),
            uri,
            inputs=layout.ranges.keys(),
            outputs=layout.outputs,
            on_output=lambda sym, val: self._isolated_output(holder, sym, val),
            on_exit=lambda code: self._isolated_exit(holder, code),
            spawn=self._spawn,
            start_timeout=self.start_timeout,
            stop_timeout=STOP_TIMEOUT,
        )
        if proc is None:
            return ErrorCode.LV2_INSTANTIATION
        inst = Instance(number=number, uri=uri, info=info, layout=layout, proc=proc)
        holder.append(inst)
        self.instances[number] = inst
        self.feedback.put(LogFb(2, f"effect_{number}: {uri} crashed the engine before: isolated"))
        return number

    def _isolated_output(self, holder: list[Instance], symbol: str, value: float) -> None:
        if holder and symbol in holder[0].monitored:
            self.feedback.put(OutputSetFb(holder[0].number, symbol, value))

    def _isolated_exit(self, holder: list[Instance], code: int) -> None:
        if not holder or holder[0].proc.closing:
            return
        inst = holder[0]
        if self.instances.get(inst.number) is inst:
            self._drop(inst.number)
            self.feedback.put(LogFb(3, f"{inst.client} died (exit code {code}, {inst.uri})"))
            self.feedback.put(PluginDiedFb(inst.number, code))

    def _isolated(self, name: str) -> bool:
        m = PLUGIN_PORT.match(name)
        inst = None if m is None else self.instances.get(int(m.group(1)))
        return inst is not None and not isinstance(inst.proc, NativePlugin)

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
        self._written = {k for k in self._written if k[0] != number}
        self.native.remove(number)
        return inst

    async def remove(self, number: int) -> int:
        if number == -1:
            return await self.remove_all()
        inst = self._drop(number)
        if inst is not None:
            self._commit()
            if not isinstance(inst.proc, NativePlugin):
                await inst.proc.close(STOP_TIMEOUT)
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
        dropped = [self._drop(n) for n in [n for n in self.instances if n <= REMOVE_ALL_LIMIT]]
        self.clear_monitors()
        self._transaction = 0  # a new client starts clean (the bridge sends `remove -1` first)
        self._commit()
        isolated = [
            i.proc for i in dropped if i is not None and not isinstance(i.proc, NativePlugin)
        ]
        await asyncio.gather(*(proc.close(STOP_TIMEOUT) for proc in isolated))
        return 0

    async def close_all(self) -> None:
        """Shutdown: isolated jalvs end; the C core frees the rest when the engine closes."""
        isolated = [i.proc for i in self.instances.values() if not isinstance(i.proc, NativePlugin)]
        self.instances.clear()
        await asyncio.gather(*(proc.close(STOP_TIMEOUT) for proc in isolated))

    # graph -------------------------------------------------------------------------------
    def _plugin_port(self, name: str) -> tuple[Instance, PortInfo] | None:
        m = PLUGIN_PORT.match(name)
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
        if PLUGIN_PORT.match(name) and not self._isolated(name):
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
            log.info("transaction committed as graph plan %d", self.native.generation)
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
        out, into = self._plugin_port(source), self._plugin_port(target)
        if out is not None and into is not None:
            self.edges.add(edge)
            self._commit()
            return 0
        src, dst = self._jack_name(source), self._jack_name(target)
        if src is None or dst is None:
            return ErrorCode.JACK_PORT_CONNECTION
        if src != source or dst != target:
            self._commit()  # a newly registered engine port joins the plan
        if out is not None and (out[0].number, out[1].index) not in self._written:
            # a new engine output port may hold another port's old buffer: the process thread
            # silences it first (a cycle), then JACK may mix it
            self._written.add((out[0].number, out[1].index))
            self.native.wait_cycles()
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
        if not isinstance(inst.proc, NativePlugin):  # isolated: lv2:enabled only
            if inst.layout.enabled is not None:
                inst.proc.set(inst.layout.enabled, 0.0 if bypassed else 1.0)
            return
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
