"""A slow LV2 worker never stalls the engine: convoLV2 opens its impulse response in its
worker, here a named pipe that the test opens for writing only later, so the work blocks in
open() for as long as the test wants. Meanwhile commands (also those that take the engine
lock) are answered and the audio plays on; afterwards the worker loads a regular file."""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest

from stompbox.jackd import JackServer
from tests.support.audio import AudioProbe
from tests.support.engine import EngineClient, EngineProcess

pytestmark = pytest.mark.integration

CONVO = "http://gareus.org/oss/lv2/convoLV2#Mono"
IMPULSE = "http://gareus.org/oss/lv2/convoLV2#impulse"
AMP = "http://plugin.org.uk/swh-plugins/amp"


@pytest.fixture
async def client(module_engine: EngineProcess) -> AsyncIterator[EngineClient]:
    async with EngineClient(module_engine.host, module_engine.port) as c:
        yield c
        assert await c.cmd("remove -1") == "resp 0"


@pytest.fixture
def probe(jack_server: JackServer) -> Iterator[AudioProbe]:
    with AudioProbe(jack_server.name, name="worker-probe", channels=2, amplitude=0.1) as p:
        yield p


@pytest.fixture
def fifo() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="stompbox-worker-") as tmp:
        path = Path(tmp) / "ir.wav"
        os.mkfifo(path)
        yield path


def wav_bytes(path: Path, tap: float, rate: int = 48000) -> bytes:
    """A mono 16-bit WAV with one tap, as bytes (written to a scratch file first)."""
    data = np.zeros(64)
    data[0] = tap
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((data * 32767).astype("<i2").tobytes())
    return path.read_bytes()


async def heard(probe: AudioProbe, want: float, rel: float = 0.3) -> float:
    """The convolver's gain, once it settles near `want` (the IR loads in the worker)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        got = (await asyncio.to_thread(probe.measure_rms, 0.3))[0] / probe.input_rms
        if abs(got - want) <= rel * want or loop.time() > deadline:
            return got


async def test_a_blocked_worker_stalls_no_command(
    client: EngineClient, probe: AudioProbe, fifo: Path
) -> None:
    assert await client.cmd(f"add {CONVO} 1") == "resp 1"
    assert await client.cmd(f"add {AMP} 2") == "resp 2"
    assert await client.cmd(f"connect {probe.out(0)} effect_1:in") == "resp 0"
    assert await client.cmd(f"connect effect_1:out {probe.inp(0)}") == "resp 0"
    assert await client.cmd(f"connect {probe.out(1)} effect_2:input") == "resp 0"
    assert await client.cmd(f"connect effect_2:output {probe.inp(1)}") == "resp 0"
    loud = fifo.with_name("loud.wav")
    loud.write_bytes(wav_bytes(loud, 0.5))
    assert await client.cmd(f"patch_set 1 {IMPULSE} {loud}") == "resp 0"
    first = await heard(probe, 0.5)
    assert first > 0.1
    quiet = wav_bytes(fifo.with_name("quiet.wav"), 0.125)

    # the worker now blocks opening the pipe until a writer comes
    assert await client.cmd(f"patch_set 1 {IMPULSE} {fifo}") == "resp 0"
    await asyncio.sleep(0.3)  # a few cycles: the plugin has handed the path to its worker
    async with asyncio.timeout(10):  # a wedge, not a speed, is what this catches
        assert await client.cmd("param_set 2 gain 6") == "resp 0"
        assert await client.cmd("param_get 2 gain") == "resp 0 6.0000"
        assert await client.cmd(f"add {AMP} 3") == "resp 3"  # takes the engine lock
        assert await client.cmd("connect effect_2:output effect_3:input") == "resp 0"
        assert await client.cmd("remove 3") == "resp 0"
    conv, amp = await asyncio.to_thread(probe.measure_rms, 0.3)
    assert amp / probe.input_rms == pytest.approx(10 ** (6 / 20), rel=0.1)  # plays on, +6 dB
    assert conv / probe.input_rms == pytest.approx(first, rel=0.1)  # the old IR still plays

    done = threading.Event()

    def fill() -> None:
        with open(fifo, "wb") as pipe:  # returns once the worker's open() has the pipe
            done.set()
            pipe.write(quiet)

    writer = threading.Thread(target=fill, daemon=True)
    writer.start()
    writer.join(20)
    assert done.is_set(), "the worker never opened the pipe"
    second = await heard(probe, first / 4, 0.15)  # the blocked work finished: the new IR
    assert second == pytest.approx(first / 4, rel=0.15)
