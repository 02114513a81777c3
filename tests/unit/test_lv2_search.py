"""Catalog search, lookup and categories over hand-made plugin metadata (no lilv)."""

from __future__ import annotations

import pytest

from stompbox.contract.plugin import Direction, PluginInfo, PortInfo, PortType
from stompbox.lv2.catalog import Catalog, CatalogStats
from stompbox.lv2.rescan import ScanMode
from stompbox.lv2.scan import short_designation


def _audio(index: int, direction: Direction) -> PortInfo:
    return PortInfo(
        index=index,
        symbol=f"{direction.value}{index}",
        name=f"Audio {index}",
        type=PortType.AUDIO,
        direction=direction,
    )


def _plugin(
    uri: str, name: str, brand: str, category: list[str], ins: int, outs: int
) -> PluginInfo:
    ports = [_audio(i, Direction.INPUT) for i in range(ins)]
    ports += [_audio(ins + i, Direction.OUTPUT) for i in range(outs)]
    return PluginInfo(uri=uri, name=name, brand=brand, category=category, ports=ports)


@pytest.fixture
def catalog() -> Catalog:
    plugins = [
        _plugin(
            "http://calf.sourceforge.net/plugins/Reverb",
            "Calf Reverb",
            "Calf",
            ["Delay", "Reverb"],
            2,
            2,
        ),
        _plugin(
            "http://drobilla.net/plugins/mda/Delay", "MDA Delay", "David Robillard", ["Delay"], 2, 2
        ),
        _plugin(
            "http://plugin.org.uk/swh-plugins/amp",
            "Simple amplifier",
            "Steve Harris",
            ["Dynamics", "Amplifier"],
            1,
            1,
        ),
        _plugin("urn:synth", "a synth", "Acme", ["Generator", "Instrument"], 0, 2),
    ]
    stats = CatalogStats(plugins=len(plugins), mode=ScanMode.WARM, seconds=0.0)
    return Catalog(plugins, stats)


def _uris(found: list[object]) -> list[str]:
    return [getattr(s, "uri", "") for s in found]


def test_empty_search_lists_everything_sorted_by_name(catalog: Catalog) -> None:
    names = [s.name for s in catalog.search()]
    assert names == ["a synth", "Calf Reverb", "MDA Delay", "Simple amplifier"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("REVERB", ["http://calf.sourceforge.net/plugins/Reverb"]),  # name/category, any case
        ("robillard", ["http://drobilla.net/plugins/mda/Delay"]),  # brand
        ("plugin.org.uk", ["http://plugin.org.uk/swh-plugins/amp"]),  # uri
        ("amplifier", ["http://plugin.org.uk/swh-plugins/amp"]),
        ("instrument", ["urn:synth"]),  # category only
        ("delay calf", ["http://calf.sourceforge.net/plugins/Reverb"]),  # every word must match
        ("nothing-like-this", []),
    ],
)
def test_text_search(catalog: Catalog, query: str, expected: list[str]) -> None:
    assert _uris(list(catalog.search(query))) == expected


def test_category_filter_is_exact_but_case_insensitive(catalog: Catalog) -> None:
    assert _uris(list(catalog.search(category="delay"))) == [
        "http://calf.sourceforge.net/plugins/Reverb",
        "http://drobilla.net/plugins/mda/Delay",
    ]
    assert catalog.search(category="Dela") == []


def test_audio_port_count_filters(catalog: Catalog) -> None:
    assert _uris(list(catalog.search(audio_inputs=1, audio_outputs=1))) == [
        "http://plugin.org.uk/swh-plugins/amp"
    ]
    assert _uris(list(catalog.search(audio_inputs=0))) == ["urn:synth"]
    assert _uris(list(catalog.search("delay", audio_outputs=2))) == [
        "http://drobilla.net/plugins/mda/Delay",  # the name matches: first
        "http://calf.sourceforge.net/plugins/Reverb",  # LV2 files reverbs under Delay
    ]


def test_summaries_count_ports(catalog: Catalog) -> None:
    (amp,) = catalog.search("swh")
    assert (amp.audio_inputs, amp.audio_outputs, amp.controls) == (1, 1, 0)
    assert amp.category == ["Dynamics", "Amplifier"]


def test_get_and_categories(catalog: Catalog) -> None:
    amp = catalog.get("http://plugin.org.uk/swh-plugins/amp")
    assert amp is not None
    assert amp.name == "Simple amplifier"
    assert catalog.get("urn:missing") is None
    assert len(catalog) == 4
    assert catalog.categories() == ["Delay", "Reverb", "Dynamics", "Instrument"]  # families


def test_families_put_reverbs_under_reverb_and_synonyms_find_drives() -> None:
    plugins = [
        _plugin("urn:ts", "GxTubeScreamer", "Guitarix", ["Distortion"], 1, 1),
        _plugin("urn:ds1", "GxBoss DS1", "Guitarix", ["Distortion"], 1, 1),
        _plugin("urn:amp", "GxAmplifier-X", "Guitarix", ["Simulator"], 1, 1),
        _plugin("urn:cab", "GxCabinet", "Guitarix", ["Simulator"], 1, 1),
        _plugin("urn:verb", "Calf Reverb", "Calf", ["Delay", "Reverb"], 2, 2),
        _plugin("urn:echo", "MDA Delay", "MDA", ["Delay"], 2, 2),
    ]
    cat = Catalog(plugins, CatalogStats(plugins=6, mode=ScanMode.WARM, seconds=0.0))
    families = {s.uri: s.family for s in cat.search()}
    assert families == {
        "urn:ts": "Drive",
        "urn:ds1": "Drive",
        "urn:amp": "Amp & Cab",
        "urn:cab": "Amp & Cab",
        "urn:verb": "Reverb",
        "urn:echo": "Delay",
    }
    assert sorted(_uris(list(cat.search("overdrive")))) == ["urn:ds1", "urn:ts"]
    assert sorted(_uris(list(cat.search("fuzz")))) == ["urn:ds1", "urn:ts"]
    assert _uris(list(cat.search("verb"))) == ["urn:verb"]
    assert _uris(list(cat.search("hall"))) == ["urn:verb"]
    assert _uris(list(cat.search("echo"))) == ["urn:echo"]
    assert sorted(_uris(list(cat.search("cab")))) == ["urn:amp", "urn:cab"]
    assert _uris(list(cat.search("guitarix tubescreamer"))) == ["urn:ts"]
    assert _uris(list(cat.search(category="reverb"))) == ["urn:verb"]
    assert sorted(_uris(list(cat.search(category="Amp & Cab")))) == ["urn:amp", "urn:cab"]


@pytest.mark.parametrize(
    ("uri", "short"),
    [
        ("http://lv2plug.in/ns/lv2core#enabled", "enabled"),
        ("http://lv2plug.in/ns/lv2core#latency", "latency"),
        ("http://lv2plug.in/ns/lv2core#freeWheeling", "freewheeling"),
        ("http://lv2plug.in/ns/ext/time#beatsPerMinute", "bpm"),
        ("http://lv2plug.in/ns/ext/time#beatsPerBar", "bpb"),
        ("http://kxstudio.sf.net/ns/lv2ext/props#Reset", "reset"),
        ("http://lv2plug.in/ns/ext/port-groups#left", "left"),
        ("http://example.org/x/gain", "gain"),
    ],
)
def test_short_designation(uri: str, short: str) -> None:
    assert short_designation(uri) == short
