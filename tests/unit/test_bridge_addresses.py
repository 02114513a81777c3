"""Port address ↔ JACK name translation of the bridge."""

from __future__ import annotations

import pytest

from stompbox.bridge.addresses import effect_number, from_jack, split_address, to_jack
from stompbox.contract.errors import NotFoundError, ValidationError

NUMBERS = {"amp_1": 0, "delay": 7}
IDS = {0: "amp_1", 7: "delay"}


def test_instance_address_becomes_effect_name() -> None:
    assert to_jack("amp_1:input", NUMBERS) == ("effect_0:input", 0, "input")
    assert to_jack("delay:out_l", NUMBERS) == ("effect_7:out_l", 7, "out_l")


def test_system_passes_through() -> None:
    assert to_jack("system:playback_1", NUMBERS) == ("system:playback_1", None, "playback_1")


def test_full_jack_name_of_ours_is_accepted() -> None:
    assert to_jack("effect_7:in", NUMBERS) == ("effect_7:in", 7, "in")


def test_other_clients_pass_through_but_foreign_effects_are_not_found() -> None:
    assert to_jack("probe:out_1", NUMBERS) == ("probe:out_1", None, "out_1")
    with pytest.raises(NotFoundError):
        to_jack("effect_3:input", NUMBERS)


@pytest.mark.parametrize("bad", ["", "amp_1", ":input", "amp_1:", "noport"])
def test_malformed_address_is_validation(bad: str) -> None:
    with pytest.raises(ValidationError):
        split_address(bad)


def test_from_jack() -> None:
    assert from_jack("effect_0:output", IDS) == "amp_1:output"
    assert from_jack("system:capture_2", IDS) == "system:capture_2"
    assert from_jack("effect_9:output", IDS) is None
    assert from_jack("probe:out_1", IDS) is None
    assert from_jack("garbage", IDS) is None


def test_effect_number() -> None:
    assert effect_number("effect_12") == 12
    assert effect_number("effect_") is None
    assert effect_number("effect_1x") is None
    assert effect_number("mod-host") is None


def test_round_trip() -> None:
    for address in ("amp_1:input", "delay:out_l", "system:playback_2"):
        name, _, _ = to_jack(address, NUMBERS)
        assert from_jack(name, IDS) == address
