"""The embedded engine over TCP, and a real mod-host beside it when given: the same figures.

`make bench` (or `python -m bench engine`) measures the embedded engine; with
`STOMPBOX_BENCH_MODHOST=/path/to/mod-host` it runs the same script against that mod-host on a
jackd of its own and prints the ratios. `STOMPBOX_BENCH_IDLE` sets the idle-CPU window (30 s).
Figures: param_set round trip p50/p99, pipelined param_set rate, add per plugin (median),
the 10-plugin chain build (pipelined adds + 11 connects), remove -1, idle CPU of the chain
(engine processes + jackd, from /proc) and JACK xruns meanwhile. Nothing is asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jack
from tests.support.engine import EngineClient, FeedbackClient, free_port_pair, start_engine

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
PIPELINED_CALLS = 20000
PIPELINE_BURST = 40  # x ~22 bytes: one recv() of mod-host's 1 KiB buffer
CLK_TCK = os.sysconf("SC_CLK_TCK")


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
    return [await c.read_reply(60) for _ in lines]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- processes and CPU -------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


class XrunCounter:
    """A passive JACK client on the bench's server that counts xrun notifications."""

    def __init__(self, server: str) -> None:
        self.count = 0
        self._client = jack.Client("bench-xruns", servername=server, no_start_server=True)
        self._client.set_xrun_callback(self._xrun)
        self._client.activate()

    def _xrun(self, delay: float) -> None:
        self.count += 1

    def close(self) -> None:
        self._client.deactivate()
        self._client.close()


# -- targets -------------------------------------------------------------------------------------


@dataclass
class Target:
    label: str
    host: str
    port: int
    pid: int
    stop: Callable[[], object]


@dataclass
class Figures:
    label: str
    values: dict[str, float] = field(default_factory=dict)


def start_modhost(binary: str, jackd: JackServer) -> Target:
    port = free_port_pair()
    env = {**os.environ, "JACK_DEFAULT_SERVER": jackd.name, "JACK_NO_START_SERVER": "1"}
    cmd = [binary, "-n", "-p", str(port), "-f", str(port + 1)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mod-host exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            break  # mod-host takes this probe as its first client and waits for its feedback
        time.sleep(0.05)
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port + 1), 1):
        pass

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    return Target("mod-host", "127.0.0.1", port, proc.pid, stop)


def start_stompbox(jackd: JackServer, tmp: Path) -> Target:
    eng = start_engine(jackd, tmp)
    return Target("stompbox", eng.host, eng.port, eng.pid, eng.stop)


# -- the measurements ----------------------------------------------------------------------------


async def measure(
    c: EngineClient,
    ports: list[tuple[str, str]],
    fig: Figures,
    jackd: JackServer,
    pid: int,
    idle: float,
) -> None:
    v = fig.values
    assert await c.cmd(f"add {CHAIN[0]} 0") == "resp 0"
    for _ in range(200):  # warm-up
        await c.cmd("param_set 0 gain 1.5")
    times = []
    for i in range(PARAM_CALLS):
        t0 = time.perf_counter()
        reply = await c.cmd(f"param_set 0 gain {i % 12}")
        times.append(time.perf_counter() - t0)
        assert reply == "resp 0", reply
    v["param_set p50 µs"] = pct(times, 0.5) * 1e6
    v["param_set p99 µs"] = pct(times, 0.99) * 1e6
    # pipelined in bursts under 1 KiB: mod-host parses each recv() chunk on its own
    lines = [f"param_set 0 gain {i % 12}" for i in range(PIPELINED_CALLS)]
    replies = []
    t0 = time.perf_counter()
    for start in range(0, len(lines), PIPELINE_BURST):
        replies += await pipelined(c, lines[start : start + PIPELINE_BURST])
    v["pipelined param_set /s"] = PIPELINED_CALLS / (time.perf_counter() - t0)
    v["pipelined non-`resp 0` replies"] = float(sum(r != "resp 0" for r in replies))
    assert await c.cmd("remove -1") == "resp 0"

    per = []
    for i, uri in enumerate(CHAIN):
        t0 = time.perf_counter()
        reply = await c.cmd(f"add {uri} {i}", timeout=30)
        per.append(time.perf_counter() - t0)
        if reply.startswith("resp -"):
            print(f"  {fig.label}: add {uri}: {reply}")
    v["median add ms"] = statistics.median(per) * 1e3
    v["max add ms"] = max(per) * 1e3
    assert await c.cmd("remove -1") == "resp 0"

    adds, connects = chain_commands(ports, 0)
    builds = []
    for _ in range(3):
        t0 = time.perf_counter()
        replies = await pipelined(c, adds + connects)
        builds.append(time.perf_counter() - t0)
        bad = [r for r in replies if r.startswith("resp -")]
        if bad:
            print(f"  {fig.label}: chain errors {bad}")
        t0 = time.perf_counter()
        assert await c.cmd("remove -1") == "resp 0"
        v["remove -1 ms"] = (time.perf_counter() - t0) * 1e3
    v["chain build ms"] = statistics.median(builds) * 1e3

    await pipelined(c, adds + connects)  # the chain stays for the switch and the idle window
    # a switch to a board sharing 9 of the 10 plugins: one replaced, re-wired (one plan when
    # the engine has transactions; a real mod-host answers `not found` and runs them one by one)
    (_, out4), (inp5, out5), (inp6, _) = ports[4], ports[5], ports[6]
    switch = [
        "transaction_begin",
        "remove 5",
        f"add {CHAIN[5]} 5",
        f"connect effect_4:{out4} effect_5:{inp5}",
        f"connect effect_5:{out5} effect_6:{inp6}",
        "transaction_commit",
    ]
    t0 = time.perf_counter()
    replies = await pipelined(c, switch)
    v["switch 9 of 10 ms"] = (time.perf_counter() - t0) * 1e3
    v["switch in one plan"] = float(replies[0] == "resp 0")
    await asyncio.sleep(1.0)
    pids = [*descendants(pid), jackd.proc.pid if jackd.proc else 0]
    xruns = await asyncio.to_thread(XrunCounter, jackd.name)
    before, t0 = cpu_ticks(pids), time.monotonic()
    await asyncio.sleep(idle)
    spent, elapsed = cpu_ticks(pids) - before, time.monotonic() - t0
    await asyncio.to_thread(xruns.close)
    v["idle CPU % of a core"] = 100.0 * spent / CLK_TCK / elapsed
    v["xruns while idle"] = float(xruns.count)
    assert await c.cmd("remove -1") == "resp 0"


async def drain(fb: FeedbackClient) -> None:
    with contextlib.suppress(Exception):
        while True:
            await fb.next(3600)


async def run(label: str, ports: list[tuple[str, str]], idle: float, rival: str | None) -> Figures:
    jackd = JackServer(f"stompbox-bench-{label}-{os.getpid()}")
    await jackd.async_start()
    fig = Figures(label)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if rival is not None:
                target = await asyncio.to_thread(start_modhost, rival, jackd)
            else:
                target = await asyncio.to_thread(start_stompbox, jackd, Path(tmp))
            try:
                async with (
                    EngineClient(target.host, target.port, timeout=60) as c,
                    FeedbackClient(target.host, target.port + 1) as fb,
                    asyncio.TaskGroup() as tg,
                ):
                    drainer = tg.create_task(drain(fb))
                    try:
                        await measure(c, ports, fig, jackd, target.pid, idle)
                    finally:
                        drainer.cancel()
            finally:
                await asyncio.to_thread(target.stop)
    finally:
        await asyncio.to_thread(jackd.stop)
    return fig


def report(figs: list[Figures]) -> None:
    names = list(figs[0].values)
    header = f"{'figure':26}" + "".join(f"{f.label:>14}" for f in figs)
    if len(figs) == 2:
        header += f"{'ratio':>10}"
    print(header)
    for name in names:
        row = f"{name:26}" + "".join(f"{f.values.get(name, float('nan')):14.1f}" for f in figs)
        if len(figs) == 2:
            ours, theirs = figs[0].values.get(name, 0.0), figs[1].values.get(name, 0.0)
            row += f"{(ours / theirs if theirs else float('inf')):10.2f}"
        print(row)


async def main() -> None:
    ports = first_audio_ports(CHAIN)
    idle = float(os.environ.get("STOMPBOX_BENCH_IDLE", "30"))
    rival = os.environ.get("STOMPBOX_BENCH_MODHOST")
    figs = [await run("stompbox", ports, idle, None)]
    if rival:
        figs.append(await run("mod-host", ports, idle, rival))
    else:
        print("(no STOMPBOX_BENCH_MODHOST given: stompbox figures only)")
    report(figs)


if __name__ == "__main__":
    asyncio.run(main())
