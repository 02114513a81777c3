"""Request shapes that the bridge's and the session's RPC APIs share (one definition each)."""

from __future__ import annotations

import msgspec


class Empty(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Params of a method that takes none."""


class InstanceRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    instance_id: str


class PluginUri(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    uri: str


class SetParameter(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    instance_id: str
    symbol: str
    value: float


class Bypass(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    instance_id: str
    bypassed: bool


class LoadPreset(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    instance_id: str
    uri: str


class SavePreset(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    instance_id: str
    label: str


class Ports(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Params of `connect` / `disconnect`: an output and an input port address."""

    source: str
    target: str


class BufferSize(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    size: int


class Processing(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Params of processing on/off: plugins process (true) or output silence (false)."""

    enabled: bool


class Done(msgspec.Struct, frozen=True):
    """The `{}` result of a method that answers nothing but success."""
