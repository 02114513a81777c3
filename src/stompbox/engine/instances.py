"""One plugin instance: its LV2 port layout, control ranges, bypass state and who hosts it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from stompbox.contract.plugin import Direction, PluginInfo, PortType

from .graph import Edge, bypass_pairs

MAX_INSTANCE = 9999
RESERVED = frozenset({9995})  # mod-host's global "instance" for :bpm/:bpb/:rolling
REMOVE_ALL_LIMIT = 9989  # `remove -1` removes 0..9989 only


def client_name(number: int) -> str:
    return f"effect_{number}"


@dataclass(frozen=True, slots=True)
class Layout:
    """What the engine needs from a plugin's metadata."""

    ranges: dict[str, tuple[float, float]]  # input control symbol -> (min, max)
    defaults: dict[str, float]
    outputs: frozenset[str]  # output control symbols
    audio_in: tuple[str, ...]  # port symbols, by index
    audio_out: tuple[str, ...]
    enabled: str | None  # lv2:enabled designated input control, if any

    @classmethod
    def of(cls, info: PluginInfo) -> Layout:
        ranges: dict[str, tuple[float, float]] = {}
        defaults: dict[str, float] = {}
        outputs: set[str] = set()
        audio_in: list[tuple[int, str]] = []
        audio_out: list[tuple[int, str]] = []
        enabled = None
        for p in info.ports:
            if p.type is PortType.CONTROL:
                if p.direction is Direction.INPUT:
                    lo = p.minimum if p.minimum is not None else float("-inf")
                    hi = p.maximum if p.maximum is not None else float("inf")
                    ranges[p.symbol] = (min(lo, hi), max(lo, hi))
                    defaults[p.symbol] = p.default if p.default is not None else max(lo, 0.0)
                    if p.designation == "enabled" and enabled is None:
                        enabled = p.symbol
                else:
                    outputs.add(p.symbol)
            elif p.type is PortType.AUDIO:
                (audio_in if p.direction is Direction.INPUT else audio_out).append(
                    (p.index, p.symbol)
                )
        return cls(
            ranges=ranges,
            defaults=defaults,
            outputs=frozenset(outputs),
            audio_in=tuple(s for _, s in sorted(audio_in)),
            audio_out=tuple(s for _, s in sorted(audio_out)),
            enabled=enabled,
        )

    def clamp(self, symbol: str, value: float) -> float:
        lo, hi = self.ranges[symbol]
        return min(max(value, lo), hi)


class PluginHost(Protocol):
    """What hosts one instance: the C core (native.py) or, in isolation mode, a jalv process."""

    values: dict[str, float]  # input control values the engine holds
    closing: bool

    @property
    def alive(self) -> bool: ...

    def set(self, symbol: str, value: float) -> None: ...

    async def refresh_outputs(self, within: float) -> dict[str, float]: ...

    async def close(self, within: float) -> int: ...


@dataclass(slots=True)
class Instance:
    number: int
    uri: str
    info: PluginInfo
    layout: Layout
    proc: PluginHost
    bypassed: bool = False
    monitored: set[str] = field(default_factory=set)

    @property
    def client(self) -> str:
        return client_name(self.number)

    def value(self, symbol: str) -> float:
        found = self.proc.values.get(symbol)
        return found if found is not None else self.layout.defaults.get(symbol, 0.0)

    def values(self) -> dict[str, float]:
        return {sym: self.value(sym) for sym in self.layout.ranges}

    def bypass_pairs(self) -> list[Edge]:
        c = self.client
        return bypass_pairs(
            [f"{c}:{s}" for s in self.layout.audio_in], [f"{c}:{s}" for s in self.layout.audio_out]
        )
