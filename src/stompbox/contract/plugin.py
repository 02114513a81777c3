"""LV2 plugin metadata as it crosses process boundaries: plugins, ports, presets."""

from __future__ import annotations

import enum

import msgspec


class PortType(enum.StrEnum):
    AUDIO = "audio"
    CV = "cv"
    MIDI = "midi"  # LV2 atom/event ports carrying MIDI; JACK MIDI ports in the graph
    CONTROL = "control"


class Direction(enum.StrEnum):
    INPUT = "input"
    OUTPUT = "output"


class ScalePoint(msgspec.Struct, frozen=True):
    label: str
    value: float


class PortInfo(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One LV2 port. For control ports minimum/maximum/default are set (already
    multiplied by the sample rate when the port says lv2:sampleRate)."""

    index: int
    symbol: str
    name: str
    type: PortType
    direction: Direction
    minimum: float | None = None
    maximum: float | None = None
    default: float | None = None
    units: str | None = None  # short unit symbol, e.g. "dB", "Hz", "ms", "%"
    scale_points: list[ScalePoint] = msgspec.field(default_factory=list)
    toggled: bool = False
    integer: bool = False
    logarithmic: bool = False
    enumeration: bool = False
    sample_rate: bool = False
    designation: str | None = None  # e.g. "enabled", "latency", "freewheeling", "bpm", "reset"
    optional: bool = False


class PresetInfo(msgspec.Struct, frozen=True):
    uri: str
    label: str
    user: bool = False  # saved by a user in the data dir (and so deletable), not a factory one


class PluginInfo(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Full metadata of one installed LV2 plugin."""

    uri: str
    name: str
    brand: str = ""
    author: str = ""
    version: str = ""
    category: list[str] = msgspec.field(default_factory=list)
    description: str = ""  # the plugin's own rdfs:comment
    bundle: str = ""
    ports: list[PortInfo] = msgspec.field(default_factory=list)
    presets: list[PresetInfo] = msgspec.field(default_factory=list)

    def port(self, symbol: str) -> PortInfo | None:
        for p in self.ports:
            if p.symbol == symbol:
                return p
        return None

    def count(self, type_: PortType, direction: Direction) -> int:
        return sum(1 for p in self.ports if p.type is type_ and p.direction is direction)


class PluginSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What the catalog listing shows for one plugin (full detail via `info`)."""

    uri: str
    name: str
    brand: str = ""
    version: str = ""
    category: list[str] = msgspec.field(default_factory=list)
    audio_inputs: int = 0
    audio_outputs: int = 0
    midi_inputs: int = 0
    midi_outputs: int = 0
    cv_inputs: int = 0
    cv_outputs: int = 0
    controls: int = 0
    family: str = ""  # a player's family (Drive, Amp & Cab, Reverb …), see lv2.taxonomy


def summarize(info: PluginInfo) -> PluginSummary:
    """Reduce full plugin metadata to a catalog line."""
    inp, out = Direction.INPUT, Direction.OUTPUT
    return PluginSummary(
        uri=info.uri,
        name=info.name,
        brand=info.brand,
        version=info.version,
        category=list(info.category),
        audio_inputs=info.count(PortType.AUDIO, inp),
        audio_outputs=info.count(PortType.AUDIO, out),
        midi_inputs=info.count(PortType.MIDI, inp),
        midi_outputs=info.count(PortType.MIDI, out),
        cv_inputs=info.count(PortType.CV, inp),
        cv_outputs=info.count(PortType.CV, out),
        controls=info.count(PortType.CONTROL, inp),
    )
