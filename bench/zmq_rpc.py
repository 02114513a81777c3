"""Benchmark zmqservice: echo RPC latency and throughput over ipc, and pub/sub event rate.

The echo server runs in its own process (`python -m bench.zmq_rpc --serve <endpoint>`), as the
session and the bridge do.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stompbox.contract.method import Method
from stompbox.zmqservice import Publisher, RpcClient, RpcServer, Subscriber

SEQUENTIAL_CALLS = 2000
CONCURRENT_CALLS = 10_000
IN_FLIGHT = 32
EVENTS = 20_000


async def _echo(params: dict[str, Any]) -> dict[str, Any]:
    return params


def _percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


async def _sequential(client: RpcClient) -> None:
    payload = {"instance_id": "fx1", "symbol": "gain", "value": 0.5}
    for _ in range(100):  # warm up
        await client.call("echo", payload)
    latencies = []
    for _ in range(SEQUENTIAL_CALLS):
        started = time.perf_counter()
        await client.call("echo", payload)
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    print(
        f"echo round trip over ipc, {SEQUENTIAL_CALLS} sequential calls: "
        f"p50 {_percentile(latencies, 0.50) * 1e6:.0f} µs, "
        f"p99 {_percentile(latencies, 0.99) * 1e6:.0f} µs, "
        f"mean {statistics.fmean(latencies) * 1e6:.0f} µs"
    )


async def _concurrent(client: RpcClient) -> None:
    remaining = iter(range(CONCURRENT_CALLS))

    async def worker() -> None:
        for n in remaining:
            result = await client.call("echo", {"n": n})
            assert result == {"n": n}

    started = time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        for _ in range(IN_FLIGHT):
            tg.create_task(worker())
    elapsed = time.perf_counter() - started
    print(
        f"echo with {IN_FLIGHT} in flight: {CONCURRENT_CALLS} calls in {elapsed:.2f} s "
        f"= {CONCURRENT_CALLS / elapsed:,.0f} calls/s"
    )


async def _events(directory: str) -> None:
    endpoint = f"ipc://{directory}/bench.pub"
    async with Publisher(endpoint) as pub, Subscriber(endpoint) as sub:
        await sub.wait_connected(20.0)
        async with asyncio.timeout(20.0):  # slow joiner: probe until one arrives
            while True:
                pub.publish("probe")
                try:
                    async with asyncio.timeout(0.05):
                        await sub.receive()
                        break
                except TimeoutError:
                    pass
        last = pub.seq + EVENTS
        started = time.perf_counter()
        for i in range(EVENTS):
            pub.publish("parameter_changed", {"instance_id": "fx1", "symbol": "gain", "value": i})
        published = time.perf_counter() - started
        async with asyncio.timeout(60.0):
            while (await sub.receive()).seq < last:
                pass
        elapsed = time.perf_counter() - started
        missed = sub.statistics().get("missed", 0)
        print(
            f"pub/sub over ipc: {EVENTS} events published in {published:.2f} s "
            f"({EVENTS / published:,.0f}/s), all received in {elapsed:.2f} s "
            f"({EVENTS / elapsed:,.0f}/s), missed {missed}"
        )


async def _serve(endpoint: str) -> None:
    server = RpcServer(endpoint, name="bench")
    server.register(Method("echo", dict, object), _echo)
    async with server:
        await server.run()


@contextlib.contextmanager
def _server_process(endpoint: str) -> Iterator[subprocess.Popen[bytes]]:
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.zmq_rpc", "--serve", endpoint], env=env
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="stompbox-bench-") as directory:
        endpoint = f"ipc://{directory}/bench.rpc"
        with _server_process(endpoint):
            async with RpcClient(endpoint, timeout=30.0, retries=50) as client:
                await client.call("echo", {}, idempotent=True)  # waits for the server to start
                await _sequential(client)
                await _concurrent(client)
        await _events(directory)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(sys.argv[2]))
    else:
        asyncio.run(main())
