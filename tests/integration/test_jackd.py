"""The jackd launcher: start, adopt, and reclaim the registry slot of a server that was killed."""

from __future__ import annotations

import os
import signal

from stompbox.jackd import JackServer, reclaim_stale_servers, server_running, stale_servers


def test_a_killed_server_is_found_stale_and_reclaimed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    name = f"stompbox-stale-{os.getpid()}"
    server = JackServer(name, log_path=tmp_path / "jackd.log")
    server.start()
    assert server_running(name)
    assert server.proc is not None
    os.kill(server.proc.pid, signal.SIGKILL)  # leaves its registry slot behind
    server.proc.wait(10)
    server.owned = False
    assert not server_running(name)
    assert name in stale_servers()
    assert name in reclaim_stale_servers()
    assert name not in stale_servers()
    assert not server_running(name)


def test_start_adopts_a_running_server_and_leaves_it_running(tmp_path) -> None:  # type: ignore[no-untyped-def]
    name = f"stompbox-adopt-{os.getpid()}"
    with JackServer(name, log_path=tmp_path / "jackd.log"):
        other = JackServer(name)
        other.start()
        assert not other.owned
        other.stop()
        assert server_running(name)
    assert not server_running(name)
