"""The bridge application: engine client, catalog, JACK client and instance table on ZmqService."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import msgspec

from stompbox.contract import bridge_api as B
from stompbox.contract.bridge import (
    AudioStatus,
    BridgeState,
    BufferSize,
    ConnectionEntry,
    CpuLoad,
    Done,
    Empty,
    EngineConnected,
    EngineDisconnected,
    InstanceEntry,
    InstanceRef,
    ListPorts,
    Loaded,
    PluginDied,
    PluginLatency,
    PluginLoad,
    Pong,
    PortEntry,
    Ports,
    Processing,
    ProcessingState,
    Transaction,
    TransactionPhase,
    TransactionState,
)
from stompbox.contract.errors import StompboxConnectionError, StompboxTimeoutError
from stompbox.contract.method import Route
from stompbox.contract.stats import BridgeStatistics, PluginStatistics, TransactionStatistics
from stompbox.lv2.catalog import Catalog
from stompbox.modhost import commands as mh
from stompbox.modhost.feedback import AudioMonitorFb, Feedback, OutputSetFb, PluginDiedFb
from stompbox.settings import Settings
from stompbox.zmqservice import ZmqService

from .addresses import from_jack, to_jack
from .audio import AudioSystem
from .connections import ConnectionBook
from .engine_client import EngineClient
from .feedback_events import feedback_events
from .instances import InstanceTable
from .levels import BlockMeters
from .live import LiveMethods
from .plugins import PluginMethods
from .transactions import Transactions
from .validation import audio_port

MAX_EARLY_DEATHS = 64
"""Deaths of plugins whose add is still in flight kept for it at most (a bound, not a rule)."""
log = logging.getLogger(__name__)

CATALOG_WAIT = 120.0
"""How long a catalog request waits for the start-up scan."""
RATE_WAIT = 3.0
"""How long start-up waits for JACK's sample rate before scanning with the configured one."""


class Bridge:
    """Service "bridge" (see the brief's Bridge RPC API). `async with` binds; `run()` serves."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.service = ZmqService("bridge", settings)
        self.instances = InstanceTable()
        self._died_early: dict[int, int] = {}  # number → exit code, while its add is answered
        self.audio = AudioSystem(settings.jack_server)
        self.engine = EngineClient(
            settings.engine_host,
            settings.engine_port,
            settings.engine_feedback_port,
            timeout=settings.engine_timeout,
            on_feedback=self._on_feedback,
            on_connected=self._on_engine_connected,
            on_disconnected=self._on_engine_disconnected,
            token_path=(
                settings.engine_token_path()
                if settings.engine_embedded and settings.engine_auth
                else None
            ),
        )
        self.transactions = Transactions(self.engine)
        self._catalog: Catalog | None = None
        self._processing = True  # last `feature_enable processing` sent; on after a (re)connect
        self._catalog_ready = asyncio.Event()
        self.plugins = PluginMethods(
            self.engine, self.instances, self.catalog, settings.data_dir / "presets"
        )
        self.connections = ConnectionBook()
        self.live = LiveMethods(self.engine, self.instances, self.catalog, self.transactions)
        self.levels = BlockMeters(self.engine, self.instances, self.service.publish_event)
        self._register()

    # -- registration ---------------------------------------------------------------------

    def _register(self) -> None:
        for route in self.routes():
            self.service.add(route)

    def routes(self) -> list[Route]:
        """The bridge's one registration table: each contract/bridge_api.py method → handler."""
        pl, live = self.plugins, self.live
        return [
            B.PING.route(self.ping),
            B.STATE.route(self.state),
            B.CONNECT.route(self.connect),
            B.DISCONNECT.route(self.disconnect),
            B.LIST_CONNECTIONS.route(self.list_connections),
            B.STATISTICS.route(self.rpc_statistics),
            # plugin.*
            B.PLUGIN_LIST.route(pl.list_plugins),
            B.PLUGIN_CATEGORIES.route(pl.categories),
            B.PLUGIN_INFO.route(pl.info),
            B.PLUGIN_PRESETS.route(pl.presets),
            B.PLUGIN_LOAD.route(self.load),
            B.PLUGIN_UNLOAD.route(self.unload),
            B.PLUGIN_SET_PARAMETER.route(pl.set_parameter),
            B.PLUGIN_GET_PARAMETER.route(pl.get_parameter),
            B.PLUGIN_BYPASS.route(pl.bypass),
            B.PLUGIN_LOAD_PRESET.route(pl.load_preset),
            B.PLUGIN_SAVE_PRESET.route(pl.save_preset),
            B.PLUGIN_DELETE_PRESET.route(pl.delete_preset),
            B.PLUGIN_MONITOR_OUTPUT.route(pl.monitor_output),
            B.PLUGIN_RESET.route(self.reset),
            B.PLUGIN_TRANSACTION.route(self.transaction),
            # audio.*
            B.AUDIO_STATUS.route(self.audio_status),
            B.AUDIO_SET_BUFFER_SIZE.route(self.set_buffer_size),
            B.AUDIO_LIST_PORTS.route(self.list_ports),
            B.AUDIO_CPU_LOAD.route(self.cpu_load),
            B.AUDIO_PROCESSING.route(self.set_processing),
            # live.*
            B.LIVE_PATCH_SET.route(live.patch_set),
            B.LIVE_MIDI_MONITOR.route(live.midi_monitor),
            B.LIVE_FILE_PARAMETERS.route(live.file_parameters),
            B.LIVE_APPLY.route(live.apply),
            B.LIVE_LEVELS.route(self.levels.enable),
        ]

    async def load(self, p: PluginLoad) -> Loaded:
        """plugin.load; the block meters follow the board."""
        result = await self.plugins.load(p)
        self.levels.changed()
        code = self._died_early.pop(result.number, None)
        if code is not None:
            self.service.publish_event(PluginDied(result.instance_id, code))
        return result

    async def unload(self, p: InstanceRef) -> Done:
        """plugin.unload; the engine drops the instance's connections, so do we (and the block
        meters follow the board)."""
        result = await self.plugins.unload(p)
        self.connections.drop_instance(p.instance_id)
        self.levels.changed()
        return result

    async def reset(self, p: Empty) -> Done:
        """plugin.reset; the engine drops every connection, so do we."""
        result = await self.plugins.reset(p)
        self.connections.clear()
        self.levels.engine_reset()
        return result

    async def transaction(self, p: Transaction) -> TransactionState:
        """Mark where a burst of graph changes (a board switch) begins or ends."""
        if p.phase is TransactionPhase.BEGIN:
            engine = await self.transactions.begin()
        else:
            await self.transactions.commit()
            engine = bool(self.transactions.supported)
        return TransactionState(engine, self.transactions.open)

    # -- catalog --------------------------------------------------------------------------

    async def catalog(self) -> Catalog:
        if self._catalog is None:
            try:
                async with asyncio.timeout(CATALOG_WAIT):
                    await self._catalog_ready.wait()
            except TimeoutError:
                raise StompboxTimeoutError("the LV2 catalog is still loading") from None
        assert self._catalog is not None
        return self._catalog

    async def _load_catalog(self) -> None:
        try:
            async with asyncio.timeout(RATE_WAIT):
                await self.audio.wait_open()
        except TimeoutError:
            pass
        rate = self.audio.sample_rate or self.settings.jack_rate
        self._catalog = await asyncio.to_thread(Catalog.load, self.settings.cache_dir, rate)
        self._catalog_ready.set()

    # -- engine events --------------------------------------------------------------------

    async def _on_engine_connected(self) -> None:
        """Start from a clean engine: the session replays its pedalboard on engine_connected."""
        self.transactions.reset()
        await self.engine.request(mh.Remove(-1))
        self.instances.clear()
        self._died_early.clear()
        self.connections.clear()
        self.levels.engine_reset()
        await self.transactions.probe()
        await self.engine.request(mh.FeatureEnable("cpu-load", 1))
        await self.engine.request(mh.FeatureEnable("processing", 1))
        self._processing = True
        self.service.publish_event(EngineConnected())

    def _on_engine_disconnected(self, reason: str) -> None:
        self.transactions.reset()
        self.levels.engine_reset()
        self.instances.clear()
        self._died_early.clear()
        self.connections.clear()
        self.service.publish_event(EngineDisconnected(reason))

    def _on_feedback(self, fb: Feedback) -> None:
        if isinstance(fb, AudioMonitorFb):
            self.levels.on_feedback(fb)
            return
        if isinstance(fb, PluginDiedFb):
            instance_id = self.instances.id_of(fb.instance)
            log.warning(
                "the engine lost effect_%d (%s, exit code %d)",
                fb.instance,
                instance_id or "an add in flight",
                fb.code,
            )
            if instance_id is None and self.instances.is_reserved(fb.instance):
                # it died while its add was still being answered (feedback has its own
                # connection and may overtake the reply): told once the add commits it (load)
                if len(self._died_early) < MAX_EARLY_DEATHS:
                    self._died_early[fb.instance] = fb.code
                return
        for event in feedback_events(fb, self.instances.ids().get):
            self.service.publish_event(event)
        if isinstance(fb, OutputSetFb):
            frames = self.instances.latencies.observe(fb)
            instance_id = None if frames is None else self.instances.id_of(fb.instance)
            if frames is not None and instance_id is not None:
                self.service.publish_event(PluginLatency(instance_id, frames))

    # -- top-level methods ----------------------------------------------------------------

    async def ping(self, _: Empty) -> Pong:
        return Pong()

    async def state(self, _: Empty) -> BridgeState:
        return BridgeState(
            {
                i.instance_id: InstanceEntry(
                    i.number, i.plugin.uri, self.instances.latencies.get(i.number)
                )
                for i in self.instances.all()
            },
            self.engine.connected,
        )

    def _jack_name(self, address: str) -> str:
        name, number, symbol = to_jack(address, self.instances.numbers())
        if number is not None:
            instance_id = self.instances.ids()[number]
            audio_port(self.instances.get(instance_id).plugin, symbol)
        return name

    async def connect(self, p: Ports) -> Done:
        a, b = self._jack_name(p.source), self._jack_name(p.target)
        await self.engine.request(mh.Connect(a, b))
        self.connections.add(self._address(a), self._address(b))
        return Done()

    async def disconnect(self, p: Ports) -> Done:
        a, b = self._jack_name(p.source), self._jack_name(p.target)
        await self.engine.request(mh.Disconnect(a, b))
        self.connections.remove(self._address(a), self._address(b))
        return Done()

    def _address(self, jack_name: str) -> str:
        """`effect_3:input` → `amp_1:input`; another application's port keeps its JACK name."""
        return from_jack(jack_name, self.instances.ids()) or jack_name

    async def list_connections(self, _: Empty) -> list[ConnectionEntry]:
        """What the engine acknowledged (see connections.py), not a JACK listing."""
        if not self.engine.connected:
            raise StompboxConnectionError("the engine is not connected")
        return self.connections.entries()

    # -- audio ----------------------------------------------------------------------------

    async def audio_status(self, _: Empty) -> AudioStatus:
        return msgspec.structs.replace(self.audio.status(), processing=self._processing)

    async def set_buffer_size(self, p: BufferSize) -> AudioStatus:
        await self.audio.set_buffer_size(p.size)
        return msgspec.structs.replace(self.audio.status(), processing=self._processing)

    async def set_processing(self, p: Processing) -> ProcessingState:
        """`feature_enable processing 1|0`: off makes every plugin output silence."""
        await self.engine.request(mh.FeatureEnable("processing", 1 if p.enabled else 0))
        self._processing = p.enabled
        return ProcessingState(self._processing)

    async def list_ports(self, p: ListPorts) -> list[PortEntry]:
        return self.audio.list_ports(self.instances.all(), p.type, p.direction)

    async def cpu_load(self, _: Empty) -> CpuLoad:
        return CpuLoad(self.audio.cpu_load())

    # -- life cycle -----------------------------------------------------------------------

    async def __aenter__(self) -> Bridge:
        await self.service.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.service.__aexit__(None, None, None)

    async def run(self, on_ready: Callable[[], None] | None = None) -> None:
        """Serve until cancelled; `on_ready` is called once RPC is up and the catalog loaded."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.service.run(), name="bridge rpc")
            tg.create_task(self.audio.run(), name="bridge jack")
            tg.create_task(self.engine.run(), name="bridge engine")
            tg.create_task(self.levels.run(), name="bridge block meters")
            await self._load_catalog()
            if on_ready is not None:
                on_ready()

    async def rpc_statistics(self, _: Empty) -> BridgeStatistics:
        return self.statistics()

    def statistics(self) -> BridgeStatistics:
        tx = self.transactions
        return BridgeStatistics(
            rpc=self.service.statistics(),
            engine=self.engine.statistics(),
            audio=self.audio.statistics(),
            instances=len(self.instances),
            connections=len(self.connections),
            transactions=TransactionStatistics(tx.supported, tx.open, tx.committed),
            catalog=len(self._catalog) if self._catalog is not None else None,
            plugins=PluginStatistics(self.plugins.stale_numbers, self.plugins.late_adds_removed),
        )
