"""Catalog cache keying, invalidation and atomic writes, on temporary directories (no lilv)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import msgspec
import pytest

from stompbox.contract.plugin import Direction, PluginInfo, PortInfo, PortType
from stompbox.lv2.cache import (
    BundleIndex,
    CachedPlugin,
    CacheFile,
    bundle_dirs,
    cache_file,
    changed_bundles,
    fingerprint,
    read_cache,
    write_cache,
)
from stompbox.lv2.world import finite_float, lv2_path


def _bundle(base: Path, name: str, *files: str) -> Path:
    b = base / name
    b.mkdir(parents=True)
    for f in ("manifest.ttl", *files):
        (b / f).write_text("@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n")
    return b


def _bump(path: Path, seconds: int = 10) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))


@pytest.fixture
def lv2dir(tmp_path: Path) -> Path:
    base = tmp_path / "lv2"
    _bundle(base, "a.lv2", "a.ttl")
    _bundle(base, "b.lv2", "b.ttl", "b-presets.ttl")
    (base / "not-a-bundle.txt").write_text("x")
    return base


def test_bundle_dirs_lists_subdirectories_of_existing_entries(lv2dir: Path, tmp_path: Path) -> None:
    (tmp_path / "link.lv2").symlink_to(lv2dir / "a.lv2")
    other = tmp_path / "other"
    other.mkdir()
    (other / "c.lv2").symlink_to(lv2dir / "a.lv2")
    dirs = bundle_dirs([lv2dir, tmp_path / "missing", other])
    assert [d.name for d in dirs] == ["a.lv2", "b.lv2", "c.lv2"]


def test_fingerprint_is_stable_without_changes(lv2dir: Path) -> None:
    assert changed_bundles(fingerprint([lv2dir]), fingerprint([lv2dir])) == set()


def test_touching_a_ttl_changes_only_its_bundle(lv2dir: Path) -> None:
    before = fingerprint([lv2dir])
    _bump(lv2dir / "b.lv2" / "b-presets.ttl")
    assert changed_bundles(before, fingerprint([lv2dir])) == {str(lv2dir / "b.lv2")}


def test_adding_a_file_changes_the_bundle(lv2dir: Path) -> None:
    before = fingerprint([lv2dir])
    (lv2dir / "a.lv2" / "extra.ttl").write_text("")
    _bump(lv2dir / "a.lv2")  # coarse-mtime filesystems: make the directory change visible
    assert changed_bundles(before, fingerprint([lv2dir])) == {str(lv2dir / "a.lv2")}


def test_added_and_removed_bundles_are_changes(lv2dir: Path) -> None:
    before = fingerprint([lv2dir])
    _bundle(lv2dir, "new.lv2")
    (lv2dir / "a.lv2" / "a.ttl").unlink()
    (lv2dir / "a.lv2" / "manifest.ttl").unlink()
    (lv2dir / "a.lv2").rmdir()
    changed = changed_bundles(before, fingerprint([lv2dir]))
    assert changed == {str(lv2dir / "new.lv2"), str(lv2dir / "a.lv2")}


def test_non_ttl_files_are_not_tracked(lv2dir: Path) -> None:
    stamp = fingerprint([lv2dir])[str(lv2dir / "b.lv2")]
    assert sorted(stamp.files) == ["b-presets.ttl", "b.ttl", "manifest.ttl"]


def test_bundle_index_maps_files_to_bundles(lv2dir: Path, tmp_path: Path) -> None:
    link = tmp_path / "linked"
    link.mkdir()
    (link / "a.lv2").symlink_to(lv2dir / "a.lv2")
    index = BundleIndex([str(link / "a.lv2"), str(lv2dir / "b.lv2")])
    assert index.bundle_of(str(lv2dir / "b.lv2" / "b.ttl")) == str(lv2dir / "b.lv2")
    # a file reached through the real path still maps to the (symlinked) bundle key
    assert index.bundle_of(str(lv2dir / "a.lv2" / "a.ttl")) == str(link / "a.lv2")
    assert index.bundle_of("/elsewhere/x.ttl") is None
    assert index.bundles_of([str(lv2dir / "b.lv2" / "b.ttl"), "/nope"]) == [str(lv2dir / "b.lv2")]


def test_cache_file_is_keyed_by_path_and_sample_rate(tmp_path: Path) -> None:
    a = cache_file(tmp_path, [Path("/usr/lib/lv2")], 48000)
    assert a == cache_file(tmp_path, [Path("/usr/lib/lv2")], 48000)
    assert a != cache_file(tmp_path, [Path("/usr/lib/lv2")], 44100)
    assert a != cache_file(tmp_path, [Path("/usr/lib/lv2"), Path("/opt/lv2")], 48000)
    assert a.parent == tmp_path


def _sample_cache(lv2dir: Path) -> CacheFile:
    port = PortInfo(
        index=0,
        symbol="gain",
        name="Gain",
        type=PortType.CONTROL,
        direction=Direction.INPUT,
        minimum=-70.0,
        maximum=70.0,
        default=0.0,
        units="dB",
    )
    info = PluginInfo(uri="urn:a", name="A", category=["Amplifier"], ports=[port])
    return CacheFile(
        sample_rate=48000,
        lv2_path=[str(lv2dir)],
        bundles=fingerprint([lv2dir]),
        plugins=[CachedPlugin(info=info, bundles=[str(lv2dir / "a.lv2")])],
    )


def test_cache_round_trips_and_leaves_no_temp_files(lv2dir: Path, tmp_path: Path) -> None:
    file = tmp_path / "cache" / "sub" / "catalog.json"
    data = _sample_cache(lv2dir)
    write_cache(file, data)
    write_cache(file, data)  # overwrite in place
    assert read_cache(file) == data
    assert [p.name for p in file.parent.iterdir()] == ["catalog.json"]


@pytest.mark.parametrize("content", [b"", b"{", b'{"version": 1}', b"[1,2]", b"\xff\xfe"])
def test_corrupt_cache_reads_as_missing(tmp_path: Path, content: bytes) -> None:
    file = tmp_path / "c.json"
    file.write_bytes(content)
    assert read_cache(file) is None


def test_missing_cache_and_other_version_read_as_missing(lv2dir: Path, tmp_path: Path) -> None:
    assert read_cache(tmp_path / "none.json") is None
    old = msgspec.structs.replace(_sample_cache(lv2dir), version=0)
    write_cache(tmp_path / "old.json", old)
    assert read_cache(tmp_path / "old.json") is None


def test_lv2_path_from_env_or_default(tmp_path: Path) -> None:
    assert lv2_path(f"{tmp_path}:/x::") == [tmp_path, Path("/x")]
    default = lv2_path("")
    assert Path("/usr/lib/lv2") in default
    assert Path("/usr/lib/x86_64-linux-gnu/lv2") in default
    assert Path("~/.lv2").expanduser() in default


def test_finite_float_gives_the_shortest_float32_decimal() -> None:
    f32 = struct.unpack("<f", struct.pack("<f", 0.6))[0]
    assert f32 != 0.6
    assert finite_float(f32) == 0.6
    assert finite_float(float("nan")) is None
    assert finite_float(float("inf")) is None
    assert finite_float(None) is None
    assert finite_float(0.1) == 0.1  # a double that is not a float32 stays as it is


def test_missing_spec_bundles_are_named_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from stompbox.lv2.catalog import SPEC_BUNDLES, Catalog, missing_specs

    empty = tmp_path / "lv2"
    empty.mkdir()
    assert missing_specs([empty]) == SPEC_BUNDLES
    (empty / "core.lv2").mkdir()
    (empty / "core.lv2" / "manifest.ttl").write_text("")
    assert "core.lv2" not in missing_specs([empty])
    with caplog.at_level("WARNING", logger="stompbox.lv2.catalog"):
        stats = Catalog.load(tmp_path / "cache", lv2_path=[empty]).stats
    assert stats.missing_specs == missing_specs([empty])
    assert "units.lv2" in caplog.text
    assert "apt-get install lv2-dev" in caplog.text


def test_the_installed_lv2_path_has_every_spec_bundle() -> None:
    """`scripts/install.sh` installs lv2-dev: without it the catalog loses categories and units."""
    from stompbox.lv2.catalog import missing_specs
    from stompbox.lv2.world import lv2_path

    assert missing_specs(lv2_path()) == ()
