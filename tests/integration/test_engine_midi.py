"""MIDI into the engine: a JACK MIDI client sends CCs and program changes to `stompbox:midi_in`;
mapped controls move (read back, reported, heard), learn and unmap follow mod-host's replies."""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator, Iterator

import jack
import pytest

from stompbox.jackd import JackServer
from tests.support.audio import AudioProbe
from tests.support.engine import EngineClient, EngineProcess, FeedbackClient
from tests.support.midi import MidiSender

pytestmark = pytest.mark.integration
PROBE_AMPLITUDE = 0.05

AMP = "http://plugin.org.uk/swh-plugins/amp"


class MidiReceiver:
    """A JACK client with one MIDI input that keeps every event it gets."""

    def __init__(self, server: str) -> None:
        self.client = jack.Client("midi-receiver", servername=server, no_start_server=True)
        self.port = self.client.midi_inports.register("in")
        self.events: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        for _offset, data in self.port.incoming_midi_events():
            self.events.put(bytes(data))

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


@pytest.fixture
async def client(client: EngineClient) -> AsyncIterator[EngineClient]:
    yield client
    assert await client.cmd("monitor_midi_program 0 0") == "resp 0"  # then the board: remove -1


@pytest.fixture
def midi(jack_server: JackServer, module_engine: EngineProcess) -> Iterator[MidiSender]:
    with MidiSender(jack_server.name) as sender:
        sender.connect_to_engine()
        yield sender


async def rms(probe: AudioProbe) -> float:
    return (await asyncio.to_thread(probe.measure_rms, 0.3))[0] / probe.input_rms


def is_(prefix: str) -> object:
    return lambda m: m.startswith(prefix)


async def test_cc_moves_a_mapped_control(
    client: EngineClient, feedback: FeedbackClient, midi: MidiSender, probe: AudioProbe
) -> None:
    assert await client.cmd("output_data_ready") == "resp 0"
    assert await client.cmd(f"add {AMP} 0") == "resp 0"
    assert await client.cmd(f"connect {probe.out()} effect_0:input") == "resp 0"
    assert await client.cmd(f"connect effect_0:output {probe.inp()}") == "resp 0"
    assert await rms(probe) == pytest.approx(1.0, rel=0.05)
    assert await client.cmd("midi_map 0 gain 0 7 -12 12") == "resp 1"  # inverted: 1 is success
    midi.send(bytes([0xB0, 7, 127]))  # CC 7 full on channel 1 → +12 dB
    seen = await feedback.until(is_("param_set 0 gain"))
    assert seen[-1] == "param_set 0 gain 12.000000"
    assert await client.cmd("param_get 0 gain") == "resp 0 12.0000"
    assert await rms(probe) == pytest.approx(10 ** (12 / 20), rel=0.08)
    midi.send(bytes([0xB1, 7, 0]))  # another channel: not mapped
    midi.send(bytes([0xB0, 7, 0]))
    assert await client.cmd("output_data_ready") == "resp 0"
    seen = await feedback.until(is_("param_set 0 gain"))
    assert seen[-1] == "param_set 0 gain -12.000000"
    assert await client.cmd("midi_unmap 0 gain") == "resp 1"
    assert await client.cmd("midi_unmap 0 gain") == "resp 0"  # none left
    assert await client.cmd("midi_map 0 nosuch 0 7 0 1") == "resp 0"
    assert await client.cmd("midi_map 9 gain 0 7 0 1") == "resp 0"
    assert await client.cmd("midi_map 0 gain 16 7 0 1") == "resp 0"


async def test_learn_and_program_change(
    client: EngineClient, feedback: FeedbackClient, midi: MidiSender
) -> None:
    assert await client.cmd("output_data_ready") == "resp 0"
    assert await client.cmd(f"add {AMP} 2") == "resp 2"
    assert await client.cmd("midi_learn 2 gain -10 10") == "resp 1"
    await asyncio.sleep(0.05)
    midi.send(bytes([0xB3, 60, 127]))  # channel 4, CC 60
    seen = await feedback.until(is_("midi_mapped 2 gain"))
    assert seen[-1] == "midi_mapped 2 gain 3 60 10.000000 -10.000000 10.000000"
    assert await client.cmd("param_get 2 gain") == "resp 0 10.0000"

    assert await client.cmd("monitor_midi_program 16 1") == "resp -902"
    assert await client.cmd("monitor_midi_program 0 1") == "resp 0"
    await asyncio.sleep(0.05)
    midi.send(bytes([0xC0, 5]))
    assert await client.cmd("output_data_ready") == "resp 0"
    seen = await feedback.until(is_("midi_program_change"))
    assert seen[-1] == "midi_program_change 5 0"
    midi.send(bytes([0xB0, 64, 100]))  # an unmapped CC on a monitored channel
    assert await client.cmd("output_data_ready") == "resp 0"
    seen = await feedback.until(is_("midi_control_change"))
    assert seen[-1] == "midi_control_change 0 64 100"
    midi.send(bytes([0xC1, 9]))  # channel 2 is not monitored: nothing
    midi.send(bytes([0xFF, 0xF8, 0x90]))  # junk bytes change nothing and crash nothing
    assert await client.cmd("param_get 2 gain") == "resp 0 10.0000"


async def test_a_plugin_gets_and_gives_midi_through_jack(
    client: EngineClient, midi: MidiSender, jack_server: JackServer
) -> None:
    """sender → (JACK MIDI) → x42 midifilter passthru (atom in/out, C core) → receiver."""
    receiver = MidiReceiver(jack_server.name)
    try:
        passthru = "http://gareus.org/oss/lv2/midifilter#passthru"
        assert await client.cmd(f"add {passthru} 4") == "resp 4"
        assert await client.cmd(f"connect {midi.port.name} effect_4:midiin") == "resp 0"
        assert await client.cmd(f"connect effect_4:midiout {receiver.port.name}") == "resp 0"
        await asyncio.sleep(0.1)
        midi.send(bytes([0x90, 60, 100]))  # note on
        midi.send(bytes([0x80, 60, 0]))
        got = []
        for _ in range(100):
            while not receiver.events.empty():
                got.append(receiver.events.get_nowait())
            if len(got) >= 2:
                break
            await asyncio.sleep(0.02)
        assert got[:2] == [bytes([0x90, 60, 100]), bytes([0x80, 60, 0])]
    finally:
        receiver.close()
