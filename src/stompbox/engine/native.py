"""Typed ctypes binding of the engine's real-time C core (native/libstompbox_engine.so).

Every call here is non-real-time; the C side hands values to its JACK process thread through
lock-free rings and publishes graph plans with one atomic pointer swap.
"""

from __future__ import annotations

import contextlib
import ctypes
import enum
import logging
from dataclasses import dataclass
from pathlib import Path

from .native_lib import LIBRARY as LIBRARY, NativeError as NativeError, load_library

log = logging.getLogger(__name__)

NAME_SIZE = 512
LOG_SIZE = 1024
PATCH_SIZE = 16384


class EventKind(enum.IntEnum):
    """What the process thread reports (SB_FB_* in engine.h)."""

    OUTPUT = 1  # an output control changed
    PARAM = 2  # a MIDI mapping moved an input control
    MIDI_MAPPED = 3  # midi_learn completed
    PROGRAM = 4  # a program change on a monitored channel
    CONTROL = 5  # an unmapped CC on a monitored channel
    NOTE = 6  # a note on (velocity > 0) or off on a monitored channel
    TRANSPORT = 16  # the transport changed: a rolling, value bpm, lo bpb


class _FbMsg(ctypes.Structure):
    _fields_ = [
        ("kind", ctypes.c_uint32),
        ("number", ctypes.c_int32),
        ("port", ctypes.c_uint32),
        ("value", ctypes.c_float),
        ("a", ctypes.c_int32),
        ("b", ctypes.c_int32),
        ("lo", ctypes.c_float),
        ("hi", ctypes.c_float),
    ]


@dataclass(frozen=True, slots=True)
class Event:
    """One report of the process thread; `port` is BYPASS_PORT for a `:bypass` mapping."""

    kind: EventKind
    number: int
    port: int
    value: float
    a: int
    b: int
    lo: float
    hi: float


BYPASS_PORT = 0xFFFFFFFE


class PortKind(enum.IntEnum):
    CONTROL = 0
    AUDIO = 1
    CV = 2
    ATOM = 3
    OTHER = 4


@dataclass(frozen=True, slots=True)
class PortInfo:
    index: int
    kind: PortKind
    is_input: bool

    @property
    def is_signal(self) -> bool:
        """Audio, CV and atom ports: the ones connections carry."""
        return self.kind in (PortKind.AUDIO, PortKind.CV, PortKind.ATOM)


def _b(text: str) -> bytes:
    return text.encode()


class NativeEngine:
    """One C engine: a JACK client (`client_name`) running the whole board in one process cycle."""

    def __init__(self, server: str | None, name: str = "stompbox") -> None:
        self._lib = load_library()
        handle = self._lib.sb_engine_new(_b(server) if server else None, _b(name))
        if not handle:
            raise NativeError(f"cannot open JACK client {name!r} on server {server or 'default'}")
        self._h: int | None = handle
        self.client_name: str = self._lib.sb_client_name(handle).decode()
        self.sample_rate: int = int(self._lib.sb_sample_rate(handle))

    def _handle(self) -> int:
        if self._h is None:
            raise NativeError("the engine is closed")
        return self._h

    def close(self) -> None:
        handle, self._h = self._h, None
        if handle is not None:
            self._lib.sb_engine_free(handle)

    # host --------------------------------------------------------------------------------
    @property
    def block_size(self) -> int:
        return int(self._lib.sb_block_size(self._handle()))

    def cpu_load(self) -> float:
        return float(self._lib.sb_cpu_load(self._handle()))

    @property
    def xruns(self) -> int:
        return int(self._lib.sb_xruns(self._handle()))

    @property
    def shut_down(self) -> bool:
        return bool(self._lib.sb_shut_down(self._handle()))

    # instances ---------------------------------------------------------------------------
    def add(self, number: int, uri: str) -> int:
        """Instantiate and activate; the number, or a negative mod-host code. Blocking (lilv)."""
        return int(self._lib.sb_add(self._handle(), number, _b(uri)))

    def remove(self, number: int) -> None:
        """Take the instance out of the next plan; it is freed once the RT thread let go."""
        self._lib.sb_remove(self._handle(), number)

    def port(self, number: int, symbol: str) -> PortInfo | None:
        h = self._handle()
        index = int(self._lib.sb_port_index(h, number, _b(symbol)))
        if index < 0:
            return None
        kind = int(self._lib.sb_port_kind(h, number, index))
        return PortInfo(index, PortKind(kind % 8), kind >= 8)

    def param_set(self, number: int, index: int, value: float) -> int:
        return int(self._lib.sb_param_set(self._handle(), number, index, value))

    def bypass(self, number: int, on: bool) -> int:
        return int(self._lib.sb_bypass(self._handle(), number, int(on)))

    def processing(self, on: bool, *, at_once: bool) -> int:
        return int(self._lib.sb_processing(self._handle(), int(on), int(at_once)))

    def control_value(self, number: int, index: int) -> float:
        return float(self._lib.sb_control_value(self._handle(), number, index))

    def monitor_output(self, number: int, index: int, on: bool) -> int:
        """Have the process thread report changes of this output control (or stop)."""
        return int(self._lib.sb_monitor_output(self._handle(), number, index, int(on)))

    def dsp_ns(self, number: int) -> int:
        return int(self._lib.sb_dsp_ns(self._handle(), number))

    # graph -------------------------------------------------------------------------------
    def commit(self, edges: list[tuple[int, int, int, int]]) -> int:
        """Publish a plan: every live instance, these internal (src, port, dst, port) edges."""
        h = self._handle()
        self._lib.sb_graph_clear(h)
        for src, sp, dst, dp in edges:
            self._lib.sb_graph_edge(h, src, sp, dst, dp)
        return int(self._lib.sb_commit(h))

    def collect(self) -> bool:
        """Free what the RT thread let go; True while something still waits for it."""
        return bool(self._lib.sb_collect(self._handle()))

    @property
    def adopted(self) -> int:
        return int(self._lib.sb_adopted(self._handle()))

    @property
    def generation(self) -> int:
        return int(self._lib.sb_generation(self._handle()))

    def external_port(self, number: int, index: int) -> str | None:
        """The engine's JACK port for a plugin port (registered on first use), or None."""
        buf = ctypes.create_string_buffer(NAME_SIZE)
        code = self._lib.sb_external_port(self._handle(), number, index, buf, NAME_SIZE)
        return buf.value.decode() if code == 0 else None

    # JACK --------------------------------------------------------------------------------
    def jack_direction(self, name: str) -> str | None:
        found = int(self._lib.sb_jack_direction(self._handle(), _b(name)))
        return {1: "output", 2: "input"}.get(found)

    def jack_connect(self, source: str, target: str) -> bool:
        return bool(self._lib.sb_jack_connect(self._handle(), _b(source), _b(target)) == 0)

    def jack_disconnect(self, source: str, target: str) -> bool:
        return bool(self._lib.sb_jack_disconnect(self._handle(), _b(source), _b(target)) == 0)

    def jack_connected(self, source: str, target: str) -> bool:
        return bool(self._lib.sb_jack_connected(self._handle(), _b(source), _b(target)))

    def unpatch_capture(self) -> None:
        self._lib.sb_unpatch_capture(self._handle())

    # RT -> control -----------------------------------------------------------------------
    def events(self) -> list[Event]:
        """What the process thread reported since the last call, in order."""
        h = self._handle()
        m = _FbMsg()
        found: list[Event] = []
        while self._lib.sb_next_event(h, ctypes.byref(m)):
            with contextlib.suppress(ValueError):
                kind = EventKind(m.kind)
                found.append(Event(kind, m.number, m.port, m.value, m.a, m.b, m.lo, m.hi))
        return found

    # MIDI (port -1 is `:bypass`) -----------------------------------------------------------
    def midi_map(self, number: int, port: int, channel: int, cc: int, lo: float, hi: float) -> int:
        return int(self._lib.sb_midi_map(self._handle(), number, port, channel, cc, lo, hi))

    def midi_learn(self, number: int, port: int, lo: float, hi: float) -> int:
        return int(self._lib.sb_midi_learn(self._handle(), number, port, lo, hi))

    def midi_unmap(self, number: int, port: int) -> int:
        return int(self._lib.sb_midi_unmap(self._handle(), number, port))

    def midi_program(self, channel: int, on: bool) -> int:
        return int(self._lib.sb_midi_program(self._handle(), channel, int(on)))

    def logs(self) -> list[tuple[int, str]]:
        """Plugin log lines written from the process thread: (level 0..3, text)."""
        h = self._handle()
        buf = ctypes.create_string_buffer(LOG_SIZE)
        found: list[tuple[int, str]] = []
        while self._lib.sb_next_log(h, buf, LOG_SIZE) >= 0:
            raw = buf.value.decode(errors="replace")
            if raw:
                found.append((int(raw[0]) if raw[0].isdigit() else 1, raw[1:]))
        return found

    def patch_set(self, number: int, prop: str, value: str) -> int:
        """Queue a patch:Set of `prop` (converted by its rdfs:range) for the plugin's next cycle."""
        return int(self._lib.sb_patch(self._handle(), number, _b(prop), _b(value)))

    def patch_get(self, number: int, prop: str) -> int:
        """Queue a patch:Get (`prop` "" asks for every property); answers come as patches()."""
        return int(self._lib.sb_patch(self._handle(), number, _b(prop), None))

    def patches(self) -> list[tuple[int, str, str, str]]:
        """patch:Set messages plugins sent: (number, property URI, type letter, value text)."""
        h = self._handle()
        number = ctypes.c_int()
        buf = ctypes.create_string_buffer(PATCH_SIZE)
        found: list[tuple[int, str, str, str]] = []
        while self._lib.sb_next_patch(h, ctypes.byref(number), buf, PATCH_SIZE) >= 0:
            prop, _, rest = buf.value.decode(errors="replace").partition("\t")
            kind, _, value = rest.partition("\t")
            found.append((number.value, prop, kind, value))
        return found

    def state_save(self, number: int, directory: Path, filename: str, label: str) -> int:
        """Save port values and plugin state as a preset in `directory` (blocking)."""
        h = self._handle()
        return int(self._lib.sb_state_save(h, number, _b(str(directory)), _b(filename), _b(label)))

    def state_restore(self, number: int, uri: str) -> int:
        """Restore a preset or saved state into the running instance (blocking, ≤ 2 s)."""
        return int(self._lib.sb_state_restore(self._handle(), number, _b(uri)))

    def load_bundle(self, directory: Path) -> None:
        self._lib.sb_load_bundle(self._handle(), _b(str(directory)))

    def set_crossfade(self, ms: float) -> None:
        """How long a board switch crossfades an output whose source changes (0: a cut)."""
        self._lib.sb_set_crossfade_ms(self._handle(), ms)

    # transport -------------------------------------------------------------------------
    def set_tempo(self, bpm: float, bpb: float) -> None:
        """The host tempo: JACK's BBT while the engine is timebase master, and time:Position."""
        self._lib.sb_set_tempo(self._handle(), bpm, bpb)

    def transport(self, rolling: bool, bpb: float, bpm: float) -> None:
        """Set the tempo, then start JACK's transport, or stop it and go back to frame 0."""
        self._lib.sb_transport_roll(self._handle(), int(rolling), bpb, bpm)

    @property
    def tempo(self) -> tuple[float, float]:
        """(bpm, beats per bar) as last set."""
        h = self._handle()
        return float(self._lib.sb_tempo_bpm(h)), float(self._lib.sb_tempo_bpb(h))

    # meters (monitor_audio_levels) ---------------------------------------------------------
    def monitor_set(self, index: int, number: int, port: int, source: str | None) -> int:
        """Meter a plugin port (number, port) or the JACK port `source`; then commit()."""
        h = self._handle()
        return int(self._lib.sb_monitor_set(h, index, number, port, _b(source) if source else None))

    def monitor_clear(self, index: int) -> None:
        self._lib.sb_monitor_clear(self._handle(), index)

    def monitor_peak(self, index: int) -> float:
        """The peak |sample| since the last call."""
        return float(self._lib.sb_monitor_peak(self._handle(), index))

    def record_crashes(self, fd: int) -> bool:
        """On a fatal signal, append the running (or instantiating) plugin's URI to `fd`."""
        return int(self._lib.sb_crash_record(self._handle(), fd)) == 0

    def wait_adopted(self, timeout_ms: int = 100) -> bool:
        """Block until the process thread runs the newest plan (a cycle or two)."""
        h = self._handle()
        gen = int(self._lib.sb_generation(h))
        return int(self._lib.sb_wait_adopted(h, gen, timeout_ms)) == 0

    def wait_cycles(self, count: int = 2, timeout_ms: int = 100) -> bool:
        """Block until the process callback ran `count` more times."""
        return int(self._lib.sb_wait_cycles(self._handle(), count, timeout_ms)) == 0
