"""An in-memory `Bridge`: the Bridge RPC API over a small plugin catalog, for tests and demos.

It answers like the real bridge (same methods, results and error types) so the session's logic
can be tested without processes; tests/integration/test_bridge_conformance.py holds it to that
by running the same calls against both.
"""

from __future__ import annotations

from typing import Any

import msgspec

from stompbox.contract.errors import (
    ConflictError,
    NotFoundError,
    StompboxConnectionError,
    ValidationError,
)
from stompbox.contract.ids import check_instance_id
from stompbox.contract.plugin import (
    Direction,
    PluginInfo,
    PortInfo,
    PortType,
    PresetInfo,
    summarize,
)
from stompbox.contract.values import check_value

AMP = "urn:stompbox:test:amp"
SYNTH = "urn:stompbox:test:synth"
STEREO = "urn:stompbox:test:stereo-delay"


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
    {"name": "system:capture_1", "type": "audio", "direction": "output", "system": True},
    {"name": "system:capture_2", "type": "audio", "direction": "output", "system": True},
    {"name": "system:playback_1", "type": "audio", "direction": "input", "system": True},
    {"name": "system:playback_2", "type": "audio", "direction": "input", "system": True},
    {"name": "system:midi_capture_1", "type": "midi", "direction": "output", "system": True},
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
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.user_presets: dict[str, str] = {}  # preset uri → plugin uri
        self._numbers = 0

    async def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        params = dict(params or {})
        self.calls.append((method, params))
        if method in ("plugin", "audio"):
            inner = params.get("method")
            handler = getattr(self, f"_{method}_{inner}", None)
            if not isinstance(inner, str) or handler is None:
                raise NotFoundError(f"bridge has no method {method}.{inner}")
            return handler(dict(params.get("params") or {}))
        if method == "ping":
            return {"ok": True}
        if method == "state":
            return {
                "instances": {
                    i: {"number": x.number, "uri": x.info.uri} for i, x in self.instances.items()
                },
                "engine_connected": self.engine_connected,
            }
        if method == "list_connections":
            return [{"source": s, "target": t} for s, t in sorted(self.connections)]
        if method in ("connect", "disconnect"):
            self._engine()
            pair = (self._port(params.get("source")), self._port(params.get("target")))
            if method == "connect":
                self.connections.add(pair)
            elif pair in self.connections:
                self.connections.discard(pair)
            else:
                raise NotFoundError(f"no connection {pair[0]} → {pair[1]}")
            return {}
        raise NotFoundError(f"bridge has no method {method!r}")

    # -- helpers --------------------------------------------------------------------------

    def _engine(self) -> None:
        if not self.engine_connected:
            raise StompboxConnectionError("engine not connected")

    def _get(self, params: dict[str, Any]) -> _Instance:
        iid = params.get("instance_id")
        if not isinstance(iid, str) or iid not in self.instances:
            raise NotFoundError(f"no instance {iid!r}")
        return self.instances[iid]

    def _info(self, uri: Any) -> PluginInfo:
        if not isinstance(uri, str) or uri not in self.catalog:
            raise NotFoundError(f"plugin {uri!r} is not installed")
        return self.catalog[uri]

    def _port(self, address: Any) -> str:
        if not isinstance(address, str) or ":" not in address:
            raise ValidationError(f"invalid port address {address!r}")
        owner, symbol = address.split(":", 1)
        if owner == "system":
            if any(p["name"] == address for p in SYSTEM_PORTS):
                return address
            raise NotFoundError(f"no port {address!r}")
        if owner not in self.instances:
            raise NotFoundError(f"no instance {owner!r}")
        port = self.instances[owner].info.port(symbol)
        if port is None or port.type is PortType.CONTROL:
            raise ValidationError(f"{owner} has no audio, CV or MIDI port {symbol!r}")
        return address

    # -- plugin.* -------------------------------------------------------------------------

    def _plugin_list(self, params: dict[str, Any]) -> list[Any]:
        query = str(params.get("query") or "").lower()
        return [
            msgspec.to_builtins(summarize(p))
            for p in self.catalog.values()
            if query in p.name.lower() or query in p.uri.lower()
        ]

    def _plugin_transaction(self, params: dict[str, Any]) -> dict[str, Any]:
        """Like a bridge on a real mod-host: the switch runs as plain commands."""
        if params.get("phase") not in ("begin", "commit"):
            raise ValidationError(f"invalid transaction phase {params.get('phase')!r}")
        return {"engine": False, "open": 0}

    def _plugin_categories(self, params: dict[str, Any]) -> list[str]:
        return sorted({c for p in self.catalog.values() for c in p.category})

    def _plugin_info(self, params: dict[str, Any]) -> Any:
        return msgspec.to_builtins(self._info(params.get("uri")))

    def _plugin_presets(self, params: dict[str, Any]) -> Any:
        info = self._info(params.get("uri"))
        mine = [
            PresetInfo(u, u.rsplit("#user-", 1)[-1], user=True)
            for u, plugin in self.user_presets.items()
            if plugin == info.uri
        ]
        return msgspec.to_builtins([*info.presets, *mine])

    def _plugin_load(self, params: dict[str, Any]) -> Any:
        self._engine()
        info = self._info(params.get("uri"))
        iid = check_instance_id(str(params.get("instance_id") or f"effect_{self._numbers}"))
        if iid in self.instances:
            raise ConflictError(f"instance {iid!r} exists already")
        values = {
            p.symbol: p.default or 0.0
            for p in info.ports
            if p.type is PortType.CONTROL and p.direction is Direction.INPUT
        }
        self.instances[iid] = _Instance(self._numbers, info, values)
        self._numbers += 1
        number = self.instances[iid].number
        return {"instance_id": iid, "number": number, "plugin": msgspec.to_builtins(info)}

    def _plugin_unload(self, params: dict[str, Any]) -> Any:
        self._engine()
        self._get(params)
        iid = params["instance_id"]
        del self.instances[iid]
        self.connections = {
            c for c in self.connections if not any(x.split(":")[0] == iid for x in c)
        }
        return {}

    def _plugin_set_parameter(self, params: dict[str, Any]) -> Any:
        self._engine()
        inst = self._get(params)
        symbol, value = str(params.get("symbol")), params.get("value")
        port = inst.info.port(symbol)
        if symbol not in inst.values or port is None:
            raise ValidationError(f"{inst.info.name} has no control input port {symbol!r}")
        inst.values[symbol] = check_value(port, value, f"{params['instance_id']}:{symbol}")
        return {"value": inst.values[symbol]}

    def _plugin_get_parameter(self, params: dict[str, Any]) -> Any:
        inst = self._get(params)
        if params.get("symbol") not in inst.values:
            raise ValidationError(f"unknown symbol {params.get('symbol')!r}")
        return {"value": inst.values[params["symbol"]]}

    def _plugin_bypass(self, params: dict[str, Any]) -> Any:
        self._engine()
        self._get(params).bypassed = bool(params.get("bypassed"))
        return {}

    def _plugin_load_preset(self, params: dict[str, Any]) -> Any:
        self._engine()
        inst = self._get(params)
        if params.get("uri") not in {p.uri for p in inst.info.presets}:
            raise NotFoundError(f"no preset {params.get('uri')!r}")
        first = next(iter(inst.values))
        port = inst.info.port(first)
        assert port is not None
        inst.values[first] = port.maximum if port.maximum is not None else 1.0
        return {"parameters": dict(inst.values)}

    def _plugin_save_preset(self, params: dict[str, Any]) -> Any:
        inst = self._get(params)
        uri = f"{inst.info.uri}#user-{params.get('label')}"
        self.user_presets[uri] = inst.info.uri
        return {"uri": uri}

    def _plugin_delete_preset(self, params: dict[str, Any]) -> Any:
        if self.user_presets.pop(str(params.get("uri")), None) is None:
            raise NotFoundError(f"no user preset {params.get('uri')!r}")
        return {}

    def _plugin_monitor_output(self, params: dict[str, Any]) -> Any:
        self._get(params)
        return {}

    def _plugin_reset(self, params: dict[str, Any]) -> Any:
        self._engine()
        self.instances.clear()
        self.connections.clear()
        return {}

    # -- audio.* --------------------------------------------------------------------------

    def _audio_status(self, params: dict[str, Any]) -> Any:
        return {"sample_rate": 48000, "buffer_size": 128, "dsp_load": 1.0, "xruns": 0,
                "running": self.engine_connected}  # fmt: skip

    def _audio_set_buffer_size(self, params: dict[str, Any]) -> Any:
        return {}

    def _audio_processing(self, params: dict[str, Any]) -> Any:
        self._engine()
        return {"processing": bool(params.get("enabled"))}

    def _audio_list_ports(self, params: dict[str, Any]) -> Any:
        return [
            p
            for p in SYSTEM_PORTS
            if params.get("type") in (None, p["type"])
            and params.get("direction") in (None, p["direction"])
        ]

    def _audio_cpu_load(self, params: dict[str, Any]) -> Any:
        return {"load": 1.0}
