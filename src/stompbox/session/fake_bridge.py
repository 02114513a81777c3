"""An in-memory `Bridge`: the Bridge RPC API over a small plugin catalog, for tests and demos.

It implements the same typed `Bridge` seam as ZmqBridge (`call(METHOD, params) -> result`, one
handler per contract/bridge_api.py method) and answers like the real bridge (same results and
error types), so the session's logic can be tested without processes;
tests/integration/test_bridge_conformance.py holds it to that by running the same calls against
both. Params and results go through JSON on the way, as on the wire.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from stompbox.contract import bridge as b, bridge_api as B
from stompbox.contract.errors import (
    ConflictError,
    NotFoundError,
    StompboxConnectionError,
    ValidationError,
)
from stompbox.contract.ids import check_instance_id
from stompbox.contract.method import Method, Route
from stompbox.contract.plugin import (
    Direction,
    PluginInfo,
    PluginSummary,
    PortInfo,
    PortType,
    PresetInfo,
    summarize,
)
from stompbox.contract.values import check_value

AMP = "urn:stompbox:test:amp"
SYNTH = "urn:stompbox:test:synth"
STEREO = "urn:stompbox:test:stereo-delay"

P = TypeVar("P")
R = TypeVar("R")


def _audio(index: int, symbol: str, direction: Direction) -> PortInfo:
    return PortInfo(
        index=index, symbol=symbol, name=symbol, type=PortType.AUDIO, direction=direction
    )


def demo_catalog() -> dict[str, PluginInfo]:
    """Three small plugins: a mono amp, a MIDI synth, a stereo delay."""
    inp, out = Direction.INPUT, Direction.OUTPUT
    ctl = PortType.CONTROL
    amp = PluginInfo(
        uri=AMP,
        name="Test Amp",
        brand="stompbox",
        version="1.0",
        category=["Amplifier"],
        ports=[
            PortInfo(index=0, symbol="gain", name="Gain", type=ctl, direction=inp,
                     minimum=-70.0, maximum=24.0, default=0.0, units="dB"),
            PortInfo(index=1, symbol="mode", name="Mode", type=ctl, direction=inp, minimum=0,
                     maximum=2, default=0, integer=True),
            PortInfo(index=2, symbol="on", name="On", type=ctl, direction=inp, minimum=0,
                     maximum=1, default=1, toggled=True),
            _audio(3, "in", inp),
            _audio(4, "out", out),
            PortInfo(index=5, symbol="level", name="Level", type=ctl, direction=out,
                     minimum=0, maximum=1, default=0),
        ],
        presets=[PresetInfo(f"{AMP}#loud", "Loud")],
    )  # fmt: skip
    synth = PluginInfo(
        uri=SYNTH,
        name="Test Synth",
        category=["Instrument"],
        ports=[
            PortInfo(index=0, symbol="midi_in", name="MIDI", type=PortType.MIDI, direction=inp),
            _audio(1, "out", out),
            PortInfo(index=2, symbol="volume", name="Volume", type=ctl, direction=inp,
                     minimum=0.0, maximum=1.0, default=0.5),
        ],
    )  # fmt: skip
    delay = PluginInfo(
        uri=STEREO,
        name="Test Stereo Delay",
        category=["Delay"],
        ports=[
            _audio(0, "in_l", inp),
            _audio(1, "in_r", inp),
            _audio(2, "out_l", out),
            _audio(3, "out_r", out),
            PortInfo(index=4, symbol="time", name="Time", type=ctl, direction=inp,
                     minimum=1.0, maximum=2000.0, default=250.0, units="ms"),
        ],
    )  # fmt: skip
    return {p.uri: p for p in (amp, synth, delay)}


SYSTEM_PORTS = [
    b.PortEntry(f"system:{name}", b.JackPortType(kind), b.PortDirection(direction), True)
    for name, kind, direction in (
        ("capture_1", "audio", "output"),
        ("capture_2", "audio", "output"),
        ("playback_1", "audio", "input"),
        ("playback_2", "audio", "input"),
        ("midi_capture_1", "midi", "output"),
    )
]


class _Instance(msgspec.Struct):
    number: int
    info: PluginInfo
    values: dict[str, float]
    bypassed: bool = False


class FakeBridge:
    """The bridge's RPC surface in memory. `calls` logs every (method, params) it answered;
    `engine_connected = False` makes engine commands fail like a bridge without its engine."""

    def __init__(self, catalog: dict[str, PluginInfo] | None = None) -> None:
        self.catalog = demo_catalog() if catalog is None else catalog
        self.instances: dict[str, _Instance] = {}
        self.connections: set[tuple[str, str]] = set()
        self.engine_connected = True
        self.calls: list[tuple[Method[Any, Any], Any]] = []
        self.user_presets: dict[str, str] = {}  # preset uri → plugin uri
        self._numbers = 0
        self._routes = {r.method.name: r for r in self.routes()}

    async def call(self, method: Method[P, R], params: P) -> R:
        """Answer `method` as the bridge would, params and result through JSON as on the wire."""
        params = method.decode_params(msgspec.json.encode(params))
        self.calls.append((method, params))
        route = self._routes.get(method.name)
        if route is None:
            raise NotFoundError(f"bridge has no method {method.name}", {"method": method.name})
        result = await route.handler(params)
        return method.decode_result(msgspec.json.encode(result))

    def routes(self) -> list[Route]:
        """One handler per bridge method (the bridge's own table is bridge/service.py)."""
        return [
            B.PING.route(self.ping),
            B.STATE.route(self.state),
            B.CONNECT.route(self.connect),
            B.DISCONNECT.route(self.disconnect),
            B.LIST_CONNECTIONS.route(self.list_connections),
            B.PLUGIN_LIST.route(self.plugin_list),
            B.PLUGIN_CATEGORIES.route(self.plugin_categories),
            B.PLUGIN_INFO.route(self.plugin_info),
            B.PLUGIN_PRESETS.route(self.plugin_presets),
            B.PLUGIN_LOAD.route(self.plugin_load),
            B.PLUGIN_UNLOAD.route(self.plugin_unload),
            B.PLUGIN_SET_PARAMETER.route(self.plugin_set_parameter),
            B.PLUGIN_GET_PARAMETER.route(self.plugin_get_parameter),
            B.PLUGIN_BYPASS.route(self.plugin_bypass),
            B.PLUGIN_LOAD_PRESET.route(self.plugin_load_preset),
            B.PLUGIN_SAVE_PRESET.route(self.plugin_save_preset),
            B.PLUGIN_DELETE_PRESET.route(self.plugin_delete_preset),
            B.PLUGIN_MONITOR_OUTPUT.route(self.plugin_monitor_output),
            B.PLUGIN_RESET.route(self.plugin_reset),
            B.PLUGIN_TRANSACTION.route(self.plugin_transaction),
            B.AUDIO_STATUS.route(self.audio_status),
            B.AUDIO_SET_BUFFER_SIZE.route(self.audio_set_buffer_size),
            B.AUDIO_PROCESSING.route(self.audio_processing),
            B.AUDIO_LIST_PORTS.route(self.audio_list_ports),
            B.AUDIO_CPU_LOAD.route(self.audio_cpu_load),
        ]

    # -- helpers --------------------------------------------------------------------------

    def _engine(self) -> None:
        if not self.engine_connected:
            raise StompboxConnectionError("engine not connected")

    def _get(self, iid: str) -> _Instance:
        if iid not in self.instances:
            raise NotFoundError(f"no instance {iid!r}")
        return self.instances[iid]

    def _info(self, uri: str) -> PluginInfo:
        if uri not in self.catalog:
            raise NotFoundError(f"plugin {uri!r} is not installed")
        return self.catalog[uri]

    def _port(self, address: str) -> str:
        if ":" not in address:
            raise ValidationError(f"invalid port address {address!r}")
        owner, symbol = address.split(":", 1)
        if owner == "system":
            if any(p.name == address for p in SYSTEM_PORTS):
                return address
            raise NotFoundError(f"no port {address!r}")
        if owner not in self.instances:
            raise NotFoundError(f"no instance {owner!r}")
        port = self.instances[owner].info.port(symbol)
        if port is None or port.type is PortType.CONTROL:
            raise ValidationError(f"{owner} has no audio, CV or MIDI port {symbol!r}")
        return address

    # -- top level ------------------------------------------------------------------------

    async def ping(self, _: b.Empty) -> b.Pong:
        return b.Pong()

    async def state(self, _: b.Empty) -> b.BridgeState:
        entries = {i: b.InstanceEntry(x.number, x.info.uri) for i, x in self.instances.items()}
        return b.BridgeState(entries, self.engine_connected)

    async def list_connections(self, _: b.Empty) -> list[b.ConnectionEntry]:
        return [b.ConnectionEntry(s, t) for s, t in sorted(self.connections)]

    async def connect(self, p: b.Ports) -> b.Done:
        self._engine()
        self.connections.add((self._port(p.source), self._port(p.target)))
        return b.Done()

    async def disconnect(self, p: b.Ports) -> b.Done:
        self._engine()
        pair = (self._port(p.source), self._port(p.target))
        if pair not in self.connections:
            raise NotFoundError(f"no connection {pair[0]} → {pair[1]}")
        self.connections.discard(pair)
        return b.Done()

    # -- plugin.* -------------------------------------------------------------------------

    async def plugin_list(self, p: b.PluginList) -> list[PluginSummary]:
        query = (p.query or "").lower()
        return [
            summarize(info)
            for info in self.catalog.values()
            if query in info.name.lower() or query in info.uri.lower()
        ]

    async def plugin_transaction(self, p: b.Transaction) -> b.TransactionState:
        """Like a bridge on a real mod-host: the switch runs as plain commands."""
        return b.TransactionState(engine=False, open=0)

    async def plugin_categories(self, _: b.Empty) -> list[str]:
        return sorted({c for p in self.catalog.values() for c in p.category})

    async def plugin_info(self, p: b.PluginUri) -> PluginInfo:
        return self._info(p.uri)

    async def plugin_presets(self, p: b.PluginUri) -> list[PresetInfo]:
        info = self._info(p.uri)
        mine = [
            PresetInfo(u, u.rsplit("#user-", 1)[-1], user=True)
            for u, plugin in self.user_presets.items()
            if plugin == info.uri
        ]
        return [*info.presets, *mine]

    async def plugin_load(self, p: b.PluginLoad) -> b.Loaded:
        self._engine()
        info = self._info(p.uri)
        iid = check_instance_id(p.instance_id or f"effect_{self._numbers}")
        if iid in self.instances:
            raise ConflictError(f"instance {iid!r} exists already")
        values = {
            port.symbol: port.default or 0.0
            for port in info.ports
            if port.type is PortType.CONTROL and port.direction is Direction.INPUT
        }
        self.instances[iid] = _Instance(self._numbers, info, values)
        self._numbers += 1
        return b.Loaded(iid, self.instances[iid].number, info)

    async def plugin_unload(self, p: b.InstanceRef) -> b.Done:
        self._engine()
        self._get(p.instance_id)
        iid = p.instance_id
        del self.instances[iid]
        self.connections = {
            c for c in self.connections if not any(x.split(":")[0] == iid for x in c)
        }
        return b.Done()

    async def plugin_set_parameter(self, p: b.SetParameter) -> b.Value:
        self._engine()
        inst = self._get(p.instance_id)
        port = inst.info.port(p.symbol)
        if p.symbol not in inst.values or port is None:
            raise ValidationError(f"{inst.info.name} has no control input port {p.symbol!r}")
        inst.values[p.symbol] = check_value(port, p.value, f"{p.instance_id}:{p.symbol}")
        return b.Value(inst.values[p.symbol])

    async def plugin_get_parameter(self, p: b.GetParameter) -> b.Value:
        inst = self._get(p.instance_id)
        if p.symbol not in inst.values:
            raise ValidationError(f"unknown symbol {p.symbol!r}")
        return b.Value(inst.values[p.symbol])

    async def plugin_bypass(self, p: b.Bypass) -> b.Done:
        self._engine()
        self._get(p.instance_id).bypassed = p.bypassed
        return b.Done()

    async def plugin_load_preset(self, p: b.LoadPreset) -> b.PresetParameters:
        self._engine()
        inst = self._get(p.instance_id)
        if p.uri not in {pr.uri for pr in inst.info.presets}:
            raise NotFoundError(f"no preset {p.uri!r}")
        first = next(iter(inst.values))
        port = inst.info.port(first)
        assert port is not None
        inst.values[first] = port.maximum if port.maximum is not None else 1.0
        return b.PresetParameters(dict(inst.values))

    async def plugin_save_preset(self, p: b.SavePreset) -> b.PresetSaved:
        inst = self._get(p.instance_id)
        uri = f"{inst.info.uri}#user-{p.label}"
        self.user_presets[uri] = inst.info.uri
        return b.PresetSaved(uri)

    async def plugin_delete_preset(self, p: b.PresetUri) -> b.Done:
        if self.user_presets.pop(p.uri, None) is None:
            raise NotFoundError(f"no user preset {p.uri!r}")
        return b.Done()

    async def plugin_monitor_output(self, p: b.MonitorOutput) -> b.Done:
        self._get(p.instance_id)
        return b.Done()

    async def plugin_reset(self, _: b.Empty) -> b.Done:
        self._engine()
        self.instances.clear()
        self.connections.clear()
        return b.Done()

    # -- audio.* --------------------------------------------------------------------------

    async def audio_status(self, _: b.Empty) -> b.AudioStatus:
        return b.AudioStatus(48000, 128, 1.0, 0, self.engine_connected)

    async def audio_set_buffer_size(self, p: b.BufferSize) -> b.AudioStatus:
        return b.AudioStatus(48000, p.size, 1.0, 0, self.engine_connected)

    async def audio_processing(self, p: b.Processing) -> b.ProcessingState:
        self._engine()
        return b.ProcessingState(p.enabled)

    async def audio_list_ports(self, p: b.ListPorts) -> list[b.PortEntry]:
        return [
            port
            for port in SYSTEM_PORTS
            if p.type in (None, port.type) and p.direction in (None, port.direction)
        ]

    async def audio_cpu_load(self, _: b.Empty) -> b.CpuLoad:
        return b.CpuLoad(1.0)
