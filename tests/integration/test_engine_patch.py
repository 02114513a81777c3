"""File parameters: `patch_set` of an `atom:Path` property loads an impulse response into an
installed IR loader (x42 convoLV2) and the audio shows it; `patch_get` and bad input."""

from __future__ import annotations

import asyncio
import tempfile
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.support.audio import AudioProbe
from tests.support.engine import EngineClient, EngineProcess, FeedbackClient

pytestmark = pytest.mark.integration
PROBE_AMPLITUDE = 0.1

CONVO = "http://gareus.org/oss/lv2/convoLV2#Mono"
IMPULSE = "http://gareus.org/oss/lv2/convoLV2#impulse"
AMP = "http://plugin.org.uk/swh-plugins/amp"


@pytest.fixture
def scratch() -> Iterator[Path]:
    """Files that must outlive a slow test (pytest's own basetemp rotates when other pytest
    sessions run on this machine as the same user)."""
    with tempfile.TemporaryDirectory(prefix="stompbox-patch-") as tmp:
        yield Path(tmp)


def write_ir(path: Path, taps: list[float], rate: int = 48000) -> Path:
    """A mono 16-bit WAV impulse response with these first samples."""
    data = np.zeros(64, dtype=np.float64)
    data[: len(taps)] = taps
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((data * 32767).astype("<i2").tobytes())
    return path


async def rms(probe: AudioProbe) -> float:
    return (await asyncio.to_thread(probe.measure_rms, 0.4, 0.3))[0] / probe.input_rms


async def wait_rms(probe: AudioProbe, want: float, rel: float, timeout: float = 20.0) -> float:
    """The IR loads in the plugin's worker: poll the output until it settles near `want`."""
    got = await rms(probe)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while abs(got - want) > rel * want and loop.time() < deadline:
        got = await rms(probe)
    return got


async def test_ir_file_changes_the_output(
    client: EngineClient, feedback: FeedbackClient, probe: AudioProbe, scratch: Path
) -> None:
    assert await client.cmd("output_data_ready") == "resp 0"
    assert await client.cmd(f"add {CONVO} 0") == "resp 0"
    assert await client.cmd(f"connect {probe.out()} effect_0:in") == "resp 0"
    assert await client.cmd(f"connect effect_0:out {probe.inp()}") == "resp 0"
    loud = write_ir(scratch / "loud.wav", [0.5])
    quiet = write_ir(scratch / "quiet.wav", [0.125])

    assert await client.cmd(f"patch_set 0 {IMPULSE} {loud}") == "resp 0"
    seen = await feedback.until(lambda m: m.startswith(f"patch_set 0 {IMPULSE} p "), timeout=20)
    assert seen[-1] == f"patch_set 0 {IMPULSE} p {loud}"
    first = await wait_rms(probe, 0.5, 0.3)
    assert await client.cmd(f"patch_set 0 {IMPULSE} {quiet}") == "resp 0"
    second = await wait_rms(probe, first / 4, 0.15)
    assert second == pytest.approx(first / 4, rel=0.15)  # the new file is what plays

    current = f"patch_set 0 {IMPULSE} p {quiet}"
    while current not in await feedback.until(lambda m: m == "data_finish", timeout=20):
        assert await client.cmd("output_data_ready") == "resp 0"
    assert await client.cmd("output_data_ready") == "resp 0"
    assert await client.cmd(f"patch_get 0 {IMPULSE}") == "resp 0"
    seen = await feedback.until(lambda m: m.startswith(f"patch_set 0 {IMPULSE} p "), timeout=20)
    assert seen[-1] == f"patch_set 0 {IMPULSE} p {quiet}"


async def test_patch_bad_input(client: EngineClient, probe: AudioProbe, tmp_path: Path) -> None:
    assert await client.cmd(f"add {CONVO} 1") == "resp 1"
    assert await client.cmd(f"add {AMP} 2") == "resp 2"
    assert await client.cmd(f"patch_set 9 {IMPULSE} /x.wav") == "resp -3"
    assert await client.cmd("patch_set 1 http://example.org/nosuch 1") == "resp -101"
    assert await client.cmd(f"patch_set 2 {IMPULSE} /x.wav") == "resp -902"  # no atom input
    assert await client.cmd(f"patch_set 1 {IMPULSE} /{'x' * 5000}.wav") == "resp -901"
    # a missing file and a file that is not a WAV change nothing and crash nothing
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wave file" * 100)
    assert await client.cmd(f"patch_set 1 {IMPULSE} {tmp_path / 'missing.wav'}") == "resp 0"
    assert await client.cmd(f"patch_set 1 {IMPULSE} {junk}") == "resp 0"
    assert await client.cmd(f"connect {probe.out()} effect_2:input") == "resp 0"
    assert await client.cmd(f"connect effect_2:output {probe.inp()}") == "resp 0"
    assert await rms(probe) == pytest.approx(1.0, rel=0.05)  # the engine plays on


async def test_plugin_state_survives_preset_save_and_load(
    client: EngineClient,
    feedback: FeedbackClient,
    probe: AudioProbe,
    module_engine: EngineProcess,
    scratch: Path,
) -> None:
    """preset_save keeps the loaded IR (the plugin's own state), preset_load into a fresh
    instance brings it back: the audio shows the IR again."""
    loud = write_ir(scratch / "state-loud.wav", [0.5])
    assert await client.cmd(f"add {CONVO} 3") == "resp 3"
    assert await client.cmd(f"connect {probe.out()} effect_3:in") == "resp 0"
    assert await client.cmd(f"connect effect_3:out {probe.inp()}") == "resp 0"
    assert await client.cmd(f"patch_set 3 {IMPULSE} {loud}") == "resp 0"
    with_ir = await wait_rms(probe, 0.5, 0.3)
    bundle = module_engine.data_dir / "presets" / f"convo-state-{scratch.name}.lv2"
    assert await client.cmd(f"preset_save 3 with-ir {bundle} ir.ttl") == "resp 0"
    text = (bundle / "ir.ttl").read_text()
    assert "convoLV2" in text
    assert (bundle / "manifest.ttl").is_file()
    assert not [p for p in bundle.iterdir() if p.name.startswith(".save-")]

    assert await client.cmd("remove 3") == "resp 0"
    assert await client.cmd(f"add {CONVO} 4") == "resp 4"
    assert await client.cmd(f"connect {probe.out()} effect_4:in") == "resp 0"
    assert await client.cmd(f"connect effect_4:out {probe.inp()}") == "resp 0"
    empty = await rms(probe)
    assert await client.cmd(f"preset_load 4 {(bundle / 'ir.ttl').as_uri()}") == "resp 0"
    restored = await wait_rms(probe, with_ir, 0.15)
    assert restored == pytest.approx(with_ir, rel=0.15)
    assert abs(empty - with_ir) > 0.1 * with_ir  # a fresh instance sounds different
