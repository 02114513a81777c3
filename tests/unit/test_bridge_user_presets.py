"""User preset bundles on disk: listed again from the files (after a restart), deleted only
inside the data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from stompbox.bridge.user_presets import bundle_of, delete_bundle, read_presets
from stompbox.contract.errors import NotFoundError, ValidationError
from stompbox.engine.presets import save_preset

AMP = "http://plugin.org.uk/swh-plugins/amp"


def test_saved_bundles_are_read_back_with_plugin_and_label(tmp_path: Path) -> None:
    presets = tmp_path / "presets"
    loud, _ = save_preset(presets / "amp-loud.lv2", "loud.ttl", "Loud one", AMP, {"gain": 6.0})
    quiet, _ = save_preset(presets / "amp-quiet.lv2", "quiet.ttl", "Quiet", AMP, {"gain": -6.0})
    (presets / "junk.lv2").mkdir()  # no manifest: not a bundle
    assert read_presets(presets) == {AMP: {loud: "Loud one", quiet: "Quiet"}}
    assert read_presets(tmp_path / "missing") == {}


def test_delete_only_a_bundle_directly_in_the_preset_dir(tmp_path: Path) -> None:
    presets = tmp_path / "presets"
    uri, _ = save_preset(presets / "amp-loud.lv2", "loud.ttl", "Loud", AMP, {"gain": 6.0})
    outside, _ = save_preset(tmp_path / "elsewhere.lv2", "x.ttl", "X", AMP, {})
    (presets / "link.lv2").symlink_to(tmp_path / "elsewhere.lv2")
    for bad in (
        outside,
        (presets / "link.lv2" / "x.ttl").as_uri(),
        (presets / "amp-loud.lv2" / ".." / ".." / "elsewhere.lv2" / "x.ttl").as_uri(),
        "http://example.org/preset",
        "urn:x",
    ):
        with pytest.raises(ValidationError):
            bundle_of(presets, bad)
    with pytest.raises(NotFoundError):
        bundle_of(presets, (presets / "gone.lv2" / "gone.ttl").as_uri())
    bundle = bundle_of(presets, uri)
    delete_bundle(bundle)
    assert not bundle.exists()
    assert (tmp_path / "elsewhere.lv2" / "x.ttl").is_file()
    assert read_presets(presets) == {}
