"""Embedded engine over TCP: param_set round trip, add time per plugin, 10-plugin chain build."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from tests.support.engine import EngineClient, start_engine

from stompbox.contract.plugin import Direction, PortType
from stompbox.jackd import JackServer
from stompbox.lv2.scan import scan_plugin
from stompbox.lv2.world import World

CHAIN = (
    "http://plugin.org.uk/swh-plugins/amp",
    "http://gareus.org/oss/lv2/fil4#mono",
    "http://guitarix.sourceforge.net/plugins/gx_amp#GUITARIX",
    "http://lsp-plug.in/plugins/lv2/compressor_mono",
    "http://drobilla.net/plugins/mda/Delay",
    "http://calf.sourceforge.net/plugins/Reverb",
    "http://gareus.org/oss/lv2/dpl#mono",
    "http://gareus.org/oss/lv2/darc#mono",
    "http://plugin.org.uk/swh-plugins/flanger",
    "http://guitarix.sourceforge.net/plugins/gx_cabinet#CABINET",
)
PARAM_CALLS = 2000


def first_audio_ports(uris: tuple[str, ...]) -> list[tuple[str, str]]:
    """(first audio input symbol, first audio output symbol) of each plugin (stereo: channel 1)."""
    result = []
    with World() as world:
        for uri in uris:
            plugin = world.plugin(uri)
            if plugin is None:
                raise RuntimeError(f"plugin not installed: {uri}")
            ports = sorted(scan_plugin(world, plugin).info.ports, key=lambda p: p.index)
            audio = [p for p in ports if p.type is PortType.AUDIO]
            inp = next(p.symbol for p in audio if p.direction is Direction.INPUT)
            out = next(p.symbol for p in audio if p.direction is Direction.OUTPUT)
            result.append((inp, out))
    return result


def chain_commands(ports: list[tuple[str, str]], base: int) -> tuple[list[str], list[str]]:
    adds = [f"add {uri} {base + i}" for i, uri in enumerate(CHAIN)]
    sources = ["system:capture_1"] + [
        f"effect_{base + i}:{out}" for i, (_, out) in enumerate(ports)
    ]
    targets = [f"effect_{base + i}:{inp}" for i, (inp, _) in enumerate(ports)]
    targets.append("system:playback_1")
    return adds, [f"connect {s} {t}" for s, t in zip(sources, targets, strict=True)]


async def pipelined(c: EngineClient, lines: list[str]) -> list[str]:
    await c.send_raw(b"".join(line.encode() + b"\0" for line in lines))
    return [await c.read_reply(30) for _ in lines]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bench(c: EngineClient, ports: list[tuple[str, str]]) -> None:
    # param_set round trip
    assert await c.cmd(f"add {CHAIN[0]} 0") == "resp 0"
    for _ in range(200):  # warm-up
        await c.cmd("param_set 0 gain 1.5")
    times = []
    for i in range(PARAM_CALLS):
        t0 = time.perf_counter()
        reply = await c.cmd(f"param_set 0 gain {i % 12}")
        times.append(time.perf_counter() - t0)
        assert reply == "resp 0", reply
    print(
        f"param_set round trip ({PARAM_CALLS} calls): p50 {pct(times, 0.5) * 1e6:.0f} µs, "
        f"p99 {pct(times, 0.99) * 1e6:.0f} µs, mean {statistics.mean(times) * 1e6:.0f} µs"
    )
    assert await c.cmd("remove -1") == "resp 0"

    # add time per plugin (one at a time)
    per = []
    for i, uri in enumerate(CHAIN):
        t0 = time.perf_counter()
        reply = await c.cmd(f"add {uri} {i}", timeout=30)
        dt = time.perf_counter() - t0
        per.append(dt)
        print(f"  add {uri}: {dt * 1e3:.0f} ms ({reply})")
    print(
        f"add, one at a time: mean {statistics.mean(per) * 1e3:.0f} ms, max {max(per) * 1e3:.0f} ms"
    )
    assert await c.cmd("remove -1") == "resp 0"

    # the 10-plugin chain with 11 connects: pipelined adds, then the connects
    adds, connects = chain_commands(ports, 0)
    t0 = time.perf_counter()
    replies = await pipelined(c, adds + connects)
    dt = time.perf_counter() - t0
    bad = [
        (line, r)
        for line, r in zip(adds + connects, replies, strict=True)
        if r.startswith("resp -")
    ]
    print(
        f"chain (10 pipelined adds + 11 connects): {dt * 1e3:.0f} ms",
        f"ERRORS {bad}" if bad else "",
    )
    t0 = time.perf_counter()
    assert await c.cmd("remove -1") == "resp 0"
    print(f"remove -1 of the chain: {(time.perf_counter() - t0) * 1e3:.0f} ms")

    # the same with multi_add
    items = " ".join(f"{uri} {i}" for i, uri in enumerate(CHAIN))
    t0 = time.perf_counter()
    replies = [await c.cmd(f"multi_add {len(CHAIN)} {items}", timeout=30)]
    replies += await pipelined(c, connects)
    dt = time.perf_counter() - t0
    bad2 = [r for r in replies if r.startswith("resp -")]
    print(
        f"chain (multi_add + 11 connects): {dt * 1e3:.0f} ms",
        f"ERRORS {bad2}" if bad2 else "",
    )
    assert await c.cmd("remove -1") == "resp 0"


async def main() -> None:
    ports = first_audio_ports(CHAIN)
    jack = JackServer(f"stompbox-bench-engine-{os.getpid()}")
    await jack.async_start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            eng = await asyncio.to_thread(start_engine, jack, Path(tmp))
            try:
                async with EngineClient(eng.host, eng.port, timeout=30) as c:
                    await bench(c, ports)
            finally:
                await asyncio.to_thread(eng.stop)
                warnings = [ln for ln in eng.log().splitlines() if "WARNING" in ln or "ERROR" in ln]
                for line in warnings[:10]:
                    print(f"  engine log: {line}")
    finally:
        await asyncio.to_thread(jack.stop)


if __name__ == "__main__":
    asyncio.run(main())
