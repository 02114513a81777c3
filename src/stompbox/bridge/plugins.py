"""The `plugin.*` methods: catalog look-ups and instance control, translated to engine commands."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from stompbox.contract.bridge import (
    Bypass,
    Done,
    Empty,
    GetParameter,
    InstanceRef,
    Loaded,
    LoadPreset,
    MonitorOutput,
    PluginList,
    PluginLoad,
    PluginUri,
    PresetParameters,
    PresetSaved,
    PresetUri,
    SavePreset,
    SetParameter,
    Value,
)
from stompbox.contract.errors import (
    ConflictError,
    EngineError,
    NotFoundError,
    ResourceError,
    StompboxError,
    StompboxTimeoutError,
    ValidationError,
)
from stompbox.contract.names import check_name
from stompbox.contract.plugin import Direction, PluginInfo, PluginSummary, PortType, PresetInfo
from stompbox.contract.values import check_value
from stompbox.lv2.catalog import Catalog
from stompbox.modhost import commands as mh

from .engine_client import EngineClient
from .instances import InstanceTable, slug
from .latency import latency_symbol
from .user_presets import Presets, bundle_of, delete_bundle, read_presets
from .validation import control_port

MAX_PRESETS = 1000
LATE_REMOVE_TIMEOUT = 30.0
LATE_RETRY_MIN = 0.5
LATE_RETRY_MAX = 5.0
"""User preset bundles in the data dir at most."""


class PluginMethods:
    """Handlers of the `plugin` envelope; `catalog()` waits until the catalog is loaded."""

    def __init__(
        self,
        engine: EngineClient,
        instances: InstanceTable,
        catalog: Callable[[], Awaitable[Catalog]],
        preset_dir: Path,
    ) -> None:
        self.engine = engine
        self.instances = instances
        self.catalog = catalog
        self.preset_dir = preset_dir.resolve()  # URIs of saved presets name the real path
        self.stale_numbers = 0  # adds that found a leftover on their number (cleared, retried)
        self.late_adds_removed = 0  # timed-out adds undone by a follow-up remove
        self._undoing: set[asyncio.Task[None]] = set()
        self._user_presets: Presets | None = None
        """plugin uri → {preset uri: label} of the presets in `preset_dir` (read once, lazily)"""

    # -- catalog --------------------------------------------------------------------------

    async def _plugin(self, uri: str) -> PluginInfo:
        info = (await self.catalog()).get(uri)
        if info is None:
            raise NotFoundError(f"no installed LV2 plugin {uri!r}", {"uri": uri})
        return info

    async def list_plugins(self, p: PluginList) -> list[PluginSummary]:
        catalog = await self.catalog()
        return catalog.search(p.query or "", p.category or "", p.audio_inputs, p.audio_outputs)

    async def categories(self, _: Empty) -> list[str]:
        return (await self.catalog()).categories()

    async def info(self, p: PluginUri) -> PluginInfo:
        return await self._plugin(p.uri)

    async def user_presets(self) -> Presets:
        """The user presets in the data dir, read from disk the first time (so the ones saved
        before a restart of the bridge are listed again)."""
        if self._user_presets is None:
            self._user_presets = await asyncio.to_thread(read_presets, self.preset_dir)
        return self._user_presets

    async def presets(self, p: PluginUri) -> list[PresetInfo]:
        info = await self._plugin(p.uri)
        known = {pr.uri for pr in info.presets}
        saved = sorted(
            (
                PresetInfo(uri, label, user=True)
                for uri, label in (await self.user_presets()).get(p.uri, {}).items()
                if uri not in known
            ),
            key=lambda pr: (pr.label.casefold(), pr.uri),
        )
        return [*info.presets, *saved]

    # -- instances ------------------------------------------------------------------------

    async def load(self, p: PluginLoad) -> Loaded:
        plugin = await self._plugin(p.uri)
        instance_id = p.instance_id if p.instance_id is not None else self.instances.new_id(plugin)
        number = self.instances.reserve(instance_id)
        try:
            try:
                await self.engine.request(mh.Add(plugin.uri, number))
            except ConflictError:
                # a leftover of an earlier connection holds this number: clear it and retry
                self.stale_numbers += 1
                await self.engine.request(mh.Remove(number))
                await self.engine.request(mh.Add(plugin.uri, number))
        except StompboxTimeoutError:
            self.instances.release(instance_id)
            self._undo_late_add(number)
            raise
        except BaseException:
            self.instances.release(instance_id)
            raise
        inst = self.instances.commit(instance_id, plugin)
        latency = latency_symbol(plugin)
        if latency is not None:  # its value and changes come as output_set feedback
            with contextlib.suppress(EngineError):  # refused: its latency stays unknown
                await self.engine.request(mh.MonitorOutput(inst.number, latency))
        return Loaded(inst.instance_id, inst.number, plugin)

    def _undo_late_add(self, number: int) -> None:
        """An add that timed out is still in flight on the ordered engine connection and may yet
        run (a stalled engine): follow it with `remove N`, which comes after it whatever the
        engine does with it, so no plugin nobody knows is left running; N stays taken until the
        remove is answered (a new plugin must not get the number the remove is for)."""
        held = self.instances.hold(number)
        task = asyncio.create_task(self._remove_late(number, held), name=f"undo add {number}")
        self._undoing.add(task)
        task.add_done_callback(self._undoing.discard)

    async def _remove_late(self, number: int, held: str) -> None:
        delay = LATE_RETRY_MIN
        try:
            while True:
                try:
                    await self.engine.request(mh.Remove(number), timeout=LATE_REMOVE_TIMEOUT)
                    self.late_adds_removed += 1
                    return
                except StompboxTimeoutError:  # still stalled: the remove stays queued; ask again
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, LATE_RETRY_MAX)
                except StompboxError:  # refused (the add failed: nothing there) or link lost
                    return  # (a new link starts from an engine reset)
        finally:
            self.instances.release(held)

    async def unload(self, p: InstanceRef) -> Done:
        inst = self.instances.get(p.instance_id)
        await self.engine.request(mh.Remove(inst.number))
        self.instances.release(p.instance_id)
        return Done()

    async def reset(self, _: Empty) -> Done:
        """Remove every instance from the engine (`remove -1`) and forget them."""
        await self.engine.request(mh.Remove(-1))
        self.instances.clear()
        return Done()

    async def set_parameter(self, p: SetParameter) -> Value:
        inst = self.instances.get(p.instance_id)
        port = control_port(inst.plugin, p.symbol, Direction.INPUT)
        value = check_value(port, p.value, f"{p.instance_id}:{p.symbol}")
        await self.engine.request(mh.ParamSet(inst.number, p.symbol, value))
        return Value(value)

    async def get_parameter(self, p: GetParameter) -> Value:
        inst = self.instances.get(p.instance_id)
        control_port(inst.plugin, p.symbol, Direction.INPUT)
        reply = await self.engine.request(mh.ParamGet(inst.number, p.symbol))
        return Value(float(getattr(reply, "extra", None) or 0.0))

    async def bypass(self, p: Bypass) -> Done:
        inst = self.instances.get(p.instance_id)
        await self.engine.request(mh.Bypass(inst.number, p.bypassed))
        return Done()

    async def monitor_output(self, p: MonitorOutput) -> Done:
        inst = self.instances.get(p.instance_id)
        control_port(inst.plugin, p.symbol, Direction.OUTPUT)
        cmd: mh.Command = (
            mh.MonitorOutput(inst.number, p.symbol)
            if p.enable
            else mh.MonitorOutputOff(inst.number, p.symbol)
        )
        await self.engine.request(cmd)
        return Done()

    # -- presets --------------------------------------------------------------------------

    async def load_preset(self, p: LoadPreset) -> PresetParameters:
        """Load the preset, then read back every control input (the engine's values, which
        mod-host reports with 4 decimals)."""
        inst = self.instances.get(p.instance_id)
        if not p.uri:
            raise ValidationError("preset uri must not be empty")
        await self.engine.request(mh.PresetLoad(inst.number, p.uri))
        symbols = [
            port.symbol
            for port in inst.plugin.ports
            if port.type is PortType.CONTROL and port.direction is Direction.INPUT
        ]
        replies = await asyncio.gather(
            *(self.engine.request(mh.ParamGet(inst.number, s)) for s in symbols)
        )
        values = {
            s: float(getattr(r, "extra", None) or 0.0)
            for s, r in zip(symbols, replies, strict=True)
        }
        return PresetParameters(values)

    def _preset_count(self) -> int:
        try:
            return sum(1 for b in self.preset_dir.iterdir() if b.suffix == ".lv2")
        except OSError:
            return 0

    async def save_preset(self, p: SavePreset) -> PresetSaved:
        """Save the instance's state as an LV2 preset bundle in the data dir and make it known
        to the engine (`bundle_add`); returns the preset URI (the saved file's URI)."""
        inst = self.instances.get(p.instance_id)
        label = check_name(p.label, "preset label")
        bundle = self.preset_dir / f"{slug(inst.plugin.name)}-{slug(label, 'preset')}.lv2"
        filename = f"{slug(label, 'preset')}.ttl"
        if not bundle.exists() and self._preset_count() >= MAX_PRESETS:
            raise ResourceError(
                f"at most {MAX_PRESETS} user presets; delete one first", {"limit": MAX_PRESETS}
            )
        try:
            bundle.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValidationError(f"cannot create preset bundle {bundle}: {exc}") from exc
        await self.engine.request(mh.PresetSave(inst.number, label, str(bundle), filename))
        # a real mod-host needs the bundle (re)loaded into its lilv world to find the preset
        # later; engines that resolve file:// preset URIs by themselves may refuse these
        for cmd in (mh.BundleRemove(str(bundle), ""), mh.BundleAdd(str(bundle))):
            with contextlib.suppress(EngineError):
                await self.engine.request(cmd)
        uri = (bundle / filename).as_uri()
        (await self.user_presets()).setdefault(inst.plugin.uri, {})[uri] = label
        return PresetSaved(uri)

    async def delete_preset(self, p: PresetUri) -> Done:
        """Delete a user preset: its bundle in the data dir goes (factory presets and files
        anywhere else are refused), and the engine forgets the bundle."""
        saved = await self.user_presets()
        owner = next((plugin for plugin, found in saved.items() if p.uri in found), None)
        if owner is None:
            raise NotFoundError(f"no user preset {p.uri}", {"uri": p.uri})
        bundle = bundle_of(self.preset_dir, p.uri)
        await asyncio.to_thread(delete_bundle, bundle)
        del saved[owner][p.uri]
        with contextlib.suppress(EngineError):
            await self.engine.request(mh.BundleRemove(str(bundle), ""))
        return Done()
