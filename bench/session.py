"""Session figures end to end (session → bridge → engine → ack): set_parameter latency/throughput,
time to load a 10-plugin chain until `pedalboard_loaded`, time to switch between related boards
(each switch one engine transaction) and the quietest JACK period of a sine through the plugin the
boards share while they switch (the gap: 100 % means no period dropped below the signal's level).

Starts its own jackd (unique name), embedded engine, bridge and session processes.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support.blocks import BlockProbe
from tests.support.stack import Stack

from stompbox.settings import Settings
from stompbox.zmqservice import RpcClient, Subscriber

CHAIN = [
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
]
SWAP = ("http://drobilla.net/plugins/mda/Delay", "http://drobilla.net/plugins/mda/DubDelay")
SEQUENTIAL = 500
PIPELINED = 2000
IN_FLIGHT = 32
ROUNDS = 5


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def audio_ports(c: RpcClient, uri: str) -> tuple[str, str]:
    info = await c.call("plugin_info", {"uri": uri})
    audio = [p for p in info["ports"] if p["type"] == "audio"]
    first_in = next(p["symbol"] for p in audio if p["direction"] == "input")
    first_out = next(p["symbol"] for p in audio if p["direction"] == "output")
    return first_in, first_out


async def build_chain(c: RpcClient, name: str, uris: list[str]) -> str:
    board = (await c.call("pedalboard.create", {"name": name}))["pedalboard"]
    previous = "system:capture_1"
    for n, uri in enumerate(uris):
        iid = f"p{n}"
        await c.call("load_plugin", {"uri": uri, "instance_id": iid, "x": 100 * n})
        inp, out = await audio_ports(c, uri)
        await c.call("connect", {"source": previous, "target": f"{iid}:{inp}"})
        previous = f"{iid}:{out}"
    await c.call("connect", {"source": previous, "target": "system:playback_1"})
    await c.call("pedalboard.save")
    return str(board["id"])


async def timed_load(c: RpcClient, sub: Subscriber, board_id: str) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = await c.call("pedalboard.load", {"id": board_id})
    async with asyncio.timeout(60):
        async for ev in sub:
            if ev.event == "pedalboard_loaded" and ev.data["pedalboard"]["id"] == board_id:
                return (time.perf_counter() - t0) * 1000, result
    raise AssertionError("unreachable")


async def bench_set_parameter(c: RpcClient, bridge_rpc: str) -> None:
    iid = (await c.call("load_plugin", {"uri": CHAIN[0], "instance_id": "bench_amp"}))[
        "instance_id"
    ]
    lat = []
    for i in range(SEQUENTIAL):
        t0 = time.perf_counter()
        await c.call("set_parameter", {"instance_id": iid, "symbol": "gain", "value": -(i % 60)})
        lat.append((time.perf_counter() - t0) * 1000)
    print(
        f"session set_parameter (1 in flight, n={SEQUENTIAL}): p50 {pct(lat, 0.5):.3f} ms, "
        f"p99 {pct(lat, 0.99):.3f} ms, {1000 / statistics.mean(lat):.0f} calls/s"
    )
    direct = []
    async with RpcClient(bridge_rpc, timeout=60) as b:
        for i in range(SEQUENTIAL):
            params = {"instance_id": iid, "symbol": "gain", "value": -(i % 60)}
            t0 = time.perf_counter()
            await b.call("plugin", {"method": "set_parameter", "params": params})
            direct.append((time.perf_counter() - t0) * 1000)
    print(
        f"  for reference, bridge plugin.set_parameter straight (same moment): "
        f"p50 {pct(direct, 0.5):.3f} ms, p99 {pct(direct, 0.99):.3f} ms"
    )
    sem = asyncio.Semaphore(IN_FLIGHT)
    lat32: list[float] = []

    async def one(i: int) -> None:
        async with sem:
            t0 = time.perf_counter()
            await c.call(
                "set_parameter", {"instance_id": iid, "symbol": "gain", "value": -(i % 60)}
            )
            lat32.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(PIPELINED)))
    elapsed = time.perf_counter() - t0
    print(
        f"session set_parameter ({IN_FLIGHT} in flight, n={PIPELINED}): "
        f"{PIPELINED / elapsed:.0f} calls/s, p50 {pct(lat32, 0.5):.3f} ms, "
        f"p99 {pct(lat32, 0.99):.3f} ms"
    )
    await c.call("unload_plugin", {"instance_id": iid})


async def run(stack: Stack) -> None:
    async with RpcClient(stack.session_rpc, timeout=60) as c, Subscriber(stack.session_pub) as sub:
        await sub.wait_connected()
        await c.call("pedalboard.create", {"name": "bench scratch"})
        await bench_set_parameter(c, stack.bridge_rpc)
        chain_a = await build_chain(c, "bench chain A", CHAIN)
        # p0 (shared by both boards) also feeds playback_2: its output gets an outside JACK
        # port, which the gap probe records
        p0_out = (await audio_ports(c, CHAIN[0]))[1]
        await c.call("connect", {"source": f"p0:{p0_out}", "target": "system:playback_2"})
        await c.call("pedalboard.save")
        # board B: same chain, one plugin swapped and three knobs turned
        await c.call("pedalboard.save_as", {"name": "bench chain B"})
        board_b = (await c.call("pedalboard.current"))["id"]
        swapped = CHAIN.index(SWAP[0])
        await c.call("set_parameter", {"instance_id": "p0", "symbol": "gain", "value": -10})
        await c.call("bypass_plugin", {"instance_id": "p8", "bypassed": True})
        inp, out = await audio_ports(c, SWAP[1])
        prev_out = (await audio_ports(c, CHAIN[swapped - 1]))[1]
        next_in = (await audio_ports(c, CHAIN[swapped + 1]))[0]
        await c.call("unload_plugin", {"instance_id": f"p{swapped}"})
        await c.call("load_plugin", {"uri": SWAP[1], "instance_id": f"p{swapped}b"})
        await c.call("connect", {"source": f"p{swapped - 1}:{prev_out}",
                                 "target": f"p{swapped}b:{inp}"})  # fmt: skip
        await c.call("connect", {"source": f"p{swapped}b:{out}",
                                 "target": f"p{swapped + 1}:{next_in}"})  # fmt: skip
        await c.call("pedalboard.save")
        empty = (await c.call("pedalboard.create", {"name": "bench empty"}))["pedalboard"]["id"]

        loads, switches, gaps = [], [], []
        async with RpcClient(stack.bridge_rpc, timeout=60) as b:
            before = (await b.call("statistics"))["transactions"]
            for n in range(ROUNDS):
                await c.call("pedalboard.load", {"id": empty})
                ms, result = await timed_load(c, sub, chain_a)
                assert not result["missing"], result["missing"]
                loads.append(ms)
                number = (await b.call("state"))["instances"]["p0"]["number"]
                with BlockProbe(stack.jack.name, name=f"benchprobe{n}", channels=1) as probe:
                    probe.feed(f"effect_{number}:input", 0)
                    probe.record(f"effect_{number}:{p0_out}", 0)
                    await asyncio.sleep(0.2)
                    probe.reset_blocks()
                    await asyncio.sleep(0.05)
                    ms, _ = await timed_load(c, sub, board_b)
                    switches.append(ms)
                    ms, _ = await timed_load(c, sub, chain_a)
                    switches.append(ms)
                    await asyncio.sleep(0.05)
                    mins, _blocks = probe.min_block_rms()
                # p0's gain is -10 dB on board B: the quieter board's level is the reference
                gaps.append(mins[0] / (probe.input_rms * 10 ** (-10 / 20)))
            after = (await b.call("statistics"))["transactions"]
        print(
            f"load 10-plugin chain until pedalboard_loaded (n={ROUNDS}): "
            f"median {statistics.median(loads):.0f} ms, min {min(loads):.0f}, max {max(loads):.0f}"
        )
        print(
            f"switch between boards sharing 9 of 10 plugins (n={len(switches)}): "
            f"median {statistics.median(switches):.1f} ms, min {min(switches):.1f}, "
            f"max {max(switches):.1f}; engine transactions: {after['supported']}, "
            f"{after['committed'] - before['committed']} committed for "
            f"{len(switches) + 2 * ROUNDS} loads"
        )
        print(
            f"  quietest period of a sine through the shared plugin while switching "
            f"(n={len(gaps)} pairs): worst {100 * min(gaps):.0f} % of its level, "
            f"median {100 * statistics.median(gaps):.0f} % (a dropout reads near 0 %)"
        )


async def main() -> None:
    base = Path(tempfile.mkdtemp(prefix=f"sbx-bench-session-{os.getpid()}-"))
    stack = Stack(base, Path(Settings().cache_dir))
    try:
        await asyncio.to_thread(stack.start, "session")
        await run(stack)
    finally:
        await asyncio.to_thread(stack.stop)


if __name__ == "__main__":
    asyncio.run(main())
