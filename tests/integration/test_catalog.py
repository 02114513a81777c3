"""The LV2 catalog against the Debian plugin packages, checked against `lv2ls`/`lv2info` output."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from stompbox.contract.plugin import Direction, PluginInfo, PortType
from stompbox.lv2 import (
    Catalog,
    ScanMode,
    World,
    lv2_path,
    plugin_info,
    preset_turtle,
    preset_values,
)

pytestmark = pytest.mark.integration

SYSTEM = Path("/usr/lib/lv2")
AMP = "http://plugin.org.uk/swh-plugins/amp"
MDA_DELAY = "http://drobilla.net/plugins/mda/Delay"
LESLIE = "http://drobilla.net/plugins/mda/Leslie"
FIL4 = "http://gareus.org/oss/lv2/fil4#mono"
CALF_REVERB = "http://calf.sourceforge.net/plugins/Reverb"
LSP_COMP = "http://lsp-plug.in/plugins/lv2/compressor_mono"
GX_AMP = "http://guitarix.sourceforge.net/plugins/gx_amp#GUITARIX"
EXPECTED = [AMP, MDA_DELAY, LESLIE, FIL4, CALF_REVERB, LSP_COMP, GX_AMP]

if shutil.which("lv2info") is None or not SYSTEM.is_dir():
    pytest.skip("needs lilv-utils and the Debian LV2 plugin packages", allow_module_level=True)


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


def lv2info(uri: str) -> tuple[dict[str, dict[str, str]], list[str]]:
    """`{symbol: {Minimum, Maximum, Default, Type}}` and the preset labels, parsed from lv2info."""
    ports: dict[str, dict[str, str]] = {}
    presets: list[str] = []
    current: dict[str, str] | None = None
    in_presets = False
    for line in _run("lv2info", uri).splitlines():
        text = line.strip()
        if line.startswith("\tPresets:"):
            in_presets = True
            first = line.split(":", 1)[1].strip()
            if first:
                presets.append(first)
            continue
        if re.match(r"^\tPort \d+:", line):
            in_presets = False
            current = {}
            continue
        if in_presets and line.startswith("\t ") and text:
            presets.append(text)
            continue
        in_presets = in_presets and not text
        if current is None:
            continue
        field = re.match(r"^\t\t([A-Z][\w ]*):\s*(.*)$", line)
        if field:
            key, value = field.group(1), field.group(2).strip()
            if key == "Symbol":
                ports[value] = current
            current[key] = value
        elif text.startswith("http") and "Type" in current:
            current["Type"] += " " + text
    return ports, presets


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lv2cache")


@pytest.fixture(scope="module")
def catalog(cache_dir: Path) -> Catalog:
    return Catalog.load(cache_dir, 48000, lv2_path=lv2_path())


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with World(lv2_path()) as w:
        yield w


def test_catalog_has_every_installed_plugin(catalog: Catalog) -> None:
    installed = set(_run("lv2ls").split())
    uris = {p.uri for p in catalog.plugins()}
    assert len(installed) > 400
    assert installed == uris
    for uri in EXPECTED:
        assert catalog.get(uri) is not None, uri
    assert catalog.stats.plugins == len(uris)
    assert catalog.stats.mode in (ScanMode.COLD, ScanMode.WARM)


def test_every_control_port_has_a_range(catalog: Catalog) -> None:
    for plugin in catalog.plugins():
        assert plugin.name
        symbols = [p.symbol for p in plugin.ports]
        assert len(symbols) == len(set(symbols)), plugin.uri
        for port in plugin.ports:
            if port.type is PortType.CONTROL:
                assert port.minimum is not None, (plugin.uri, port.symbol)
                assert port.maximum is not None, (plugin.uri, port.symbol)
                assert port.default is not None, (plugin.uri, port.symbol)
                assert math.isfinite(port.minimum + port.maximum + port.default)


@pytest.mark.parametrize("uri", EXPECTED)
def test_ports_match_lv2info(catalog: Catalog, uri: str) -> None:
    info = catalog.get(uri)
    assert info is not None
    expected, _ = lv2info(uri)
    assert [p.symbol for p in info.ports] == list(expected)
    for port in info.ports:
        theirs = expected[port.symbol]
        kind = {
            PortType.AUDIO: "AudioPort",
            PortType.CONTROL: "ControlPort",
            PortType.CV: "CVPort",
            PortType.MIDI: "AtomPort",
        }[port.type]
        assert kind in theirs["Type"] or (kind == "AtomPort" and "EventPort" in theirs["Type"])
        direction = "InputPort" if port.direction is Direction.INPUT else "OutputPort"
        assert direction in theirs["Type"]
        if port.type is not PortType.CONTROL:
            continue
        scale = 48000.0 if port.sample_rate else 1.0
        for field, ours in (
            ("Minimum", port.minimum),
            ("Maximum", port.maximum),
            ("Default", port.default),
        ):
            if field in theirs and theirs[field] != "nan":
                assert ours is not None
                assert ours / scale == pytest.approx(float(theirs[field]), abs=1e-5), (
                    port.symbol,
                    field,
                )


def test_plugin_details(catalog: Catalog) -> None:
    amp = catalog.get(AMP)
    assert amp is not None
    assert "Amplifier" in amp.category
    assert amp.bundle == str(SYSTEM / "amp-swh.lv2")
    gain = amp.port("gain")
    assert gain is not None
    assert (gain.minimum, gain.maximum, gain.default) == (-70.0, 70.0, 0.0)
    fil4 = catalog.get(FIL4)
    assert fil4 is not None
    assert fil4.brand
    assert "Equaliser" in fil4.category or "Filter" in fil4.category
    enable = fil4.port("enable")
    assert enable is not None
    assert enable.designation == "enabled"
    assert enable.toggled
    hp = fil4.port("HPfreq")
    assert hp is not None
    assert hp.logarithmic
    assert hp.units == "Hz"
    leslie = catalog.get(LESLIE)
    assert leslie is not None
    mode = leslie.port("mode")
    assert mode is not None
    assert mode.enumeration
    assert [p.label for p in mode.scale_points] == ["Stop", "Slow", "Fast"]
    reverb = catalog.get(CALF_REVERB)
    assert reverb is not None
    assert "Reverb" in reverb.category
    assert reverb.presets
    assert leslie.version == "2.0"  # lv2:minorVersion 2, lv2:microVersion 0
    assert fil4.version == "2058.0"
    assert {"Reverb", "Delay", "Amp & Cab", "EQ & Filter"} <= set(catalog.categories())  # families


def test_sample_rate_ports_are_scaled(catalog: Catalog, world: World) -> None:
    scaled = [
        (plugin.uri, port.symbol)
        for plugin in catalog.plugins()
        for port in plugin.ports
        if port.sample_rate and port.type is PortType.CONTROL
    ]
    if not scaled:
        pytest.skip("no installed plugin declares lv2:sampleRate on a control port")
    uri, symbol = scaled[0]
    theirs, _ = lv2info(uri)
    raw_max = float(theirs[symbol]["Maximum"])
    info = plugin_info(world, uri, 44100)
    assert info is not None
    port = info.port(symbol)
    assert port is not None
    assert port.maximum == pytest.approx(raw_max * 44100, rel=1e-5)


@pytest.mark.parametrize("uri", [LESLIE, "http://drobilla.net/plugins/mda/JX10"])
def test_mda_presets_match_lv2info(catalog: Catalog, uri: str) -> None:
    info = catalog.get(uri)
    assert info is not None
    _, labels = lv2info(uri)
    assert labels
    assert sorted(p.label for p in info.presets) == sorted(labels)
    assert [p.label.casefold() for p in info.presets] == sorted(
        p.label.casefold() for p in info.presets
    )


def test_preset_values_and_turtle(world: World) -> None:
    uri = "http://drobilla.net/plugins/mda/presets#Leslie-slow"
    values = preset_values(world, uri)
    assert values["hi_depth"] == 0.75
    assert values["x_over"] == 0.48
    assert len(values) == 9
    text = preset_turtle(world, uri)
    assert f"<{uri}>" in text
    assert f"lv2:appliesTo <{LESLIE}>" in text
    assert 'rdfs:label "Slow"' in text
    assert 'lv2:symbol "x_over" ;\n\t\tpset:value 0.48' in text


def test_world_lookup_equals_catalog(world: World, catalog: Catalog) -> None:
    for uri in EXPECTED:
        assert plugin_info(world, uri, 48000) == catalog.get(uri)
    assert plugin_info(world, "urn:not-installed") is None


def test_warm_start_reads_the_cache_and_equals_cold(catalog: Catalog, cache_dir: Path) -> None:
    warm = Catalog.load(cache_dir, 48000, lv2_path=lv2_path())
    assert warm.stats.mode is ScanMode.WARM
    assert warm.stats.rescanned == 0
    # the warm catalog decodes each plugin lazily: listing and searching must not need it
    assert warm.search() == catalog.search()
    assert warm.search("reverb", audio_inputs=2) == catalog.search("reverb", audio_inputs=2)
    assert warm.categories() == catalog.categories()
    assert len(warm) == len(catalog)
    assert warm.get("http://plugin.org.uk/swh-plugins/amp") == catalog.get(
        "http://plugin.org.uk/swh-plugins/amp"
    )
    assert warm.get("urn:nosuch") is None
    assert warm.plugins() == catalog.plugins()


# --- incremental rescan on a private LV2 path ----------------------------------------------

SPECS = [
    "core.lv2",
    "port-props.lv2",
    "port-groups.lv2",
    "presets.lv2",
    "atom.lv2",
    "midi.lv2",
    "time.lv2",
    "parameters.lv2",
    "urid.lv2",
    "options.lv2",
    "state.lv2",
    "event.lv2",
]


@pytest.fixture
def private_path(tmp_path: Path) -> Path:
    """An LV2 dir of symlinked spec/swh bundles, a copied units.lv2, and mda.lv2 with copied ttl."""
    base = tmp_path / "lv2"
    base.mkdir()
    for name in [*SPECS, "amp-swh.lv2", "delay-swh.lv2"]:
        if (SYSTEM / name).is_dir():
            (base / name).symlink_to(SYSTEM / name)
    shutil.copytree(SYSTEM / "units.lv2", base / "units.lv2")
    mda = base / "mda.lv2"
    mda.mkdir()
    for f in (SYSTEM / "mda.lv2").iterdir():
        if f.suffix == ".ttl":
            shutil.copy2(f, mda / f.name)
        else:
            (mda / f.name).symlink_to(f)
    return base


def _bump(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))


def _by_uri(c: Catalog) -> dict[str, PluginInfo]:
    return {p.uri: p for p in c.plugins()}


def test_touched_bundle_rescans_only_its_plugins(private_path: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = Catalog.load(cache, lv2_path=[private_path])
    assert cold.stats.mode is ScanMode.COLD
    mda_count = sum(1 for p in cold.plugins() if p.uri.startswith("http://drobilla.net/"))
    assert mda_count > 10
    assert cold.get(AMP) is not None
    assert Catalog.load(cache, lv2_path=[private_path]).stats.mode is ScanMode.WARM

    presets = private_path / "mda.lv2" / "Leslie-presets.ttl"
    presets.write_text(presets.read_text().replace('rdfs:label "Slow"', 'rdfs:label "Very Slow"'))
    _bump(presets)
    partial = Catalog.load(cache, lv2_path=[private_path])
    assert partial.stats.mode is ScanMode.PARTIAL
    assert partial.stats.rescanned == mda_count
    leslie = partial.get(LESLIE)
    assert leslie is not None
    assert "Very Slow" in [p.label for p in leslie.presets]
    # the partial result is exactly what a full scan from scratch gives
    assert _by_uri(partial) == _by_uri(Catalog.load(tmp_path / "fresh", lv2_path=[private_path]))
    assert Catalog.load(cache, lv2_path=[private_path]).stats.mode is ScanMode.WARM

    (private_path / "amp-swh.lv2").unlink()
    removed = Catalog.load(cache, lv2_path=[private_path])
    assert removed.stats.mode is ScanMode.PARTIAL
    assert removed.stats.rescanned == 0
    assert removed.get(AMP) is None
    assert len(removed) == len(partial) - 1


def test_changed_specification_bundle_rescans_everything(
    private_path: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    cold = Catalog.load(cache, lv2_path=[private_path])
    _bump(private_path / "units.lv2" / "units.ttl")
    full = Catalog.load(cache, lv2_path=[private_path])
    assert full.stats.mode is ScanMode.FULL
    assert full.stats.rescanned == len(cold)
    assert full.plugins() == cold.plugins()


def test_corrupt_cache_falls_back_to_a_cold_scan(private_path: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = Catalog.load(cache, lv2_path=[private_path])
    Path(first.stats.cache_file).write_text("{ not json")
    again = Catalog.load(cache, lv2_path=[private_path])
    assert again.stats.mode is ScanMode.COLD
    assert again.plugins() == first.plugins()
    assert Catalog.load(cache, lv2_path=[private_path]).stats.mode is ScanMode.WARM


def test_a_preset_uri_lilv_cannot_parse_is_an_unknown_preset() -> None:
    from stompbox.contract.errors import NotFoundError
    from stompbox.lv2.presets import preset_values
    from stompbox.lv2.world import World

    with World(bundles=[]) as world, pytest.raises(NotFoundError):
        preset_values(world, "0000000")


def test_processes_starting_together_scan_the_catalog_once(tmp_path: Path) -> None:
    """Engine and bridge start at once on a cold cache: one scans, the other waits and reads it
    (they used to scan concurrently, each for seconds, on a 2-core machine)."""
    import sys

    script = (
        "import sys; from pathlib import Path; from stompbox.lv2 import Catalog; "
        "print(Catalog.load(Path(sys.argv[1])).stats.mode)"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    modes = sorted(p.communicate(timeout=90)[0].strip() for p in procs)
    assert [p.returncode for p in procs] == [0, 0]
    assert modes == sorted([str(ScanMode.COLD), str(ScanMode.WARM)])


def test_a_full_scan_split_over_processes_equals_one_in_this_process(
    private_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cold scan deals plugins round-robin to worker processes (each its own lilv world);
    what comes back is the same catalog, in the path's order, as one scan here."""
    from stompbox.lv2 import rescan
    from stompbox.lv2.cache import fingerprint

    stamps = fingerprint([private_path])
    here = rescan.full_scan([private_path], stamps, 48000, workers=1)
    monkeypatch.setattr(rescan, "MIN_PER_WORKER", 1)
    split = rescan.full_scan([private_path], stamps, 48000, workers=3)
    assert len(here) > 30
    assert split == here


def test_categories_do_not_depend_on_the_order_lilv_lists_classes(catalog: Catalog) -> None:
    """A plugin of several classes lists them by class URI (sord's order of a subject's types
    varied from one scan to the next: swh's satanMaximiser was Dynamics, Distortion in one
    and Distortion, Dynamics in another)."""
    info = catalog.get("http://plugin.org.uk/swh-plugins/satanMaximiser")
    assert info is not None
    assert info.category == ["Distortion", "Dynamics"]
