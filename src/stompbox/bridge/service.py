"""The bridge application: engine client, catalog, JACK client and instance table on ZmqService."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import msgspec

from stompbox.contract.bridge import (
    Action,
    AudioStatus,
    BridgeState,
    BufferSize,
    ConnectionEntry,
    CpuLoad,
    Done,
    Empty,
    EngineDisconnected,
    InstanceEntry,
    InstanceRef,
    ListPorts,
    PluginLatency,
    Pong,
    PortEntry,
    Ports,
    Processing,
    ProcessingState,
    Transaction,
    TransactionPhase,
    TransactionState,
)
from stompbox.contract.errors import NotFoundError, StompboxConnectionError, StompboxTimeoutError
from stompbox.contract.events import EventName
from stompbox.contract.live import LevelsEnable
from stompbox.contract.rpc import convert_params
from stompbox.lv2.catalog import Catalog
from stompbox.modhost import commands as mh
from stompbox.modhost.feedback import AudioMonitorFb, Feedback, OutputSetFb
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
from .plugins import MethodTable, PluginMethods
from .transactions import Transactions
from .validation import audio_port

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
        self.levels = BlockMeters(self.engine, self.instances, self.service.publish)
        self._register()

    # -- registration ---------------------------------------------------------------------

    def _register(self) -> None:
        s = self.service
        s.register("ping", self.ping, Empty)
        s.register("state", self.state, Empty)
        s.register("plugin", self._envelope("plugin", self._plugin_table()), Action)
        s.register("audio", self._envelope("audio", self._audio_table()), Action)
        live = LiveMethods(self.engine, self.instances, self.catalog, self.transactions).table()
        live["levels"] = (self.levels.enable, LevelsEnable)
        s.register("live", self._envelope("live", live), Action)
        s.register("connect", self.connect, Ports)
        s.register("disconnect", self.disconnect, Ports)
        s.register("list_connections", self.list_connections, Empty)
        s.register("statistics", self.rpc_statistics, Empty)

    def _envelope(self, action: str, table: MethodTable) -> Callable[[Action], Any]:
        async def dispatch(a: Action) -> Any:
            entry = table.get(a.method)
            if entry is None:
                raise NotFoundError(
                    f"bridge has no method {action}.{a.method}", {"method": f"{action}.{a.method}"}
                )
            handler, params_type = entry
            return await handler(convert_params(a.params, params_type))

        return dispatch

    def _plugin_table(self) -> MethodTable:
        """The plugin methods; unload and reset also forget the connections the engine drops
        (and every load, unload and reset updates the block meters)."""
        table = self.plugins.table()
        load, load_params = table["load"]
        unload, unload_params = table["unload"]
        reset, reset_params = table["reset"]

        async def load_and_meter(p: Any) -> Any:
            result = await load(p)
            self.levels.changed()
            return result

        async def unload_and_forget(p: InstanceRef) -> Any:
            result = await unload(p)
            self.connections.drop_instance(p.instance_id)
            self.levels.changed()
            return result

        async def reset_and_forget(p: Empty) -> Any:
            result = await reset(p)
            self.connections.clear()
            self.levels.engine_reset()
            return result

        table["load"] = (load_and_meter, load_params)

        table["unload"] = (unload_and_forget, unload_params)
        table["reset"] = (reset_and_forget, reset_params)
        table["transaction"] = (self.transaction, Transaction)
        return table

    async def transaction(self, p: Transaction) -> TransactionState:
        """Mark where a burst of graph changes (a board switch) begins or ends."""
        if p.phase is TransactionPhase.BEGIN:
            engine = await self.transactions.begin()
        else:
            await self.transactions.commit()
            engine = bool(self.transactions.supported)
        return TransactionState(engine, self.transactions.open)

    def _audio_table(self) -> MethodTable:
        return {
            "status": (self.audio_status, Empty),
            "set_buffer_size": (self.set_buffer_size, BufferSize),
            "list_ports": (self.list_ports, ListPorts),
            "cpu_load": (self.cpu_load, Empty),
            "processing": (self.set_processing, Processing),
        }

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
        self.connections.clear()
        self.levels.engine_reset()
        await self.transactions.probe()
        await self.engine.request(mh.FeatureEnable("cpu-load", 1))
        await self.engine.request(mh.FeatureEnable("processing", 1))
        self._processing = True
        self.service.publish(EventName.ENGINE_CONNECTED.value, {})

    def _on_engine_disconnected(self, reason: str) -> None:
        self.transactions.reset()
        self.levels.engine_reset()
        self.instances.clear()
        self.connections.clear()
        self.service.publish(EventName.ENGINE_DISCONNECTED.value, EngineDisconnected(reason))

    def _on_feedback(self, fb: Feedback) -> None:
        if isinstance(fb, AudioMonitorFb):
            self.levels.on_feedback(fb)
            return
        for name, data in feedback_events(fb, self.instances.ids().get):
            self.service.publish(name, data)
        if isinstance(fb, OutputSetFb):
            frames = self.instances.latencies.observe(fb)
            instance_id = None if frames is None else self.instances.id_of(fb.instance)
            if frames is not None and instance_id is not None:
                latency = PluginLatency(instance_id, frames)
                self.service.publish(EventName.PLUGIN_LATENCY.value, latency)

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

    async def rpc_statistics(self, _: Empty) -> dict[str, Any]:
        return self.statistics()

    def statistics(self) -> dict[str, Any]:
        return {
            **self.service.statistics(),
            "engine": self.engine.statistics(),
            "audio": self.audio.statistics(),
            "instances": len(self.instances),
            "connections": len(self.connections),
            "transactions": {
                "supported": self.transactions.supported,
                "open": self.transactions.open,
                "committed": self.transactions.committed,
            },
            "catalog": len(self._catalog) if self._catalog is not None else None,
        }
