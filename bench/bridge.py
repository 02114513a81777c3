"""Bridge RPC round trip of plugin.set_parameter: p50/p99, calls/s with 1 and 32 in flight.

Starts its own jackd, embedded engine and bridge process, loads swh amp and drives the bridge
from a Python RpcClient. Wall-clock figures depend on the machine's load, so it also prints the
CPU time each process spent per call (bridge, engine, this client), and the round trip of the
bridge's EngineClient straight to the engine (in this process, before the bridge connects).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.support.engine import start_engine, token_path

from stompbox.bridge.engine_client import EngineClient
from stompbox.bridge.instances import InstanceTable
from stompbox.bridge.validation import control_port
from stompbox.bridge.writequeue import RequestQueue
from stompbox.contract.plugin import Direction, PluginInfo, PortInfo, PortType
from stompbox.contract.values import check_value
from stompbox.jackd import JackServer
from stompbox.modhost import commands as mh
from stompbox.modhost.replies import parse_reply
from stompbox.zmqservice import RpcClient

AMP = "http://plugin.org.uk/swh-plugins/amp"
SEQUENTIAL = 2000
BURST = 10000


def start_bridge(
    base: Path, jack: JackServer, port: int, feedback_port: int
) -> subprocess.Popen[bytes]:
    run = base / "run"
    run.mkdir(mode=0o700, exist_ok=True)
    cache = Path(os.environ.get("STOMPBOX_CACHE_DIR", Path.home() / ".cache" / "stompbox"))
    env = {
        **os.environ,
        "JACK_DEFAULT_SERVER": jack.name,
        "JACK_NO_START_SERVER": "1",
        "STOMPBOX_JACK_SERVER": jack.name,
        "STOMPBOX_RUNTIME_DIR": str(run),
        "STOMPBOX_CACHE_DIR": str(cache),
        "STOMPBOX_DATA_DIR": str(base / "data"),
        "STOMPBOX_ENGINE_PORT": str(port),
        "STOMPBOX_ENGINE_FEEDBACK_PORT": str(feedback_port),
        "STOMPBOX_LOG_LEVEL": "WARNING",
    }
    log = base / "bridge.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "stompbox.cli", "bridge"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 180
    while b"bridge ready" not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"bridge did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


async def set_param(c: RpcClient, iid: str, value: float) -> Any:
    params = {"instance_id": iid, "symbol": "gain", "value": value}
    return await c.call("plugin", {"method": "set_parameter", "params": params})


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_report(pids: dict[str, int], before: dict[str, float], calls: int) -> str:
    parts = []
    for name, pid in pids.items():
        now = cpu_seconds(pid) if pid != os.getpid() else time.process_time()
        parts.append(f"{name} {(now - before[name]) / calls * 1e6:.0f}")
    return "CPU µs per call: " + ", ".join(parts)


def cpu_snapshot(pids: dict[str, int]) -> dict[str, float]:
    return {
        name: cpu_seconds(pid) if pid != os.getpid() else time.process_time()
        for name, pid in pids.items()
    }


async def engine_direct(host: str, port: int, feedback_port: int, runtime_dir: Path) -> None:
    """The bridge's EngineClient in this process, straight to the engine (no ZeroMQ)."""
    connected = asyncio.Event()

    async def on_connected() -> None:
        connected.set()

    client = EngineClient(
        host,
        port,
        feedback_port,
        timeout=30,
        on_feedback=lambda fb: None,
        on_connected=on_connected,
        on_disconnected=lambda reason: None,
        token_path=token_path(port, runtime_dir),
    )
    async with asyncio.TaskGroup() as tg:
        runner = tg.create_task(client.run())
        async with asyncio.timeout(30):
            await connected.wait()
        await client.request(mh.Add(AMP, 9000))
        times = []
        for i in range(SEQUENTIAL):
            t0 = time.perf_counter()
            await client.request(mh.ParamSet(9000, "gain", float(i % 40 - 20)))
            times.append(time.perf_counter() - t0)
        times.sort()
        print(
            f"EngineClient → engine param_set, {SEQUENTIAL} sequential: "
            f"p50 {statistics.median(times) * 1e6:.0f} µs, "
            f"p99 {times[int(len(times) * 0.99)] * 1e6:.0f} µs"
        )
        t0 = time.perf_counter()
        sem = asyncio.Semaphore(32)

        async def one(i: int) -> None:
            async with sem:
                await client.request(mh.ParamSet(9000, "gain", float(i % 40 - 20)))

        await asyncio.gather(*(one(i) for i in range(BURST)))
        dt = time.perf_counter() - t0
        coalesced = client.statistics().coalesced
        print(f"  32 in flight: {BURST / dt:,.0f} param_set/s ({coalesced} coalesced)")
        await client.request(mh.Remove(9000))
        runner.cancel()


async def measure(c: RpcClient, iid: str, pids: dict[str, int]) -> None:
    for i in range(200):  # warm up
        await set_param(c, iid, float(i % 40 - 20))
    before = cpu_snapshot(pids)
    times = []
    for i in range(SEQUENTIAL):
        t0 = time.perf_counter()
        await set_param(c, iid, float(i % 40 - 20))
        times.append(time.perf_counter() - t0)
    times.sort()
    p50 = statistics.median(times) * 1e6
    p99 = times[int(len(times) * 0.99)] * 1e6
    print(f"set_parameter round trip, {SEQUENTIAL} sequential: p50 {p50:.0f} µs, p99 {p99:.0f} µs")
    print(f"  1 in flight: {1 / statistics.mean(times):,.0f} calls/s")
    print("  " + cpu_report(pids, before, SEQUENTIAL))
    for in_flight in (32,):
        counter = iter(range(BURST))
        before = cpu_snapshot(pids)
        t0 = time.perf_counter()

        async def worker(counter: Iterator[int] = counter) -> None:
            for i in counter:
                await set_param(c, iid, float(i % 40 - 20))

        await asyncio.gather(*(worker() for _ in range(in_flight)))
        dt = time.perf_counter() - t0
        print(f"  {in_flight} in flight: {BURST / dt:,.0f} calls/s ({BURST} calls in {dt:.2f} s)")
        print("  " + cpu_report(pids, before, BURST))
    stats = await c.call("statistics")
    engine = stats.get("engine", {})
    print(
        f"  engine client: {engine.get('requests', 0)} requests, "
        f"{engine.get('coalesced', 0)} coalesced, {engine.get('writes', 0)} socket writes"
    )


def logic_cost() -> None:
    """CPU per set_parameter of the bridge's own logic, without sockets: look-up, validation,
    encode, queue, reply parsing (what the bridge adds on top of ZeroMQ and TCP)."""
    plugin = PluginInfo(
        uri=AMP,
        name="Simple amplifier",
        ports=[
            PortInfo(
                index=0, symbol="gain", name="gain", type=PortType.CONTROL,
                direction=Direction.INPUT, minimum=-70.0, maximum=70.0, default=0.0,
            )
        ],
    )  # fmt: skip
    table = InstanceTable()
    table.reserve("amp")
    table.commit("amp", plugin)
    queue: RequestQueue[None] = RequestQueue()
    n = 50_000
    t0 = time.process_time()
    for i in range(n):
        inst = table.get("amp")
        port = control_port(inst.plugin, "gain", Direction.INPUT)
        cmd = mh.ParamSet(inst.number, "gain", check_value(port, float(i % 40 - 20)))
        queue.submit(cmd, None, mh.encode(cmd))
        queue.take()
        parse_reply(queue.answered().command, "resp 0")
    dt = time.process_time() - t0
    print(f"bridge logic per set_parameter (no I/O): {dt / n * 1e6:.1f} µs CPU")


async def main() -> None:
    logic_cost()
    jack = JackServer(f"stompbox-bench-bridge-{os.getpid()}")
    await jack.async_start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            run = {"STOMPBOX_RUNTIME_DIR": str(base / "run")}  # where the bridge finds the token
            eng = await asyncio.to_thread(start_engine, jack, base, extra_env=run)
            try:
                await engine_direct(eng.host, eng.port, eng.feedback_port, base / "run")
                t0 = time.perf_counter()
                bridge = await asyncio.to_thread(
                    start_bridge, base, jack, eng.port, eng.feedback_port
                )
                print(f"bridge start (to ready): {time.perf_counter() - t0:.2f} s")
                try:
                    async with RpcClient(f"ipc://{base}/run/bridge.rpc", timeout=30) as c:
                        while not (await c.call("state"))["engine_connected"]:
                            await asyncio.sleep(0.05)
                        loaded = await c.call("plugin", {"method": "load", "params": {"uri": AMP}})
                        pids = {"bridge": bridge.pid, "engine": eng.pid, "client": os.getpid()}
                        await measure(c, loaded["instance_id"], pids)
                finally:
                    await asyncio.to_thread(stop, bridge)
            finally:
                await asyncio.to_thread(eng.stop)
    finally:
        await asyncio.to_thread(jack.stop)


if __name__ == "__main__":
    asyncio.run(main())
