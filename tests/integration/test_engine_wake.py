"""The C core wakes the control side instead of being polled: the process thread only flags
(an atomic or), its notifier thread writes the wake eventfd. Adopting a plan, and a monitored
output control that moves, make the fd readable; reading it and polling gets the reports."""

from __future__ import annotations

import os
import select

import pytest

from stompbox.engine.native import EventKind, NativeEngine
from stompbox.jackd import JackServer

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"
TUNER = "http://gareus.org/oss/lv2/tuna#one"  # output controls that move by themselves


def _woken(fd: int, within: float = 10.0) -> bool:
    readable, _, _ = select.select([fd], [], [], within)
    if not readable:
        return False
    os.read(fd, 8)
    return True


def test_a_commit_and_a_moving_output_wake_the_control_side(jack_server: JackServer) -> None:
    native = NativeEngine(jack_server.name, "wake-test")
    try:
        fd = native.wake_fd
        assert fd >= 0
        while _woken(fd, 0.5):  # whatever start-up flagged
            pass
        assert native.add(1, AMP) == 1
        assert native.commit([]) == 0
        assert _woken(fd), "adopting a plan did not wake the control side"
        native.collect()
        assert native.add(2, TUNER) == 2
        assert native.commit([]) == 0
        assert _woken(fd)
        info = native.port(2, "rms")
        assert info is not None
        assert not info.is_input
        assert native.monitor_output(2, info.index, True) == 0
        for _ in range(20):  # the level of silence settles once: at least one report comes
            if not _woken(fd, 2.0):
                break
            if any(ev.kind is EventKind.OUTPUT for ev in native.events()):
                return
        pytest.fail("no output_set report came with a wake-up")
    finally:
        native.close()
