"""Several sources into one plugin MIDI input: two plugins' MIDI outputs (internal buffers) and
a JACK MIDI client all feed one x42 midifilter passthru, whose output carries every event of
all three, in frame order within each cycle."""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator, Iterator

import jack
import pytest

from stompbox.jackd import JackServer
from tests.support.engine import EngineClient, EngineProcess
from tests.support.midi import MidiSender

pytestmark = pytest.mark.integration

PASSTHRU = "http://gareus.org/oss/lv2/midifilter#passthru"


class CycleReceiver:
    """A JACK MIDI input that keeps (cycle, frame, bytes) of every event it gets."""

    def __init__(self, server: str) -> None:
        self.client = jack.Client("merge-receiver", servername=server, no_start_server=True)
        self.port = self.client.midi_inports.register("in")
        self.events: queue.SimpleQueue[tuple[int, int, bytes]] = queue.SimpleQueue()
        self._cycle = 0
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        self._cycle += 1
        for offset, data in self.port.incoming_midi_events():
            self.events.put((self._cycle, offset, bytes(data)))

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


@pytest.fixture
async def client(module_engine: EngineProcess) -> AsyncIterator[EngineClient]:
    async with EngineClient(module_engine.host, module_engine.port) as c:
        yield c
        assert await c.cmd("remove -1") == "resp 0"


@pytest.fixture
def senders(jack_server: JackServer) -> Iterator[list[MidiSender]]:
    made = [MidiSender(jack_server.name, name=f"merge-sender-{i}") for i in range(3)]
    try:
        yield made
    finally:
        for s in made:
            s.__exit__(None, None, None)


@pytest.fixture
def receiver(jack_server: JackServer) -> Iterator[CycleReceiver]:
    r = CycleReceiver(jack_server.name)
    try:
        yield r
    finally:
        r.close()


async def test_one_midi_input_merges_every_source_in_frame_order(
    client: EngineClient, senders: list[MidiSender], receiver: CycleReceiver
) -> None:
    for n in (1, 2, 3):
        assert await client.cmd(f"add {PASSTHRU} {n}") == f"resp {n}"
    assert await client.cmd(f"connect {senders[0].port.name} effect_1:midiin") == "resp 0"
    assert await client.cmd(f"connect {senders[1].port.name} effect_2:midiin") == "resp 0"
    assert await client.cmd("connect effect_1:midiout effect_3:midiin") == "resp 0"  # internal
    assert await client.cmd("connect effect_2:midiout effect_3:midiin") == "resp 0"  # internal
    assert await client.cmd(f"connect {senders[2].port.name} effect_3:midiin") == "resp 0"
    assert await client.cmd(f"connect effect_3:midiout {receiver.port.name}") == "resp 0"
    await asyncio.sleep(0.1)  # the connections are live from the next cycle
    sent = set()
    for rounds in range(5):
        for i, sender in enumerate(senders):  # each sender: three notes in one cycle
            for k in range(3):
                note = bytes([0x90 | i, 40 + 10 * i + k, 1 + rounds])
                sender.send(note)
                sent.add(note)
        await asyncio.sleep(0.03)
    got: list[tuple[int, int, bytes]] = []
    async with asyncio.timeout(10):
        while {data for _c, _f, data in got} != sent:
            while not receiver.events.empty():
                got.append(receiver.events.get_nowait())
            await asyncio.sleep(0.02)
    by_cycle: dict[int, list[int]] = {}
    for cycle, frame, _data in got:
        by_cycle.setdefault(cycle, []).append(frame)
    assert all(frames == sorted(frames) for frames in by_cycle.values()), by_cycle
    assert len(got) == len(sent)  # nothing twice
