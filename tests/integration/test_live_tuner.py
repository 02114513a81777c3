"""The tuner on the real stack: a hidden x42 tuna instance reads sines played into its input."""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stompbox.zmqservice import RpcClient
from tests.support.audio import AudioProbe
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

TONES = ((82.41, "E", 2), (110.0, "A", 2), (440.0, "A", 4), (1318.5, "E", 6))
_names = itertools.count()
STREAK = 10


def cents_off(frequency: float, reference: float = 440.0) -> float:
    midi = 69 + 12 * math.log2(frequency / reference)
    return (midi - round(midi)) * 100


async def steady_reading(c: RpcClient, note: str, timeout: float = 30.0) -> dict[str, Any]:
    """The tuner's reading once it names `note` and the needle has settled (the last STREAK
    readings within half a cent of each other), the way a player waits for the needle."""
    deadline = time.monotonic() + timeout
    streak: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        reading = await c.call("tuner.state")
        streak = [*streak, reading][-STREAK:] if reading["note"] == note else []
        cents = [r["cents"] for r in streak]
        if len(streak) == STREAK and max(cents) - min(cents) <= 0.5:
            return dict(streak[-1])
        await asyncio.sleep(0.1)
    raise AssertionError(f"tuner never settled on {note}: {await c.call('tuner.state')}")


@pytest.fixture
def calm_stack(tmp_path: Path, catalog_cache_dir: Path) -> Iterator[Stack]:
    """A stack on a jackd with 1024-frame periods: on this shared 2-core machine 128-frame
    periods xrun many times a second, and a signal full of gaps has no pitch to read."""
    s = Stack(tmp_path / "tuner-stack", catalog_cache_dir)
    s.jack.period = 1024
    try:
        yield s.start()
    finally:
        s.stop()


async def test_tuner_reads_sines_within_two_cents(calm_stack: Stack) -> None:
    stack = calm_stack
    async with (
        RpcClient(stack.session_rpc, timeout=30.0) as c,
        RpcClient(stack.bridge_rpc, timeout=30.0) as b,
    ):
        await c.call("pedalboard.create", {"name": f"tuner board {time.time_ns()}"})
        reading = await c.call("tuner.start", {"mute": True})
        assert reading["active"]
        assert reading["muted"]
        state = await b.call("state")
        number = state["instances"]["stompbox-tuner"]["number"]
        board = (await c.call("state"))["pedalboard"]
        assert all(p["instance_id"] != "stompbox-tuner" for p in board["plugins"])
        try:
            for freq, note, octave in TONES:
                name = f"tuneprobe{next(_names)}"
                with AudioProbe(stack.jack.name, name=name, frequency=freq, amplitude=0.3) as p:
                    p.feed(f"effect_{number}:in")
                    got = await steady_reading(c, note)
                assert got["octave"] == octave, got
                expected = cents_off(freq)
                assert abs(got["cents"] - expected) <= 2.0, (freq, got)
                assert got["frequency"] == pytest.approx(freq, rel=0.02), got  # one raw reading
        finally:
            stopped = await c.call("tuner.stop")
        assert not stopped["active"]
        assert (await c.call("engine.status"))["processing"] is True  # unmuted again
        assert "stompbox-tuner" not in (await b.call("state"))["instances"]
        with pytest.raises(Exception, match="reference"):
            await c.call("tuner.start", {"reference": 10.0})
