"""A JACK MIDI source and audio probe in a process of its own, for tests whose own process cannot
serve a JACK callback in time (the sync Playwright tests): `with JackHelper(server) as jh:`.

The child (`python -m tests.support.jack_helper <server> <name>`) runs a MidiSender connected to
the engine's MIDI input and an AudioProbe, and takes one command per line on stdin: `midi <hex>`,
`feed <port>`, `record <port>`, `rms` (answers the measured RMS, or `input` for the sine's).
Every command is answered with one line (`ok`, a number, or `error …`).
"""

from __future__ import annotations

import subprocess
import sys
from types import TracebackType


class JackHelper:
    def __init__(self, server: str, name: str = "jack-helper") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.jack_helper", server, name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self._answer() != "ready":
            self.close()
            raise RuntimeError("the JACK helper did not start")

    def _answer(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def _ask(self, line: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self._answer()
        if answer.startswith("error") or not answer:
            raise RuntimeError(f"JACK helper: {line!r}: {answer or 'no answer'}")
        return answer

    def midi(self, data: bytes) -> None:
        self._ask(f"midi {data.hex()}")

    def feed(self, port: str) -> None:
        self._ask(f"feed {port}")

    def record(self, port: str) -> None:
        self._ask(f"record {port}")

    def rms(self) -> float:
        return float(self._ask("rms"))

    def input_rms(self) -> float:
        return float(self._ask("input"))

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> JackHelper:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _serve(server: str, name: str) -> None:
    from tests.support.audio import AudioProbe
    from tests.support.midi import MidiSender

    with MidiSender(server, name=f"{name}-midi") as midi, AudioProbe(server, name=name) as probe:
        midi.connect_to_engine()
        print("ready", flush=True)
        for line in sys.stdin:
            verb, _, arg = line.strip().partition(" ")
            try:
                if verb == "midi":
                    midi.send(bytes.fromhex(arg))
                    answer = "ok"
                elif verb == "feed":
                    probe.feed(arg)
                    answer = "ok"
                elif verb == "record":
                    probe.record(arg)
                    answer = "ok"
                elif verb == "rms":
                    answer = repr(probe.measure_rms(settle=0.15)[0])
                elif verb == "input":
                    answer = repr(probe.input_rms)
                else:
                    answer = f"error unknown command {verb!r}"
            except Exception as exc:  # reported to the test, which fails with it
                answer = f"error {exc}"
            print(answer, flush=True)


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2])
