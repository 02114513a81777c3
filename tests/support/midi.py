"""A JACK MIDI source for tests: one MIDI output port whose queued messages go out in the next
cycles (a few per cycle), connected to the engine's `stompbox:midi_in`."""

from __future__ import annotations

import queue
from types import TracebackType

import jack

PER_CYCLE = 64  # messages written per JACK period at most


class MidiSender:
    """A JACK client with one MIDI output; `send(bytes)` goes out in its next cycle."""

    def __init__(self, server: str, name: str = "midi-sender") -> None:
        self.client = jack.Client(name, servername=server, no_start_server=True)
        self.port = self.client.midi_outports.register("out")
        self._queue: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        self.port.clear_buffer()
        offset = 0
        while not self._queue.empty() and offset < min(frames, PER_CYCLE):
            try:
                self.port.write_midi_event(offset, self._queue.get_nowait())
            except jack.JackError:  # the port's buffer is full: the rest waits a cycle
                break
            offset += 1

    def send(self, data: bytes) -> None:
        self._queue.put(data)

    def pending(self) -> bool:
        return not self._queue.empty()

    def connect_to_engine(self) -> None:
        ins = self.client.get_ports(is_midi=True, is_input=True)
        engine = next(p for p in ins if p.name.endswith(":midi_in") and "stompbox" in p.name)
        self.client.connect(self.port, engine)

    def __enter__(self) -> MidiSender:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.client.deactivate()
        self.client.close()
