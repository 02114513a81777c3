"""Which sound card jackd should run on: the first ALSA device that can both capture and play.

`/proc/asound/pcm` lists one PCM device per line, e.g.
`00-00: ALC892 Analog : ALC892 Analog : playback 1 : capture 1`; `parse_pcm` reads that text
(pure), `find_duplex()` reads the file. `/proc/asound/cards` gives the card's name.
"""

from __future__ import annotations

import re
from pathlib import Path

import msgspec

PCM_FILE = Path("/proc/asound/pcm")
CARDS_FILE = Path("/proc/asound/cards")

_PCM = re.compile(r"^(\d+)-(\d+):\s*(.*)$")
_CARD = re.compile(r"^\s*(\d+)\s+\[[^\]]*\]:\s*(.*?)\s*$")


class SoundCard(msgspec.Struct, frozen=True):
    """An ALSA device that can capture and play: `device` is what jackd's alsa driver takes."""

    card: int
    pcm: int
    name: str

    @property
    def device(self) -> str:
        return f"hw:{self.card},{self.pcm}" if self.pcm else f"hw:{self.card}"


def parse_pcm(text: str) -> list[SoundCard]:
    """Every duplex (playback and capture) PCM device in `/proc/asound/pcm` text, in order."""
    found: list[SoundCard] = []
    for line in text.splitlines():
        m = _PCM.match(line.strip())
        if m is None:
            continue
        fields = [f.strip() for f in m.group(3).split(":")]
        kinds = {f.split()[0] for f in fields[2:] if f}
        if {"playback", "capture"} <= kinds:
            found.append(SoundCard(int(m.group(1)), int(m.group(2)), fields[0] or "sound card"))
    return found


def card_names(text: str) -> dict[int, str]:
    """Card number → long name from `/proc/asound/cards` text."""
    names: dict[int, str] = {}
    for line in text.splitlines():
        m = _CARD.match(line)
        if m is not None:
            names[int(m.group(1))] = m.group(2).split(" - ", 1)[-1].strip()
    return names


def find_duplex(pcm: Path = PCM_FILE, cards: Path = CARDS_FILE) -> SoundCard | None:
    """The first device of this machine that can capture and play, or None (no sound card)."""
    try:
        devices = parse_pcm(pcm.read_text())
    except OSError:
        return None
    if not devices:
        return None
    first = devices[0]
    try:
        name = card_names(cards.read_text()).get(first.card)
    except OSError:
        name = None
    return SoundCard(first.card, first.pcm, name or first.name)
