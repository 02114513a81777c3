"""Execute one parsed mod-host command against the engine and build its exact reply bytes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from stompbox.modhost.errors import ErrorCode
from stompbox.modhost.feedback import OutputSetFb
from stompbox.modhost.server import ParsedCommand, encode_raw, encode_resp

from .board import NativeCore
from .boardio import NativePlugin
from .core import EngineCore
from .instances import Instance
from .jalv import JalvError
from .state import inside

log = logging.getLogger(__name__)

Handler = Callable[[tuple[Any, ...]], Awaitable[bytes]]

# commands whose work may overlap with the next ones (their replies still go out in order)
CONCURRENT = frozenset({"add", "multi_add"})

_UNSUPPORTED: dict[str, int] = {
    **{n: ErrorCode.CONTROL_CHAIN_UNAVAILABLE for n in ("cc_map", "cc_value_set", "cc_unmap")},
    **{n: ErrorCode.HMI_UNAVAILABLE for n in ("hmi_map", "hmi_unmap")},
}
_INVERTED_FAIL = frozenset({"midi_learn", "midi_map", "midi_unmap"})  # `resp 0` is failure
_SILENT = frozenset({"help", "save"})  # mod-host sends nothing for these


def resp(status: int, extra: float | None = None) -> bytes:
    return encode_resp(int(status), extra)


def _inside(path: Path, root: Path) -> bool:
    """True when `path` (symlinks resolved) lies inside `root`."""
    return path.resolve().is_relative_to(root.resolve())


class Dispatcher:
    """Maps command names to handlers; the cpu-load feature flag lives here."""

    def __init__(self, core: EngineCore | NativeCore, data_dir: Path) -> None:
        self.core = core
        self.data_dir = data_dir  # preset_save writes only inside it
        self.cpu_load_feature = False
        self._handlers: dict[str, Handler] = {
            "add": self._add,
            "multi_add": self._multi_add,
            "remove": self._remove,
            "multi_remove": self._multi_remove,
            "connect": self._connect,
            "connect_safe": self._connect,
            "disconnect": self._disconnect,
            "disconnect_safe": self._disconnect,
            "param_set": self._param_set,
            "param_get": self._param_get,
            "multi_param_set": self._multi_param_set,
            "bypass": self._bypass,
            "multi_bypass": self._multi_bypass,
            "preset_load": self._preset_load,
            "preset_save": self._preset_save,
            "preset_show": self._preset_show,
            "monitor_output": self._monitor_output,
            "monitor_output_off": self._monitor_output_off,
            "cpu_load": self._cpu_load,
            "max_cpu_load": self._cpu_load,
            "feature_enable": self._feature_enable,
            "output_data_ready": self._output_data_ready,
            "set_bpm": self._set_bpm,
            "patch_set": self._patch_set,
            "transaction_begin": self._transaction_begin,
            "monitor_audio_levels": self._monitor_audio_levels,
            "transaction_commit": self._transaction_commit,
            "midi_map": self._midi_map,
            "midi_learn": self._midi_learn,
            "midi_unmap": self._midi_unmap,
            "monitor_midi_program": self._monitor_midi_program,
            "monitor_midi_control": self._monitor_midi_control,
            "patch_get": self._patch_get,
            "set_bpb": self._set_bpb,
            "transport": self._transport,
            "transport_sync": self._transport_sync,
        }

    async def execute(self, cmd: ParsedCommand) -> bytes:
        handler = self._handlers.get(cmd.name)
        if handler is not None:
            try:
                return await handler(cmd.args)
            except (JalvError, TimeoutError) as exc:
                log.warning("%s failed: %r", cmd.name, exc)
                return resp(ErrorCode.INSTANCE_NON_EXISTS)
        if cmd.name in _SILENT:
            return b""
        if cmd.name in _INVERTED_FAIL:
            return resp(0)
        return resp(_UNSUPPORTED.get(cmd.name, ErrorCode.INVALID_OPERATION))

    def _inst(self, number: Any) -> Instance | None:
        inst = self.core.instances.get(int(number))
        return inst if inst is not None and inst.proc.alive else None

    # life cycle --------------------------------------------------------------------------
    async def _add(self, args: tuple[Any, ...]) -> bytes:
        uri, number = args
        return resp(await self.core.add(str(uri), int(number)))

    async def _multi_add(self, args: tuple[Any, ...]) -> bytes:
        count, items = args
        if count == 0:
            return resp(ErrorCode.ASSIGNMENT_INVALID_OP)
        await asyncio.gather(*(self.core.add(str(u), int(n)) for u, n in items))
        return resp(0)

    async def _remove(self, args: tuple[Any, ...]) -> bytes:
        return resp(await self.core.remove(int(args[0])))

    async def _multi_remove(self, args: tuple[Any, ...]) -> bytes:
        count, numbers = args
        if count == 0:
            return resp(ErrorCode.ASSIGNMENT_INVALID_OP)
        await asyncio.gather(*(self.core.remove(int(n)) for n in numbers if int(n) >= 0))
        return resp(0)

    async def _connect(self, args: tuple[Any, ...]) -> bytes:
        return resp(self.core.connect(str(args[0]), str(args[1])))

    async def _disconnect(self, args: tuple[Any, ...]) -> bytes:
        return resp(self.core.disconnect(str(args[0]), str(args[1])))

    # parameters --------------------------------------------------------------------------
    async def _param_set(self, args: tuple[Any, ...]) -> bytes:
        number, symbol, value = args
        inst = self._inst(number)
        if inst is None:
            return resp(ErrorCode.INSTANCE_NON_EXISTS)
        if symbol == ":bypass":
            self.core.set_bypass(inst, float(value) != 0.0)
            return resp(0)
        if symbol == ":presets":
            return resp(0)
        if symbol not in inst.layout.ranges:
            return resp(ErrorCode.LV2_INVALID_PARAM_SYMBOL)
        inst.proc.set(symbol, inst.layout.clamp(symbol, float(value)))
        return resp(0)

    async def _param_get(self, args: tuple[Any, ...]) -> bytes:
        number, symbol = args
        inst = self._inst(number)
        if inst is None:
            return resp(ErrorCode.INSTANCE_NON_EXISTS)
        if symbol == ":bypass":
            return resp(0, 1.0 if inst.bypassed else 0.0)
        if symbol == ":presets":
            return resp(0, 0.0)
        if symbol not in inst.layout.ranges:
            return resp(ErrorCode.LV2_INVALID_PARAM_SYMBOL)
        return resp(0, inst.value(symbol))

    async def _multi_param_set(self, args: tuple[Any, ...]) -> bytes:
        symbol, value, count, numbers = args
        if count == 0:
            return resp(ErrorCode.ASSIGNMENT_INVALID_OP)
        for n in numbers:  # like mod-host: no clamping, unknown instances skipped
            inst = self._inst(n)
            if inst is not None and symbol in inst.layout.ranges:
                inst.proc.set(symbol, float(value))
        return resp(0)

    async def _bypass(self, args: tuple[Any, ...]) -> bytes:
        inst = self._inst(args[0])
        if inst is None:
            return resp(ErrorCode.INSTANCE_NON_EXISTS)
        self.core.set_bypass(inst, int(args[1]) != 0)
        return resp(0)

    async def _multi_bypass(self, args: tuple[Any, ...]) -> bytes:
        bypassed, count, numbers = args
        if count == 0:
            return resp(ErrorCode.ASSIGNMENT_INVALID_OP)
        for n in numbers:
            inst = self._inst(n)
            if inst is not None:
                self.core.set_bypass(inst, int(bypassed) != 0)
        return resp(0)

    # presets -----------------------------------------------------------------------------
    async def _preset_load(self, args: tuple[Any, ...]) -> bytes:
        number, uri = int(args[0]), str(args[1])
        inst = self._inst(number)
        if inst is None:
            return resp(ErrorCode.INSTANCE_NON_EXISTS)
        saved = self.core.saved_presets.get(uri)
        if saved is not None:
            values: dict[str, float] | None = saved[0]
        else:
            values = await asyncio.to_thread(self.core.plugins.preset_values, uri)
        return resp(await self.core.load_preset(inst, uri, values))

    async def _preset_save(self, args: tuple[Any, ...]) -> bytes:
        number, label, bundle, filename = int(args[0]), str(args[1]), str(args[2]), str(args[3])
        inst = self._inst(number)
        if inst is None:
            return resp(ErrorCode.INSTANCE_INVALID)
        if not filename or "/" in filename or filename in (".", "..") or "\0" in filename:
            return resp(ErrorCode.INVALID_OPERATION)
        try:
            target = inside(Path(bundle), self.data_dir)
            uri, doc = await self.core.save_preset(inst, label, target, filename)
        except OSError as exc:
            log.warning("preset_save refused or failed: %s", exc)
            return resp(ErrorCode.INVALID_OPERATION)
        if self.data_dir is not None and not await asyncio.to_thread(
            _inside, Path(bundle), self.data_dir
        ):
            log.warning("preset_save refused: %r is outside the data dir", bundle)
            return resp(ErrorCode.INVALID_OPERATION)
        values = {s: v for s, v in inst.values().items() if s != inst.layout.enabled}
        self.core.saved_presets[uri] = (values, doc)
        return resp(0)

    async def _preset_show(self, args: tuple[Any, ...]) -> bytes:
        uri = str(args[0])
        saved = self.core.saved_presets.get(uri)
        if saved is not None:
            return encode_raw(saved[1])
        text = await asyncio.to_thread(self.core.plugins.preset_turtle, uri)
        return encode_raw(text.replace("\0", ""))

    # monitoring and host -----------------------------------------------------------------
    async def _monitor_output(self, args: tuple[Any, ...]) -> bytes:
        inst = self._inst(args[0])
        symbol = str(args[1])
        if inst is None or symbol not in inst.layout.outputs:
            return resp(0)
        inst.monitored.add(symbol)
        if isinstance(inst.proc, NativePlugin):
            inst.proc.monitor(symbol, True)
        outputs = await inst.proc.refresh_outputs(self.core.start_timeout)
        if symbol in outputs:
            self.core.feedback.put(OutputSetFb(inst.number, symbol, outputs[symbol]))
        return resp(1)

    async def _monitor_output_off(self, args: tuple[Any, ...]) -> bytes:
        inst = self._inst(args[0])
        symbol = str(args[1])
        if inst is None or symbol not in inst.layout.outputs:
            return resp(0)
        inst.monitored.discard(symbol)
        if isinstance(inst.proc, NativePlugin):
            inst.proc.monitor(symbol, False)
        self.core.feedback.drop_instance(inst.number, symbol)
        return resp(1)

    async def _cpu_load(self, args: tuple[Any, ...]) -> bytes:
        return resp(0, self.core.cpu_load())

    async def _feature_enable(self, args: tuple[Any, ...]) -> bytes:
        name, value = str(args[0]), int(args[1])
        if name == "cpu-load":
            self.cpu_load_feature = value != 0
            self.core.feedback.rearm()
            return resp(0)
        if name == "processing" and -2 <= value <= 3:
            self.core.set_processing(value > 0)
            if value == 2:
                self.core.feedback.rearm()
            return resp(0)
        if name == "aggregated-midi":
            return resp(ErrorCode.JACK_CLIENT_ACTIVATION if value else 0)
        return resp(ErrorCode.INVALID_OPERATION)

    async def _output_data_ready(self, args: tuple[Any, ...]) -> bytes:
        self.core.feedback.rearm()
        return resp(0)

    async def _patch_set(self, args: tuple[Any, ...]) -> bytes:
        number, prop, value = int(args[0]), str(args[1]), str(args[2])
        if self._inst(number) is None:
            return resp(ErrorCode.INSTANCE_NON_EXISTS)
        return resp(self.core.patch_set(number, prop, value))

    async def _patch_get(self, args: tuple[Any, ...]) -> bytes:
        number, prop = int(args[0]), str(args[1])
        if self._inst(number) is None:
            return resp(ErrorCode.INSTANCE_NON_EXISTS)
        return resp(self.core.patch_get(number, prop))

    # MIDI: midi_map/learn/unmap answer mod-host's inverted replies (1 success, 0 failure) -------
    async def _midi_map(self, args: tuple[Any, ...]) -> bytes:
        inst = self._inst(args[0])
        if inst is None:
            return resp(0)
        channel, cc, lo, hi = int(args[2]), int(args[3]), float(args[4]), float(args[5])
        return resp(int(self.core.midi_map(inst, str(args[1]), channel, cc, lo, hi) == 0))

    async def _midi_learn(self, args: tuple[Any, ...]) -> bytes:
        inst = self._inst(args[0])
        if inst is None:
            return resp(0)
        code = self.core.midi_learn(inst, str(args[1]), float(args[2]), float(args[3]))
        return resp(int(code == 0))

    async def _midi_unmap(self, args: tuple[Any, ...]) -> bytes:
        inst = self._inst(args[0])
        return resp(int(inst is not None and self.core.midi_unmap(inst, str(args[1]))))

    async def _monitor_midi_program(self, args: tuple[Any, ...]) -> bytes:
        return resp(self.core.monitor_midi_program(int(args[0]), int(args[1]) != 0))

    async def _monitor_midi_control(self, args: tuple[Any, ...]) -> bytes:
        """Accepted and without effect, as in mod-host."""
        return resp(0 if 0 <= int(args[0]) <= 15 else ErrorCode.INVALID_OPERATION)

    async def _monitor_audio_levels(self, args: tuple[Any, ...]) -> bytes:
        return resp(self.core.monitor_audio_levels(str(args[0]), int(args[1]) != 0))

    async def _transaction_begin(self, args: tuple[Any, ...]) -> bytes:
        return resp(self.core.begin())

    async def _transaction_commit(self, args: tuple[Any, ...]) -> bytes:
        return resp(self.core.commit())

    async def _set_bpm(self, args: tuple[Any, ...]) -> bytes:
        if isinstance(self.core, NativeCore):
            return resp(self.core.set_bpm(float(args[0])))
        ok = 20.0 <= float(args[0]) <= 300.0
        return resp(ErrorCode.INVALID_OPERATION if ok else ErrorCode.JACK_VALUE_OUT_OF_RANGE)

    async def _set_bpb(self, args: tuple[Any, ...]) -> bytes:
        if isinstance(self.core, NativeCore):
            return resp(self.core.set_bpb(float(args[0])))
        ok = 1.0 <= float(args[0]) <= 16.0
        return resp(ErrorCode.INVALID_OPERATION if ok else ErrorCode.JACK_VALUE_OUT_OF_RANGE)

    async def _transport(self, args: tuple[Any, ...]) -> bytes:
        if isinstance(self.core, NativeCore):
            return resp(self.core.transport(bool(int(args[0])), float(args[1]), float(args[2])))
        return resp(ErrorCode.INVALID_OPERATION)

    async def _transport_sync(self, args: tuple[Any, ...]) -> bytes:
        """`link` needs Ableton Link (never here); `midi` (MIDI clock) is not supported yet."""
        mode = str(args[0])
        if mode == "link":
            return resp(ErrorCode.ABLETON_LINK_UNAVAILABLE)
        return resp(ErrorCode.INVALID_OPERATION if mode == "midi" else 0)
