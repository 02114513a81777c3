"""The engine's C core as a shared library: where it is, what it needs loaded first, and the
ctypes signature of every function it exports (engine/native.py wraps them in NativeEngine)."""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

log = logging.getLogger(__name__)

LIBRARY = Path(__file__).with_name("native") / "libstompbox_engine.so"


class NativeError(RuntimeError):
    """The C core could not be loaded or could not open its JACK client."""


_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "sb_engine_new": (ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_char_p]),
    "sb_engine_free": (None, [ctypes.c_void_p]),
    "sb_client_name": (ctypes.c_char_p, [ctypes.c_void_p]),
    "sb_sample_rate": (ctypes.c_uint32, [ctypes.c_void_p]),
    "sb_block_size": (ctypes.c_uint32, [ctypes.c_void_p]),
    "sb_cpu_load": (ctypes.c_float, [ctypes.c_void_p]),
    "sb_xruns": (ctypes.c_uint32, [ctypes.c_void_p]),
    "sb_shut_down": (ctypes.c_int, [ctypes.c_void_p]),
    "sb_add": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p]),
    "sb_exists": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int]),
    "sb_remove": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int]),
    "sb_port_index": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p]),
    "sb_port_kind": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]),
    "sb_param_set": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_float]),
    "sb_bypass": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]),
    "sb_processing": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]),
    "sb_control_value": (ctypes.c_float, [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]),
    "sb_dsp_ns": (ctypes.c_uint32, [ctypes.c_void_p, ctypes.c_int]),
    "sb_monitor_output": (
        ctypes.c_int,
        [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int],
    ),
    "sb_graph_clear": (None, [ctypes.c_void_p]),
    "sb_graph_edge": (
        ctypes.c_int,
        [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int],
    ),
    "sb_commit": (ctypes.c_int, [ctypes.c_void_p]),
    "sb_collect": (ctypes.c_int, [ctypes.c_void_p]),
    "sb_adopted": (ctypes.c_uint64, [ctypes.c_void_p]),
    "sb_generation": (ctypes.c_uint64, [ctypes.c_void_p]),
    "sb_external_port": (
        ctypes.c_int,
        [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int],
    ),
    "sb_jack_direction": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
    "sb_jack_connect": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]),
    "sb_jack_disconnect": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]),
    "sb_jack_connected": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]),
    "sb_unpatch_capture": (None, [ctypes.c_void_p]),
    "sb_next_event": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p]),
    "sb_midi_map": (
        ctypes.c_int,
        [
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_float,
            ctypes.c_float,
        ],
    ),
    "sb_midi_learn": (
        ctypes.c_int,
        [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_float, ctypes.c_float],
    ),
    "sb_midi_unmap": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]),
    "sb_midi_program": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]),
    "sb_monitor_set": (
        ctypes.c_int,
        [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_char_p],
    ),
    "sb_monitor_clear": (None, [ctypes.c_void_p, ctypes.c_int]),
    "sb_crash_record": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int]),
    "sb_wait_adopted": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int]),
    "sb_wait_cycles": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]),
    "sb_monitor_peak": (ctypes.c_float, [ctypes.c_void_p, ctypes.c_int]),
    "sb_next_log": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]),
    "sb_set_crossfade_ms": (None, [ctypes.c_void_p, ctypes.c_float]),
    "sb_set_tempo": (None, [ctypes.c_void_p, ctypes.c_double, ctypes.c_double]),
    "sb_transport_roll": (
        None,
        [ctypes.c_void_p, ctypes.c_int, ctypes.c_double, ctypes.c_double],
    ),
    "sb_tempo_bpm": (ctypes.c_double, [ctypes.c_void_p]),
    "sb_tempo_bpb": (ctypes.c_double, [ctypes.c_void_p]),
    "sb_state_save": (
        ctypes.c_int,
        [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p],
    ),
    "sb_state_restore": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p]),
    "sb_load_bundle": (None, [ctypes.c_void_p, ctypes.c_char_p]),
    "sb_patch": (
        ctypes.c_int,
        [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p],
    ),
    "sb_next_patch": (
        ctypes.c_int,
        [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.c_char_p, ctypes.c_int],
    ),
}


HOST_LIBRARIES = ("libfftw3f.so.3",)
"""Loaded globally before any plugin: some plugin binaries (swh-lv2's pitchScaleHQ and mbeq on
Debian 12) use FFTW without linking it, relying on the host to have it (mod-host links it;
package libfftw3-single3). Without it lilv cannot open them (undefined symbol fftwf_execute)."""


def load_library(path: Path = LIBRARY) -> ctypes.CDLL:
    """Load the C core and declare every function's types."""
    for name in HOST_LIBRARIES:
        try:
            ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)
        except OSError as exc:
            log.warning("cannot load %s (%s): plugins that need it will not load", name, exc)
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as exc:
        raise NativeError(
            f"cannot load {path} ({exc}); build it with `make -C {path.parent}`"
        ) from exc
    for name, (restype, argtypes) in _SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib
