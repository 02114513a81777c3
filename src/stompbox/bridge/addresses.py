"""Translate port addresses (`<instance_id>:<symbol>`, `system:<port>`) to JACK names and back."""

from __future__ import annotations

import re
from collections.abc import Mapping

from stompbox.contract.errors import NotFoundError, ValidationError

SYSTEM = "system"
_EFFECT = re.compile(r"effect_([0-9]+)")


def split_address(address: str) -> tuple[str, str]:
    """`"amp_1:input"` → `("amp_1", "input")`; ValidationError when there is no `client:port`."""
    client, sep, port = address.partition(":")
    if not sep or not client or not port:
        raise ValidationError(f"not a port address: {address!r}", {"address": address})
    return client, port


def effect_client(number: int) -> str:
    """The JACK client name of engine instance `number` (mod-host's naming)."""
    return f"effect_{number}"


def effect_number(client: str) -> int | None:
    """`"effect_3"` → 3; None for any other client name."""
    match = _EFFECT.fullmatch(client)
    return int(match.group(1)) if match else None


def to_jack(address: str, numbers: Mapping[str, int]) -> tuple[str, int | None, str]:
    """Resolve an address to `(jack_name, engine_number | None, symbol)`.

    `numbers` maps instance_id → engine number. `system:*` and other JACK clients' ports pass
    through (number None; the engine refuses a port that does not exist); a full JACK name
    `effect_<N>:<symbol>` is accepted when N is one of ours, NotFoundError when it is not.
    ValidationError for a malformed address.
    """
    client, port = split_address(address)
    if client == SYSTEM:
        return address, None, port
    number = numbers.get(client)
    if number is None:
        number = effect_number(client)
        if number is None:
            # another JACK client's port (a test probe, a DAW): the engine checks it exists
            return address, None, port
        if number not in numbers.values():
            raise NotFoundError(f"no plugin instance {client!r}", {"instance_id": client})
    return f"{effect_client(number)}:{port}", number, port


def from_jack(name: str, ids: Mapping[int, str]) -> str | None:
    """A JACK port name as an address: `effect_<N>:<sym>` → `<instance_id>:<sym>` for our
    instances (`ids` maps number → instance_id), `system:*` unchanged, None for anything else."""
    client, sep, port = name.partition(":")
    if not sep:
        return None
    if client == SYSTEM:
        return name
    number = effect_number(client)
    if number is None:
        return None
    instance_id = ids.get(number)
    return None if instance_id is None else f"{instance_id}:{port}"
