"""Fixtures: one real jackd (dummy driver) per test run, under a unique server name."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from stompbox.jackd import JackServer


@pytest.fixture(scope="session")
def jack_server(
    tmp_path_factory: pytest.TempPathFactory, catalog_cache_dir: Path
) -> Iterator[JackServer]:
    """The run's JACK server; it asks for the warm LV2 catalog first so nothing scans cold later."""
    name = f"stompbox-test-{os.getpid()}"
    log = tmp_path_factory.mktemp("jack") / "jackd.log"
    server = JackServer(name, log_path=log)
    server.start()
    # clients made by the tests (and their child processes) find this server by default
    os.environ.update(server.env())
    try:
        yield server
    finally:
        server.stop()
