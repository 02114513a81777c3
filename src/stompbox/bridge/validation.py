"""Look up a plugin's control and audio ports by symbol, refusing the wrong kind of port."""

from __future__ import annotations

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
