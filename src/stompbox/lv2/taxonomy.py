"""A guitarist's plugin taxonomy over LV2 classes, and catalog search with synonyms and ranking.

LV2 files reverbs under Delay (ReverbPlugin is a DelayPlugin) and scatters amp simulators over
Simulator, Amplifier and Distortion; the families below put each plugin where a player looks for
it. Search words match the name, brand, URI, LV2 classes and family, each word also through its
synonyms ("overdrive" finds a Distortion, "verb" a Reverb, "cab" an amp simulator).
"""

from __future__ import annotations

from collections.abc import Iterable

FAMILIES = (
    "Drive",
    "Amp & Cab",
    "Modulation",
    "Delay",
    "Reverb",
    "Dynamics",
    "EQ & Filter",
    "Pitch",
    "Instrument",
    "Utility",
    "Other",
)

# (family, LV2 classes or name words that put a plugin there), tried in order: first match wins
_RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Reverb", ("reverb",), ("reverb", "verb", "hall", "plate reverb", "spring")),
    ("Amp & Cab", ("simulator",), ("amp", "amplifier", "cab", "cabinet", "preamp", "head", "tube")),
    ("Drive", ("distortion", "waveshaper"), ("drive", "distortion", "fuzz", "screamer", "boost")),
    ("Delay", ("delay",), ("delay", "echo")),
    (
        "Modulation",
        ("modulator", "chorus", "flanger", "phaser"),
        ("chorus", "flanger", "phaser", "tremolo", "vibrato", "rotary"),
    ),
    ("Pitch", ("pitch", "pitch shifter"), ("pitch", "octave", "harmonizer", "shifter")),
    (
        "Dynamics",
        ("dynamics", "compressor", "limiter", "gate", "expander", "envelope"),
        ("compressor", "limiter", "gate", "expander"),
    ),
    (
        "EQ & Filter",
        (
            "filter",
            "eq",
            "equaliser",
            "parametric",
            "multiband",
            "highpass",
            "lowpass",
            "bandpass",
            "allpass",
            "comb",
        ),
        ("eq", "equalizer", "equaliser", "filter", "wah"),
    ),
    ("Instrument", ("generator", "instrument", "oscillator"), ("synth", "organ", "piano")),
    (
        "Utility",
        ("utility", "analyser", "spectral", "mixer", "converter", "function", "constant"),
        ("meter", "tuner", "mixer", "splitter"),
    ),
)

SYNONYMS: tuple[frozenset[str], ...] = tuple(
    frozenset(group)
    for group in (
        {"overdrive", "drive", "distortion", "fuzz", "crunch", "screamer"},
        {"reverb", "verb", "hall", "room", "plate", "spring"},
        {"delay", "echo"},
        {"amp", "amplifier", "cab", "cabinet", "simulator", "preamp", "amps"},
        {"chorus", "flanger", "phaser", "modulation", "modulator", "mod", "tremolo", "vibrato"},
        {"compressor", "comp", "limiter", "dynamics", "compression"},
        {"eq", "equalizer", "equaliser", "filter"},
        {"gate", "noisegate"},
        {"pitch", "octave", "harmonizer", "shifter", "shift"},
        {"synth", "synthesizer", "instrument", "generator", "oscillator"},
    )
)


def family(name: str, categories: Iterable[str]) -> str:
    """The family of one plugin from its LV2 classes, else from words of its name."""
    classes = [c.casefold() for c in categories]
    words = name.casefold()
    for fam, lv2_classes, _ in _RULES:
        if any(c in lv2_classes for c in classes):
            return fam
    for fam, _, name_words in _RULES:
        if any(_has_word(words, w) for w in name_words):
            return fam
    return "Other"


def _has_word(text: str, word: str) -> bool:
    """`word` starts a word of `text` (so "amp" is in "gxamp", no: in "amp-x", yes)."""
    i = text.find(word)
    while i >= 0:
        before = text[i - 1] if i else " "
        if not before.isalpha():
            return True
        i = text.find(word, i + 1)
    return False


def _family_words(fam: str) -> set[str]:
    return {w for w in fam.casefold().replace("&", " ").split() if w}


def alternatives(word: str) -> frozenset[str]:
    """`word` and its synonyms (a prefix of a synonym counts: "overdr" → the drive group)."""
    word = word.casefold()
    found = {word}
    for group in SYNONYMS:
        if word in group or (len(word) >= 4 and any(g.startswith(word) for g in group)):
            found |= group
    return frozenset(found)


def match_score(
    name: str, haystack: str, words: list[str], fam: str = "", loose: str = ""
) -> int | None:
    """None when a word (or all of its synonyms) is missing; else lower is better: 0 every word
    in the name itself, 1 every word found as typed in `haystack`, 2 found through a synonym of
    the family `fam`, 3 through a synonym in `loose` (name and brand: not the raw LV2 classes,
    which file reverbs under Delay)."""
    name = name.casefold()
    family_words = _family_words(fam)
    score = 0
    for word in words:
        if word in name:
            continue
        if word in haystack:
            score = max(score, 1)
            continue
        others = alternatives(word) - {word}
        if others & family_words:
            score = max(score, 2)
            continue
        if any(_has_word(loose, alt) for alt in others):
            score = 3
            continue
        return None
    return score
