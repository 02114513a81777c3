"""Sound-card detection for jackd (pure parsing of /proc/asound text) and the driver choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from stompbox.settings import Settings
from stompbox.soundcard import SoundCard, card_names, find_duplex, parse_pcm
from stompbox.supervisor import choose_driver

PCM = """00-03: HDMI 0 : HDMI 0 : playback 1
01-00: USB Audio : USB Audio : playback 1 : capture 1
01-01: USB Audio #1 : USB Audio #1 : capture 1
02-00: ALC892 Analog : ALC892 Analog : playback 1 : capture 1
"""
CARDS = """ 0 [HDMI           ]: HDA-Intel - HDA ATI HDMI
                      HDA ATI HDMI at 0xfe440000 irq 34
 1 [Interface      ]: USB-Audio - Scarlett 2i2 USB
                      Focusrite Scarlett 2i2 USB at usb-0000:00:14.0-1, high speed
"""


def test_the_first_duplex_device_is_found() -> None:
    assert parse_pcm(PCM) == [SoundCard(1, 0, "USB Audio"), SoundCard(2, 0, "ALC892 Analog")]
    assert parse_pcm("") == []
    assert parse_pcm("garbage\n00-00: x : y : playback 1\n") == []
    assert card_names(CARDS) == {0: "HDA ATI HDMI", 1: "Scarlett 2i2 USB"}
    assert SoundCard(2, 1, "x").device == "hw:2,1"


def test_find_duplex_reads_proc_and_names_the_card(tmp_path: Path) -> None:
    (tmp_path / "pcm").write_text(PCM)
    (tmp_path / "cards").write_text(CARDS)
    card = find_duplex(tmp_path / "pcm", tmp_path / "cards")
    assert card == SoundCard(1, 0, "Scarlett 2i2 USB")
    assert card is not None
    assert card.device == "hw:1"
    assert find_duplex(tmp_path / "missing", tmp_path / "cards") is None


@pytest.mark.parametrize(
    ("env", "card", "expected"),
    [
        ({"STOMPBOX_JACK_DRIVER": "dummy"}, SoundCard(1, 0, "Scarlett"), ("dummy", "")),
        ({"STOMPBOX_JACK_DRIVER": "auto"}, SoundCard(1, 0, "Scarlett"), ("alsa", "hw:1")),
        ({"STOMPBOX_JACK_DRIVER": "auto"}, None, ("dummy", "")),
        (
            {"STOMPBOX_JACK_DRIVER": "auto", "STOMPBOX_JACK_DEVICE": "hw:2"},
            SoundCard(1, 0, "Scarlett"),
            ("alsa", "hw:2"),
        ),
    ],
)
def test_the_sound_card_by_default_dummy_only_without_one(
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    card: SoundCard | None,
    expected: tuple[str, str],
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr("stompbox.supervisor.find_duplex", lambda: card)
    driver, device, label = choose_driver(Settings())
    assert (driver, device) == expected
    assert ("ALSA" in label) == (driver == "alsa")
