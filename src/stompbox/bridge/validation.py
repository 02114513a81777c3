"""Check parameter values against a plugin's port metadata and shape them as the engine will."""

from __future__ import annotations

import math

from stompbox.contract.errors import ValidationError
from stompbox.contract.plugin import Direction, PluginInfo, PortInfo, PortType


def control_port(plugin: PluginInfo, symbol: str, direction: Direction) -> PortInfo:
    """The control port `symbol` of `plugin` in `direction`, or ValidationError."""
    port = plugin.port(symbol)
    if port is None or port.type is not PortType.CONTROL or port.direction is not direction:
        kind = "control input" if direction is Direction.INPUT else "control output"
        raise ValidationError(
            f"{plugin.name} has no {kind} port {symbol!r}",
            {"symbol": symbol, "uri": plugin.uri},
        )
    return port


def audio_port(plugin: PluginInfo, symbol: str) -> PortInfo:
    """The audio/CV/MIDI port `symbol` of `plugin` (the ones JACK shows), or ValidationError."""
    port = plugin.port(symbol)
    if port is None or port.type is PortType.CONTROL:
        raise ValidationError(
            f"{plugin.name} has no audio, CV or MIDI port {symbol!r}",
            {"symbol": symbol, "uri": plugin.uri},
        )
    return port


def shape_value(port: PortInfo, value: float) -> float:
    """The value the engine will hold for `value`: finite, clamped to [min, max] (as mod-host
    clamps), toggles as 0/1, integer ports rounded, enumerations snapped to a scale point."""
    if not math.isfinite(value):
        raise ValidationError(
            f"value for {port.symbol!r} must be a finite number, got {value!r}",
            {"symbol": port.symbol},
        )
    v = float(value)
    lo, hi = port.minimum, port.maximum
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    if port.toggled:
        mid = 0.5 if lo is None or hi is None else (lo + hi) / 2
        v = (hi if hi is not None else 1.0) if v >= mid else (lo if lo is not None else 0.0)
    elif port.enumeration and port.scale_points:
        v = min(port.scale_points, key=lambda sp: abs(sp.value - v)).value
    elif port.integer:
        v = float(math.floor(v + 0.5))
    if lo is not None and v < lo:
        v = lo
    if hi is not None and v > hi:
        v = hi
    return v
