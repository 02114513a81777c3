"""Transport: `set_bpm`, `set_bpb` and `transport` answer as mod-host does and report `transport`
feedback; plugins that want the transport get it (a time:Position object, designated tempo
ports), and a tempo-synced delay's echo time follows the BPM in the audio."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator

import jack
import numpy as np
import pytest

from stompbox.jackd import JackServer
from tests.support.engine import EngineClient, EngineProcess, FeedbackClient

pytestmark = pytest.mark.integration

ART_DELAY = "http://lsp-plug.in/plugins/lv2/art_delay_mono"  # time:Position only
GX_DELAY = "http://guitarix.sourceforge.net/plugins/gx_digital_delay_#_digital_delay_"


@pytest.fixture
async def client(module_engine: EngineProcess) -> AsyncIterator[EngineClient]:
    async with EngineClient(module_engine.host, module_engine.port) as c:
        yield c
        assert await c.cmd("transport 0 4 120") == "resp 0"
        assert await c.cmd("remove -1") == "resp 0"


@pytest.fixture
async def feedback(module_engine: EngineProcess) -> AsyncIterator[FeedbackClient]:
    async with FeedbackClient(module_engine.host, module_engine.feedback_port) as fb:
        yield fb


async def expect(c: EngineClient, fb: FeedbackClient, wanted: str) -> None:
    """Re-arm the feedback stream until `wanted` arrives."""
    async with asyncio.timeout(15):
        while True:
            assert await c.cmd("output_data_ready") == "resp 0"
            try:
                seen = await fb.until(lambda m: m in (wanted, "data_finish"), timeout=2)
            except TimeoutError:
                continue
            if seen[-1] == wanted:
                return


async def test_tempo_commands_answer_and_report_like_mod_host(
    client: EngineClient, feedback: FeedbackClient
) -> None:
    assert await client.cmd("set_bpm 130") == "resp 0"
    assert await client.cmd("set_bpb 3") == "resp 0"
    await expect(client, feedback, "transport 0 3.000000 130.000000")
    assert await client.cmd("set_bpm 500") == "resp -207"
    assert await client.cmd("set_bpm 19.9") == "resp -207"
    assert await client.cmd("set_bpb 0") == "resp -207"
    assert await client.cmd("set_bpb 17") == "resp -207"
    assert await client.cmd("transport 1 4 100") == "resp 0"
    await expect(client, feedback, "transport 1 4.000000 100.000000")
    assert await client.cmd("transport 0 4 100") == "resp 0"
    await expect(client, feedback, "transport 0 4.000000 100.000000")
    assert await client.cmd("transport_sync link") == "resp -402"
    assert await client.cmd("transport_sync none") == "resp 0"
    assert await client.cmd("param_get 0 x") == "resp -3"  # still answering


async def test_a_plugin_gets_time_position_at_instantiation_and_on_change(
    client: EngineClient, feedback: FeedbackClient
) -> None:
    """LSP's artistic delay reports the host tempo it was given (atempo0, with sync0 on): it
    has no designated tempo port, so the value can only come from a time:Position atom."""
    assert await client.cmd("set_bpm 90") == "resp 0"
    assert await client.cmd(f"add {ART_DELAY} 1") == "resp 1"
    assert await client.cmd("param_set 1 sync0 1") == "resp 0"
    assert await client.cmd("monitor_output 1 atempo0") == "resp 1"
    await expect(client, feedback, "output_set 1 atempo0 90.000000")
    assert await client.cmd("set_bpm 150") == "resp 0"
    await expect(client, feedback, "output_set 1 atempo0 150.000000")
    assert await client.cmd("transport 1 4 75") == "resp 0"  # rolling, another tempo
    await expect(client, feedback, "output_set 1 atempo0 75.000000")


class EchoMeter:
    """Plays one impulse into the graph and records what comes back for `seconds`."""

    def __init__(self, server: str, seconds: float = 2.5) -> None:
        self.client = jack.Client("echo-meter", servername=server, no_start_server=True)
        self.out = self.client.outports.register("out")
        self.inp = self.client.inports.register("in")
        self.rate = int(self.client.samplerate)
        self.buf = np.zeros(int(seconds * self.rate), dtype=np.float32)
        self._pos = -1  # -2: fire next cycle; >= 0: recording
        self._lock = threading.Lock()
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        out = self.out.get_array()
        out[:] = 0.0
        with self._lock:
            if self._pos == -2:
                out[0] = 1.0
                self._pos = 0
            if 0 <= self._pos < len(self.buf):
                k = min(frames, len(self.buf) - self._pos)
                self.buf[self._pos : self._pos + k] = self.inp.get_array()[:k]
                self._pos += k

    def echo_delay(self) -> float:
        """Seconds from the dry impulse to its first echo in the recording."""
        with self._lock:
            self.buf[:] = 0.0
            self._pos = -2
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline:
            with self._lock:
                if self._pos >= len(self.buf):
                    break
            time.sleep(0.05)
        env = np.abs(self.buf)
        hits = np.nonzero(env > 0.3 * env.max())[0]
        assert len(hits) > 0, "nothing came back"
        later = hits[hits > hits[0] + self.rate // 20]  # past the dry click
        assert len(later) > 0, "no echo"
        return float(later[0] - hits[0]) / self.rate

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


@pytest.fixture
def echo(jack_server: JackServer) -> Iterator[EchoMeter]:
    m = EchoMeter(jack_server.name)
    try:
        yield m
    finally:
        m.close()


async def test_a_tempo_synced_delay_follows_the_bpm_in_the_audio(
    client: EngineClient, echo: EchoMeter
) -> None:
    """guitarix's digital delay in sync mode takes the tempo from its time:beatsPerMinute
    designated port: half the BPM, twice the echo time."""
    assert await client.cmd(f"add {GX_DELAY} 2") == "resp 2"
    for symbol, value in [("SYNC", 1), ("FEEDBACK", 1), ("LEVEL", 100), ("HIGHPASS", 20)]:
        assert await client.cmd(f"param_set 2 {symbol} {value}") == "resp 0"
    assert await client.cmd("connect echo-meter:out effect_2:in") == "resp 0"
    assert await client.cmd("connect effect_2:out echo-meter:in") == "resp 0"
    delays = {}
    for bpm in (120, 60, 200):
        assert await client.cmd(f"set_bpm {bpm}") == "resp 0"
        await asyncio.sleep(0.2)  # a few cycles for the tempo to reach the plugin
        delays[bpm] = await asyncio.to_thread(echo.echo_delay)
    assert delays[60] == pytest.approx(2 * delays[120], rel=0.03), delays
    assert delays[200] == pytest.approx(delays[120] * 120 / 200, rel=0.03), delays
