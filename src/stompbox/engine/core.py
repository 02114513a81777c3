"""Isolation mode: instances hosted by one jalv process each, wired in the JACK graph, deaths."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from stompbox.modhost.errors import ErrorCode
from stompbox.modhost.feedback import LogFb, OutputSetFb, PluginDiedFb

from .feedback import FeedbackQueue
from .graph import Graph, diff
from .instances import (
    MAX_INSTANCE,
    REMOVE_ALL_LIMIT,
    RESERVED,
    Instance,
    Layout,
    client_name,
)
from .jackwatch import JackWatch
from .jalv import Spawner, launch
from .plugins import PluginData
from .presets import save_preset

log = logging.getLogger(__name__)


class EngineCore:
    """Owns every instance and the logical/physical connection graph.

    `spawn` starts a background coroutine under the owner's TaskGroup (the jalv console readers).
    """

    def __init__(
        self,
        jack: JackWatch,
        plugins: PluginData,
        feedback: FeedbackQueue,
        spawn: Spawner,
        *,
        start_timeout: float = 20.0,
        stop_timeout: float = 5.0,
    ) -> None:
        self.jack = jack
        self.plugins = plugins
        self.feedback = feedback
        self._spawn = spawn
        self.instances: dict[int, Instance] = {}
        self._pending: set[int] = set()
        self.graph = Graph()
        self.physical: set[tuple[str, str]] = set()
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.saved_presets: dict[str, tuple[dict[str, float], str]] = {}  # uri -> (values, ttl)

    # life cycle --------------------------------------------------------------------------
    async def add(self, uri: str, number: int) -> int:
        """Start one jalv; return the instance number or a negative mod-host code."""
        if number < 0 or number > MAX_INSTANCE:
            return ErrorCode.INSTANCE_INVALID
        if number in self.instances or number in self._pending or number in RESERVED:
            return ErrorCode.INSTANCE_ALREADY_EXISTS
        info = await asyncio.to_thread(self.plugins.info, uri)
        if info is None:
            return ErrorCode.LV2_INVALID_URI
        if number in self.instances or number in self._pending:
            return ErrorCode.INSTANCE_ALREADY_EXISTS
        layout = Layout.of(info)
        self._pending.add(number)
        try:
            name = client_name(number)
            holder: list[Instance] = []
            proc = await launch(
                name,
                uri,
                inputs=layout.ranges.keys(),
                outputs=layout.outputs,
                on_output=lambda sym, val: self._on_output(holder, sym, val),
                on_exit=lambda code: self._on_exit(holder, code),
                spawn=self._spawn,
                start_timeout=self.start_timeout,
                stop_timeout=self.stop_timeout,
            )
            if proc is None:
                if self.jack.client_exists(name):
                    return ErrorCode.JACK_CLIENT_CREATION
                return ErrorCode.LV2_INSTANTIATION
            inst = Instance(number=number, uri=uri, info=info, layout=layout, proc=proc)
            holder.append(inst)
            self.instances[number] = inst
            return number
        finally:
            self._pending.discard(number)

    async def remove(self, number: int) -> int:
        if number == -1:
            return await self.remove_all()
        inst = self.instances.pop(number, None)
        if inst is None:
            return 0
        self.feedback.drop_instance(number)
        self.graph.remove_client(inst.client)
        self.apply_graph()
        await inst.proc.close(self.stop_timeout)
        return 0

    async def remove_all(self) -> int:
        """`remove -1`: drop capture→system connections, then instances 0..9989 (in parallel)."""
        self.graph.remove_where("system:capture_", "system:")
        self.apply_graph()
        for port in self.jack.client.get_ports("^system:capture_", is_output=True):
            for other in self.jack.connections(port.name):
                if other.startswith("system:"):
                    self.jack.disconnect(port.name, other)
        numbers = [n for n in self.instances if n <= REMOVE_ALL_LIMIT]
        await asyncio.gather(*(self.remove(n) for n in numbers))
        return 0

    async def close_all(self) -> None:
        """Shutdown: close every jalv (stdin EOF), kill stragglers."""
        procs = [inst.proc for inst in self.instances.values()]
        self.instances.clear()
        await asyncio.gather(*(p.close(self.stop_timeout) for p in procs))

    def _on_exit(self, holder: list[Instance], code: int) -> None:
        if not holder:
            return
        inst = holder[0]
        if inst.proc.closing or self.instances.get(inst.number) is not inst:
            return
        del self.instances[inst.number]
        self.graph.remove_client(inst.client)
        self.apply_graph()
        log.error("%s (%s) died with exit code %s", inst.client, inst.uri, code)
        self.feedback.drop_instance(inst.number)
        self.feedback.put(LogFb(3, f"{inst.client} died (exit code {code}, {inst.uri})"))
        self.feedback.put(PluginDiedFb(inst.number, code))

    def _on_output(self, holder: list[Instance], symbol: str, value: float) -> None:
        if holder and symbol in holder[0].monitored:
            self.feedback.put(OutputSetFb(holder[0].number, symbol, value))

    # graph -------------------------------------------------------------------------------
    def apply_graph(self) -> set[tuple[str, str]]:
        """Bring JACK in line with the derived physical graph; return edges that failed."""
        new = self.graph.physical()
        gone, fresh = diff(self.physical, new)
        for source, target in gone:
            self.jack.disconnect(source, target)
        failed = {e for e in fresh if not self.jack.connect(*e)}
        self.physical = new - failed
        return failed

    def _orient(self, a: str, b: str) -> tuple[str, str] | None:
        da, db = self.jack.port_direction(a), self.jack.port_direction(b)
        if da == "output" and db == "input":
            return a, b
        if da == "input" and db == "output":
            return b, a
        return None

    def connect(self, a: str, b: str) -> int:
        edge = self._orient(a, b)
        if edge is None:
            return ErrorCode.JACK_PORT_CONNECTION
        if edge in self.graph.edges:
            return 0
        self.graph.connect(*edge)
        failed = self.apply_graph()
        if edge in failed:
            self.graph.disconnect(*edge)
            self.apply_graph()
            return ErrorCode.JACK_PORT_CONNECTION
        return 0

    def disconnect(self, a: str, b: str) -> int:
        edge = self._orient(a, b)
        if edge is None:
            return ErrorCode.JACK_PORT_DISCONNECTION
        if self.graph.disconnect(*edge):
            self.apply_graph()
            return 0
        if self.jack.connected(*edge) and self.jack.disconnect(*edge):
            return 0
        return ErrorCode.JACK_PORT_DISCONNECTION

    def set_bypass(self, inst: Instance, bypassed: bool) -> None:
        inst.bypassed = bypassed
        self.graph.set_bypass(inst.client, inst.bypass_pairs() if bypassed else None)
        self.apply_graph()
        if inst.layout.enabled is not None:
            inst.proc.set(inst.layout.enabled, 0.0 if bypassed else 1.0)

    def set_processing(self, enabled: bool) -> None:
        """Global processing on/off: off cuts every physical edge leaving a plugin (silence)."""
        self.graph.processing = enabled
        self.apply_graph()

    def cpu_load(self) -> float:
        return self.jack.cpu_load()

    async def load_preset(self, inst: Instance, uri: str, values: dict[str, float] | None) -> int:
        """jalv: set the preset's port values through the console (no plugin state)."""
        if values is None:
            return ErrorCode.LV2_CANT_LOAD_STATE
        for symbol, value in values.items():
            if symbol in inst.layout.ranges and symbol != inst.layout.enabled:
                inst.proc.set(symbol, value)
        return 0

    async def save_preset(
        self, inst: Instance, label: str, bundle: Path, filename: str
    ) -> tuple[str, str]:
        """jalv: port values only (jalv 1.6 cannot save a running plugin's state)."""
        values = {s: v for s, v in inst.values().items() if s != inst.layout.enabled}
        return await asyncio.to_thread(save_preset, bundle, filename, label, inst.uri, values)

    def patch_set(self, number: int, prop: str, value: str) -> int:
        """jalv 1.6 cannot set a patch property through its console."""
        return ErrorCode.INVALID_OPERATION

    def patch_get(self, number: int, prop: str) -> int:
        return ErrorCode.INVALID_OPERATION

    def midi_map(
        self, inst: Instance, symbol: str, channel: int, cc: int, lo: float, hi: float
    ) -> int:
        """Isolation mode has no MIDI input of its own."""
        return ErrorCode.INVALID_OPERATION

    def midi_learn(self, inst: Instance, symbol: str, lo: float, hi: float) -> int:
        return ErrorCode.INVALID_OPERATION

    def midi_unmap(self, inst: Instance, symbol: str) -> bool:
        return False

    def monitor_midi_program(self, channel: int, on: bool) -> int:
        return 0 if 0 <= channel <= 15 else ErrorCode.INVALID_OPERATION

    def monitor_audio_levels(self, name: str, on: bool) -> int:
        """Isolation mode has no meters."""
        return ErrorCode.INVALID_OPERATION

    def begin(self) -> int:
        """Isolation mode changes JACK at once: transactions are accepted and change nothing."""
        return 0

    def commit(self) -> int:
        return 0

    def poll(self) -> None:
        """Nothing to poll: jalv reports through its console."""

    def statistics(self) -> dict[str, int]:
        return {
            "instances": len(self.instances),
            "pending": len(self._pending),
            "logical_edges": len(self.graph.edges),
            "physical_edges": len(self.physical),
            "processing": int(self.graph.processing),
            "pid": os.getpid(),
        }
