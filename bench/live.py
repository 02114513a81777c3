"""Live-play figures end to end (session → bridge → engine → ack): snapshot recall, setlist next,
a MIDI CC applied through the session, and the tuner's reading delay. Printed, never asserted.

Starts its own jackd (48 kHz, 128-frame periods), embedded engine, bridge and session.
"MIDI CC" is measured from the session's MIDI input (`midi.input`, what the bridge's
`midi_control_change` event drives) to the engine's ack; "JACK MIDI CC" from a JACK MIDI client's
message into `stompbox:midi_in` to the session's `parameter_changed` (engine → bridge event →
session → engine ack).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from tests.support.audio import AudioProbe
from tests.support.midi import MidiSender
from tests.support.stack import Stack

from stompbox.settings import Settings
from stompbox.zmqservice import RpcClient, Subscriber

AMP = "http://plugin.org.uk/swh-plugins/amp"
PLUGINS = 10
ROUNDS = 30


def line(what: str, ms: list[float]) -> str:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"{what} (n={len(ms)}): median {statistics.median(ms):.1f} ms, p95 {p95:.1f}, "
        f"min {min(ms):.1f}, max {max(ms):.1f}"
    )


async def timed(c: RpcClient, method: str, params: dict[str, object]) -> float:
    started = time.perf_counter()
    await c.call(method, params)
    return (time.perf_counter() - started) * 1000


async def run(stack: Stack) -> None:
    async with RpcClient(stack.session_rpc, timeout=60.0) as c:
        await c.call("pedalboard.create", {"name": f"bench live {time.time_ns()}"})
        ids = [f"amp{n}" for n in range(PLUGINS)]
        for iid in ids:
            await c.call("load_plugin", {"uri": AMP, "instance_id": iid})
        for n, gain in enumerate((-12.0, 6.0)):
            changes = [
                {"instance_id": i, "symbol": "gain", "value": gain + k} for k, i in enumerate(ids)
            ]
            await c.call("set_parameters", {"changes": changes})
            await c.call("snapshot.save", {"name": f"scene {n}"})
        recalls = [await timed(c, "snapshot.recall", {"index": k % 2}) for k in range(ROUNDS)]
        print(line(f"snapshot recall, {PLUGINS} values change", recalls))

        first = await c.call("pedalboard.save")
        await c.call("set_parameter", {"instance_id": "amp0", "symbol": "gain", "value": 1.0})
        second = await c.call("pedalboard.save_as", {"name": f"bench live b {time.time_ns()}"})
        entries = [{"board": first["id"], "snapshot": 0}, {"board": second["id"], "snapshot": 1}]
        setlist = await c.call(
            "setlist.create", {"name": f"bench {time.time_ns()}", "entries": entries}
        )
        await c.call("setlist.go", {"id": setlist["id"], "position": 0})
        steps = []
        for k in range(ROUNDS // 3):
            steps.append(await timed(c, "setlist.next" if k % 2 == 0 else "setlist.previous", {}))
        print(line("setlist next/previous, related boards + starting snapshot", steps))

        binding = {
            "target": "parameter",
            "channel": 0,
            "number": 7,
            "instance_id": "amp0",
            "symbol": "gain",
            "minimum": -20.0,
            "maximum": 0.0,
        }
        await c.call("midi.bind", binding)
        ccs = [
            await timed(
                c, "midi.input", {"kind": "cc", "channel": 0, "number": 7, "value": k % 128}
            )
            for k in range(ROUNDS * 3)
        ]
        print(line("MIDI CC → parameter acked by the engine (session MIDI input)", ccs))
        print(line("JACK MIDI CC → engine applied (parameter_changed)", await jack_cc(stack)))

        await c.call("tuner.start", {"mute": False})
        delays = []
        async with RpcClient(stack.bridge_rpc, timeout=30.0) as b:
            number = (await b.call("state"))["instances"]["stompbox-tuner"]["number"]
            for freq, note in ((110.0, "A"), (329.63, "E")) * 2:
                with AudioProbe(
                    stack.jack.name, name=f"benchtune{len(delays)}", frequency=freq
                ) as probe:
                    started = time.perf_counter()
                    probe.feed(f"effect_{number}:in")
                    while (await c.call("tuner.state"))["note"] != note:
                        if time.perf_counter() - started > 20:
                            break
                        await asyncio.sleep(0.01)
                    delays.append((time.perf_counter() - started) * 1000)
        await c.call("tuner.stop")
        print(line("tuner: signal on → note shown", delays))


async def jack_cc(stack: Stack) -> list[float]:
    """A CC from a JACK MIDI client on `stompbox:midi_in` (channel 0, CC 7, bound to amp0's gain
    above) until the session publishes the engine-acked `parameter_changed`."""
    ms: list[float] = []
    async with Subscriber(stack.session_pub, ["parameter_changed"]) as events:
        await events.wait_connected()
        with MidiSender(stack.jack.name, name="benchmidi") as midi:
            midi.connect_to_engine()
            await asyncio.sleep(0.5)  # the session asks the engine to monitor channel 0
            for k in range(ROUNDS * 3):
                await asyncio.sleep((k % 10) * 0.002)  # not in step with the engine's 20 ms poll
                started = time.perf_counter()
                midi.send(bytes((0xB0, 7, (k * 37) % 128)))
                while True:
                    event = await asyncio.wait_for(events.__anext__(), 10)
                    if event.data.get("instance_id") == "amp0":
                        break
                ms.append((time.perf_counter() - started) * 1000)
            # a pedal swept fast: 128 CCs within a few periods, until the last value is applied
            sweep = range(128)
            started = time.perf_counter()
            for value in sweep:
                midi.send(bytes((0xB0, 7, value)))
            while True:
                event = await asyncio.wait_for(events.__anext__(), 10)
                if event.data.get("instance_id") == "amp0" and event.data.get("value") == 0.0:
                    break
            took = 1000 * (time.perf_counter() - started)
            print(f"JACK MIDI sweep of 128 CCs → the last one applied: {took:.0f} ms")
    return ms


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def meter_cost(stack: Stack, seconds: float = 5.0) -> None:
    """CPU share of the engine and the bridge with the per-block meters off, then on, with a
    sine into every block of the board (so every meter reports)."""
    async with (
        RpcClient(stack.session_rpc, timeout=60.0) as c,
        RpcClient(stack.bridge_rpc, timeout=60.0) as b,
    ):
        instances = (await b.call("state"))["instances"]
        numbers = []
        for iid, entry in instances.items():
            if iid.startswith("stompbox-"):
                continue  # the hidden tuner
            # the engine gives a block's input a JACK port once something outside feeds it
            await c.call("connect", {"source": "system:capture_1", "target": f"{iid}:input"})
            numbers.append(entry["number"])
        with AudioProbe(stack.jack.name, name="meterbench") as probe:
            for n in numbers:
                probe.feed(f"effect_{n}:input")
            for on in (False, True):
                await c.call("meter.start" if on else "meter.stop", {})
                await asyncio.sleep(1.0)
                pids = {name: stack.children[name].pid for name in ("engine", "bridge")}
                before = {k: cpu_seconds(p) for k, p in pids.items()}
                await asyncio.sleep(seconds)
                share = {k: 100 * (cpu_seconds(p) - before[k]) / seconds for k, p in pids.items()}
                print(
                    f"block meters {'on ' if on else 'off'} ({len(numbers)} blocks, "
                    f"{2 * len(numbers)} ports): engine {share['engine']:.1f} % CPU, "
                    f"bridge {share['bridge']:.1f} % CPU"
                )
            await c.call("meter.stop", {})


async def main() -> None:
    base = Path(tempfile.mkdtemp(prefix=f"sbx-bench-live-{os.getpid()}-"))
    stack = Stack(base, Path(Settings().cache_dir))
    try:
        await asyncio.to_thread(stack.start, "session")
        await run(stack)
        await meter_cost(stack)
    finally:
        await asyncio.to_thread(stack.stop)


if __name__ == "__main__":
    asyncio.run(main())
