"""Instance table of the bridge: id generation, lowest free numbers, conflicts."""

from __future__ import annotations

import pytest

from stompbox.bridge.instances import InstanceTable, slug
from stompbox.contract.errors import ConflictError, NotFoundError, ValidationError
from stompbox.contract.plugin import PluginInfo

AMP = PluginInfo(uri="urn:amp", name="Simple Amplifier (mono)")
DELAY = PluginInfo(uri="urn:delay", name="Délay")


def add(table: InstanceTable, plugin: PluginInfo, instance_id: str | None = None) -> int:
    iid = instance_id or table.new_id(plugin)
    number = table.reserve(iid)
    table.commit(iid, plugin)
    return number


def test_slug() -> None:
    assert slug("Simple Amplifier (mono)") == "simple_amplifier_mono"
    assert slug("Délay") == "delay"
    assert slug("!!!") == "plugin"
    assert len(slug("x" * 200)) <= 40


def test_generated_ids_and_lowest_free_numbers() -> None:
    t = InstanceTable()
    assert add(t, AMP) == 0
    assert add(t, AMP) == 1
    assert add(t, DELAY) == 2
    assert sorted(t.numbers()) == ["delay_1", "simple_amplifier_mono_1", "simple_amplifier_mono_2"]
    t.release("simple_amplifier_mono_1")
    assert t.new_id(AMP) == "simple_amplifier_mono_1"
    assert add(t, AMP) == 0  # the freed number is reused
    assert t.ids()[2] == "delay_1"
    assert t.id_of(1) == "simple_amplifier_mono_2"
    assert t.id_of(99) is None


def test_reserved_numbers_and_ids_are_taken() -> None:
    t = InstanceTable()
    assert t.reserve("a") == 0
    assert t.reserve("b") == 1
    with pytest.raises(ConflictError):
        t.reserve("a")
    t.release("a")
    assert t.reserve("c") == 0
    assert "c" not in t  # reserved, not committed


def test_duplicate_and_invalid_ids() -> None:
    t = InstanceTable()
    add(t, AMP, "amp")
    with pytest.raises(ConflictError):
        t.reserve("amp")
    for bad in ("", "a:b", "_x", "a b", "x" * 65, "a.b", "system"):
        with pytest.raises(ValidationError):
            t.reserve(bad)
    assert t.reserve("Amp-1_v2") >= 0


def test_get_unknown_is_not_found_and_clear() -> None:
    t = InstanceTable()
    add(t, AMP, "amp")
    assert t.get("amp").plugin is AMP
    with pytest.raises(NotFoundError):
        t.get("nope")
    t.clear()
    assert len(t) == 0
    assert t.reserve("amp") == 0
