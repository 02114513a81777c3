"""The table of loaded plugin instances: stable string ids ↔ engine instance numbers."""

from __future__ import annotations

import re
import unicodedata

import msgspec

from stompbox.contract.errors import ConflictError, NotFoundError, ResourceError
from stompbox.contract.ids import check_instance_id
from stompbox.contract.plugin import PluginInfo

from .latency import Latencies, latency_symbol

MAX_NUMBER = 9989
"""Highest engine number we use: `remove -1` clears 0..9989 only, 9995 is reserved."""


class Instance(msgspec.Struct, frozen=True):
    instance_id: str
    number: int
    plugin: PluginInfo


def slug(text: str, fallback: str = "plugin") -> str:
    """A short lowercase id fragment: `"Simple Amp (mono)"` → `"simple_amp_mono"`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = "_".join(words)[:40].strip("_")
    return out or fallback


class InstanceTable:
    """Which instance_id has which engine number and plugin. Pure bookkeeping, no I/O.

    Numbers are the lowest free ones; `reserve` hands out a number before the engine is asked,
    `commit` records the instance once the engine said yes, `release` frees it again.
    """

    def __init__(self) -> None:
        self._by_id: dict[str, Instance] = {}
        self._reserved: dict[str, int] = {}
        self.latencies = Latencies()

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, instance_id: object) -> bool:
        return instance_id in self._by_id

    def get(self, instance_id: str) -> Instance:
        inst = self._by_id.get(instance_id)
        if inst is None:
            raise NotFoundError(f"no plugin instance {instance_id!r}", {"instance_id": instance_id})
        return inst

    def all(self) -> list[Instance]:
        return list(self._by_id.values())

    def numbers(self) -> dict[str, int]:
        """instance_id → number."""
        return {i: inst.number for i, inst in self._by_id.items()}

    def ids(self) -> dict[int, str]:
        """number → instance_id."""
        return {inst.number: i for i, inst in self._by_id.items()}

    def id_of(self, number: int) -> str | None:
        for inst in self._by_id.values():
            if inst.number == number:
                return inst.instance_id
        return None

    def _taken(self) -> set[int]:
        return {inst.number for inst in self._by_id.values()} | set(self._reserved.values())

    def _taken_ids(self) -> set[str]:
        return set(self._by_id) | set(self._reserved)

    def new_id(self, plugin: PluginInfo) -> str:
        """`<slug of the plugin name>_<n>` with the lowest n ≥ 1 not in use."""
        base = slug(plugin.name)
        taken = self._taken_ids()
        n = 1
        while f"{base}_{n}" in taken:
            n += 1
        return f"{base}_{n}"

    def reserve(self, instance_id: str) -> int:
        """Claim the lowest free number for `instance_id` (ConflictError if the id is in use)."""
        check_instance_id(instance_id)
        if instance_id in self._taken_ids():
            raise ConflictError(
                f"instance_id {instance_id!r} is already in use", {"instance_id": instance_id}
            )
        taken = self._taken()
        number = next((n for n in range(MAX_NUMBER + 1) if n not in taken), None)
        if number is None:
            raise ResourceError(f"all {MAX_NUMBER + 1} engine instance numbers are in use")
        self._reserved[instance_id] = number
        return number

    def is_reserved(self, number: int) -> bool:
        """Whether an add is in flight for `number` (reserved, not committed yet)."""
        return number in self._reserved.values()

    def hold(self, number: int) -> str:
        """Keep `number` taken with no instance on it (a late add is being undone); the key to
        `release` it with (no client id can be it: ids refuse control characters)."""
        key = f"\x00held-{number}"
        self._reserved[key] = number
        return key

    def commit(self, instance_id: str, plugin: PluginInfo) -> Instance:
        number = self._reserved.pop(instance_id)
        inst = Instance(instance_id, number, plugin)
        self._by_id[instance_id] = inst
        symbol = latency_symbol(plugin)
        if symbol is not None:
            self.latencies.watch(number, symbol)
        return inst

    def release(self, instance_id: str) -> None:
        """Forget an instance (or a reservation); unknown ids are ignored."""
        self._reserved.pop(instance_id, None)
        inst = self._by_id.pop(instance_id, None)
        if inst is not None:
            self.latencies.forget(inst.number)

    def clear(self) -> None:
        self._by_id.clear()
        self._reserved.clear()
        self.latencies.clear()
