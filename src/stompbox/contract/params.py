"""Request shapes that the bridge's and the session's RPC APIs share (one definition each)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from .ids import MAX_BUFFER, MIN_BUFFER

PortAddress = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
"""`<instance_id>:<symbol>` or `system:<port>` (bounded on the wire; checked by the session)."""
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
"""A user-given name on the wire (contract/names.py check_name is the rule)."""


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


class PresetUri(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Params of `delete_preset`: the URI of a user preset (as `plugin_presets` lists it)."""

    uri: str


class Ports(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Params of `connect` / `disconnect`: an output and an input port address."""

    source: PortAddress
    target: PortAddress


class BufferSize(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    size: Annotated[int, msgspec.Meta(ge=MIN_BUFFER, le=MAX_BUFFER)]  # a power of two (ids.py)


class Processing(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Params of processing on/off: plugins process (true) or output silence (false)."""

    enabled: bool


class Done(msgspec.Struct, frozen=True):
    """The `{}` result of a method that answers nothing but success."""
