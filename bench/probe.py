"""`make soak` (and `python -m bench.probe`): every installed LV2 plugin in a throw-away engine.

Each plugin is added, a sine is played into its audio inputs, its audio outputs are metered
(`monitor_audio_levels`) for a few cycles, and it is removed. Printed: how many load, run
(a meter reported), stay finite (no NaN/inf peak), and crash the engine (it is restarted and
the probe goes on). Nothing is asserted. STOMPBOX_PROBE_LIMIT probes only the first N.
"""

from __future__ import annotations

import asyncio
import math
import os
import tempfile
import time
from pathlib import Path

from tests.support.audio import AudioProbe
from tests.support.engine import EngineClient, EngineProcess, FeedbackClient, start_engine

from stompbox.contract.plugin import Direction, PortType
from stompbox.jackd import JackServer
from stompbox.lv2.catalog import Catalog
from stompbox.settings import Settings

RUN_SECONDS = 0.15


async def probe_one(
    c: EngineClient,
    fb: FeedbackClient,
    probe: AudioProbe,
    uri: str,
    ins: list[str],
    outs: list[str],
) -> str:
    """'failed' (add refused), 'silent' (no peak above 0), 'nonfinite', or 'ok' (a signal)."""
    reply = await c.cmd(f"add {uri} 1", timeout=30)
    if reply != "resp 1":
        return "failed"
    try:
        for symbol in ins:
            await c.cmd(f"connect {probe.out()} effect_1:{symbol}")
        for symbol in outs:
            await c.cmd(f"monitor_audio_levels effect_1:{symbol} 1")
        await c.cmd("output_data_ready")
        peaks: dict[int, float] = {}
        deadline = time.monotonic() + RUN_SECONDS
        while time.monotonic() < deadline:
            try:
                msg = await fb.next(max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            if msg.startswith("audio_monitor "):
                _, index, value = msg.split()
                peaks[int(index)] = max(peaks.get(int(index), 0.0), float(value))
            elif msg == "data_finish":
                await c.cmd("output_data_ready")
        for symbol in reversed(outs):
            await c.cmd(f"monitor_audio_levels effect_1:{symbol} 0")
        if any(not math.isfinite(v) for v in peaks.values()):
            return "nonfinite"
        return "ok" if peaks or not outs else "silent"
    finally:
        await c.cmd("remove 1", timeout=30)


async def main() -> None:
    settings = Settings()
    catalog = await asyncio.to_thread(Catalog.load, settings.cache_dir, 48000)
    plugins = catalog.plugins()
    limit = int(os.environ.get("STOMPBOX_PROBE_LIMIT", "0")) or len(plugins)
    counts = {"ok": 0, "silent": 0, "nonfinite": 0, "failed": 0, "crashed": 0}
    bad: list[str] = []
    jackd = JackServer(f"stompbox-probe-{os.getpid()}")
    await jackd.async_start()
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as tmp, AudioProbe(jackd.name, name="probe") as probe:
            eng: EngineProcess | None = None
            for info in plugins[:limit]:
                audio = [p for p in info.ports if p.type in (PortType.AUDIO, PortType.CV)]
                ins = [p.symbol for p in audio if p.direction is Direction.INPUT]
                outs = [p.symbol for p in audio if p.direction is Direction.OUTPUT]
                if eng is None or eng.proc.poll() is not None:
                    eng = await asyncio.to_thread(start_engine, jackd, Path(tmp))
                try:
                    async with (
                        EngineClient(eng.host, eng.port, timeout=30) as c,
                        FeedbackClient(eng.host, eng.feedback_port) as fb,
                    ):
                        result = await probe_one(c, fb, probe, info.uri, ins, outs)
                except (OSError, TimeoutError, asyncio.IncompleteReadError):
                    result = "crashed" if eng.proc.poll() is not None else "failed"
                counts[result] += 1
                if result != "ok":
                    bad.append(f"  {result:9} {info.uri}")
            if eng is not None:
                await asyncio.to_thread(eng.stop)
    finally:
        await asyncio.to_thread(jackd.stop)
    total = sum(counts.values())
    print(f"probed {total} plugins in {time.perf_counter() - started:.0f} s")
    loads = total - counts["failed"] - counts["crashed"]
    finite = counts["ok"] + counts["silent"]
    print(f"loads {loads} / runs {loads} / finite {finite} / crashes {counts['crashed']}")
    print(
        f"(of the finite: {counts['ok']} with signal, {counts['silent']} silent;"
        f" non-finite {counts['nonfinite']}; refused by the engine {counts['failed']})"
    )
    for line in bad[:60]:
        print(line)


if __name__ == "__main__":
    asyncio.run(main())
