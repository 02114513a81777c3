"""Quarantine: a plugin the crash record names twice runs in its own jalv; the board around it
(plugins in the C core) still plays through it, and a real crash is recorded."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from stompbox.jackd import JackServer
from tests.support.audio import AudioProbe
from tests.support.engine import EngineClient, EngineProcess, FeedbackClient, start_engine

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"
DPL = "http://gareus.org/oss/lv2/dpl#mono"


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    path = tmp_path / "cache"
    path.mkdir()
    (path / "engine-crashes").write_text(f"{DPL}\n{DPL}\n{AMP}\n")  # dpl twice: isolated
    return path


@pytest.fixture
def engine(jack_server: JackServer, tmp_path: Path, cache: Path) -> Iterator[EngineProcess]:
    eng = start_engine(jack_server, tmp_path, extra_env={"STOMPBOX_CACHE_DIR": str(cache)})
    try:
        yield eng
    finally:
        eng.stop()


def jalv_children(engine_pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == engine_pid and any(part.endswith(b"jalv") for part in cmdline):
            found.append(int(entry.name))
    return found


async def test_quarantined_plugin_is_isolated_and_the_board_plays_on(
    engine: EngineProcess, jack_server: JackServer
) -> None:
    with AudioProbe(jack_server.name, name="quarantine-probe", amplitude=0.1) as probe:
        async with (
            EngineClient(engine.host, engine.port) as c,
            FeedbackClient(engine.host, engine.feedback_port) as fb,
        ):
            assert await c.cmd("output_data_ready") == "resp 0"
            assert await c.cmd(f"add {AMP} 0") == "resp 0"  # crashed once: in the C core
            assert await c.cmd(f"add {DPL} 1") == "resp 1"  # crashed twice: its own jalv
            seen = await fb.until(lambda m: m.startswith("log 2 effect_1"))
            assert "isolated" in seen[-1]
            assert len(jalv_children(engine.pid)) == 1
            # probe → amp (C core, +6 dB) → dpl (jalv) → probe
            assert await c.cmd(f"connect {probe.out()} effect_0:input") == "resp 0"
            assert await c.cmd("connect effect_0:output effect_1:in") == "resp 0"
            assert await c.cmd(f"connect effect_1:out {probe.inp()}") == "resp 0"
            assert await c.cmd("param_set 0 gain 6") == "resp 0"
            got = (await asyncio.to_thread(probe.measure_rms, 0.4, 0.3))[0] / probe.input_rms
            assert got == pytest.approx(10 ** (6 / 20), rel=0.1)
            assert await c.cmd("param_set 1 gain 3") == "resp 0"
            assert await c.cmd("param_get 1 gain") == "resp 0 3.0000"
            assert await c.cmd("remove -1") == "resp 0"
            await asyncio.sleep(0.5)
            assert jalv_children(engine.pid) == []


async def test_a_crash_is_recorded_against_the_plugin_being_instantiated(
    engine: EngineProcess, cache: Path
) -> None:
    """A fatal signal in the engine appends the plugin it was busy with (none: nothing)."""
    before = (cache / "engine-crashes").read_text()
    os.kill(engine.pid, signal.SIGSEGV)
    await asyncio.to_thread(engine.proc.wait, 15)
    assert engine.proc.returncode == -signal.SIGSEGV
    assert (cache / "engine-crashes").read_text() == before  # idle: nobody to blame
