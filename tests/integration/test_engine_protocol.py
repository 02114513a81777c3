"""The embedded engine on the wire: error codes, framing, garbage, feedback, presets, deaths."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from stompbox.jackd import JackServer
from tests.support.engine import EngineClient, EngineProcess, FeedbackClient

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"
DPL = "http://gareus.org/oss/lv2/dpl#mono"
LESLIE = "http://drobilla.net/plugins/mda/Leslie"


async def test_error_codes(client: EngineClient) -> None:
    cases = [
        (f"add {AMP} -5", "resp -1"),
        (f"add {AMP} 10000", "resp -1"),
        (f"add {AMP} 9995", "resp -2"),
        ("add http://example.org/no-such-plugin 1", "resp -101"),
        ("param_get 42 gain", "resp -3"),
        ("param_set 42 gain 1", "resp -3"),
        ("bypass 42 1", "resp -3"),
        ("connect nosuch:port system:playback_1", "resp -205"),
        ("connect system:capture_1 system:capture_2", "resp -205"),
        ("disconnect system:capture_1 system:playback_1", "resp -206"),
        ("PARAM_GET 0 gain", "not found"),
        ("param_get 0", "few arguments"),
        ("param_get 0 gain x", "many arguments"),
        ("param_get  0 gain", "many arguments"),
        ("param_set abc gain 1", "resp -902"),
        ("param_set 0 gain abc", "resp -902"),
        ("multi_remove 3 0", "resp -902"),
        ("multi_add 2 http://x 1", "resp -902"),
        ("cc_unmap 0 gain", "resp -401"),
        ("hmi_unmap 0 gain", "resp -403"),
        ("set_bpm 500", "resp -207"),
        ("feature_enable no-such-feature 1", "resp -902"),
        ("preset_show http://example.org/no-such-preset", ""),
        ("remove 77", "resp 0"),
    ]
    for line, expected in cases:
        assert await client.cmd(line) == expected, line
    assert await client.cmd(f"add {AMP} 1") == "resp 1"
    assert await client.cmd(f"add {AMP} 1") == "resp -2"
    assert await client.cmd("param_get 1 nosuch") == "resp -103"
    assert await client.cmd("param_set 1 nosuch 1") == "resp -103"
    assert await client.cmd("preset_load 1 http://example.org/no-such-preset") == "resp -105"
    assert await client.cmd("monitor_output 1 nosuch") == "resp 0"  # inverted: 0 is failure


async def test_framing_pipelining_and_garbage(client: EngineClient) -> None:
    # several commands in one send: one reply each, in order
    await client.send_raw(b"param_get 9 a\0cpu_load\0remove 9\0")
    assert await client.read_reply() == "resp -3"
    assert (await client.read_reply()).startswith("resp 0 ")
    assert await client.read_reply() == "resp 0"
    # random bytes, an empty message (no reply), then a valid command
    await client.send_raw(bytes(range(1, 256)) + b"\0\0")
    assert await client.read_reply() == "not found"
    assert await client.cmd("remove 9") == "resp 0"
    # a message over 1 MiB: one error reply, the rest of it is dropped, the connection survives
    await client.send_raw(b"x" * (1024 * 1024 + 10) + b"\0")
    assert await client.read_reply() == "resp -902"
    assert await client.cmd("remove 9") == "resp 0"
    # a final command without NUL is taken after a short idle
    await client.send_raw(b"remove 9")
    assert await client.read_reply() == "resp 0"
    # a command split across TCP sends is reassembled
    await client.send_raw(b"rem")
    await client.send_raw(b"ove 9\0")
    assert await client.read_reply() == "resp 0"


async def test_pipelined_adds_reply_in_order(client: EngineClient) -> None:
    lines = [f"add {AMP} {n}" for n in (11, 12, 13)] + ["param_get 12 gain", f"add {AMP} 11"]
    await client.send_raw(b"".join(line.encode() + b"\0" for line in lines))
    replies = [await client.read_reply() for _ in lines]
    assert replies == ["resp 11", "resp 12", "resp 13", "resp 0 0.0000", "resp -2"]
    assert await client.cmd(f"multi_add 2 {AMP} 14 {AMP} 15") == "resp 0"
    assert await client.cmd("param_get 15 gain") == "resp 0 0.0000"
    assert await client.cmd("multi_remove 2 14 15") == "resp 0"
    assert await client.cmd("param_get 14 gain") == "resp -3"


async def test_killed_jalv_is_reported_and_instance_freed(isolated_engine: EngineProcess) -> None:
    """Isolation mode: a plugin's jalv that dies is reported and its number is free again."""
    async with (
        EngineClient(isolated_engine.host, isolated_engine.port) as client,
        FeedbackClient(isolated_engine.host, isolated_engine.feedback_port) as feedback,
    ):
        assert await client.cmd("output_data_ready") == "resp 0"
        assert await client.cmd(f"add {AMP} 20") == "resp 20"
        pid = _jalv_pid(isolated_engine.pid, "effect_20")
        os.kill(pid, signal.SIGKILL)
        seen = await feedback.until(lambda m: m.startswith("plugin_died 20 "))
        assert any(m.startswith("log 3 effect_20 died") for m in seen)  # for people
        assert seen[-1] == "plugin_died 20 -9"  # for programs: its own message (SIGKILL)
        assert await client.cmd("param_get 20 gain") == "resp -3"
        assert await client.cmd(f"add {AMP} 20") == "resp 20"  # its number is free again
        assert await client.cmd("param_get 20 gain") == "resp 0 0.0000"


def _jalv_pid(engine_pid: int, name: str) -> int:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        is_jalv = bool(cmdline) and cmdline[0].endswith(b"jalv") and name.encode() in cmdline
        if is_jalv and int(stat[1]) == engine_pid:  # ppid
            return int(entry.name)
    raise AssertionError(f"no jalv process for {name}")


async def test_monitor_output_and_flow_control(
    client: EngineClient, feedback: FeedbackClient
) -> None:
    assert await client.cmd(f"add {DPL} 30") == "resp 30"
    assert await client.cmd("output_data_ready") == "resp 0"
    assert await client.cmd("monitor_output 30 latency") == "resp 1"
    seen = await feedback.until(lambda m: m == "data_finish")
    assert any(m.startswith("output_set 30 latency ") for m in seen), seen
    # not re-armed: nothing more arrives, even with cpu-load events accumulating ...
    assert await client.cmd("monitor_output_off 30 latency") == "resp 1"
    # ... until output_data_ready
    assert await client.cmd("feature_enable cpu-load 1") == "resp 0"  # re-arms implicitly
    seen = await feedback.until(lambda m: m.startswith("cpu_load "))
    avg, peak, xruns = seen[-1].split()[1:]
    assert float(avg) >= 0.0
    assert float(peak) >= 0.0
    assert int(xruns) >= 0
    rest = await feedback.until(lambda m: m == "data_finish")
    assert all(m.startswith("dsp_load 30 ") for m in rest[:-1]), rest  # the plugin's DSP time
    with pytest.raises(TimeoutError):
        await feedback.next(timeout=1.2)  # disarmed after data_finish
    assert await client.cmd("output_data_ready") == "resp 0"
    seen = await feedback.until(lambda m: m == "data_finish")
    assert sum(m.startswith("cpu_load ") for m in seen) == 1  # coalesced to the newest
    assert await client.cmd("feature_enable cpu-load 0") == "resp 0"
    assert await client.cmd("output_data_ready") == "resp 0"


async def test_presets(client: EngineClient, module_engine: EngineProcess, tmp_path: Path) -> None:
    assert await client.cmd(f"add {LESLIE} 40") == "resp 40"
    slow = "http://drobilla.net/plugins/mda/presets#Leslie-slow"
    assert await client.cmd(f"preset_load 40 {slow}") == "resp 0"
    assert await client.cmd("param_get 40 hi_depth") == "resp 0 0.7500"
    shown = await client.cmd(f"preset_show {slow}")
    assert "hi_depth" in shown
    assert "0.75" in shown

    assert await client.cmd("param_set 40 hi_depth 0.25") == "resp 0"
    # preset_save writes only inside the engine's data dir
    outside = tmp_path / "outside.lv2"
    assert await client.cmd(f"preset_save 40 x {outside} x.ttl") == "resp -902"
    assert not outside.exists()
    escape = module_engine.data_dir / ".." / "escape.lv2"
    assert await client.cmd(f"preset_save 40 x {escape} x.ttl") == "resp -902"
    bundle = module_engine.data_dir / "presets" / "mine.lv2"
    line = f'preset_save 40 "My preset" {bundle} mine.ttl'
    assert await client.cmd(line) == "resp 0"
    assert (bundle / "mine.ttl").is_file()
    assert (bundle / "manifest.ttl").is_file()
    uri = (bundle / "mine.ttl").as_uri()
    assert "My preset" in await client.cmd(f"preset_show {uri}")
    assert await client.cmd(f"preset_load 40 {slow}") == "resp 0"
    assert await client.cmd(f"preset_load 40 {uri}") == "resp 0"
    assert await client.cmd("param_get 40 hi_depth") == "resp 0 0.2500"
    assert await client.cmd("preset_save 41 x /tmp x.ttl") == "resp -1"


async def test_connect_disconnect_either_order(client: EngineClient) -> None:
    assert await client.cmd(f"add {AMP} 50") == "resp 50"
    assert await client.cmd(f"add {AMP} 51") == "resp 51"
    assert await client.cmd("connect effect_51:input effect_50:output") == "resp 0"
    assert await client.cmd("connect effect_50:output effect_51:input") == "resp 0"  # exists: ok
    assert await client.cmd("disconnect effect_51:input effect_50:output") == "resp 0"
    assert await client.cmd("disconnect effect_50:output effect_51:input") == "resp -206"
    assert await client.cmd("connect system:capture_1 system:playback_1") == "resp 0"
    assert await client.cmd("remove -1") == "resp 0"  # also drops capture → playback
    assert await client.cmd("disconnect system:capture_1 system:playback_1") == "resp -206"
    await asyncio.sleep(0)


def _jack_ports(server: str) -> set[str]:
    import jack

    jc = jack.Client("engine-test-after", servername=server, no_start_server=True)
    try:
        return {p.name for p in jc.get_ports()}
    finally:
        jc.close()


def _jack_clients(server: str) -> set[str]:
    return {name.split(":")[0] for name in _jack_ports(server)}


async def test_sigterm_leaves_no_client(engine: EngineProcess, jack_server: JackServer) -> None:
    async with EngineClient(engine.host, engine.port) as c:
        assert await c.cmd(f"multi_add 2 {AMP} 60 {DPL} 61") == "resp 0"
        assert await c.cmd("connect effect_60:output system:playback_1") == "resp 0"
        # one client; its port to the outside is named after the plugin port
        ours = {p for p in _jack_ports(jack_server.name) if p.endswith(":effect_60.output")}
        assert len(ours) == 1
        assert not {"effect_60", "effect_61"} & _jack_clients(jack_server.name)
    assert await asyncio.to_thread(engine.stop) == 0
    assert not ours & _jack_ports(jack_server.name)


async def test_sigterm_leaves_no_jalv_or_client_in_isolation(
    isolated_engine: EngineProcess, jack_server: JackServer
) -> None:
    async with EngineClient(isolated_engine.host, isolated_engine.port) as c:
        assert await c.cmd(f"multi_add 2 {AMP} 60 {DPL} 61") == "resp 0"
        pids = [
            _jalv_pid(isolated_engine.pid, "effect_60"),
            _jalv_pid(isolated_engine.pid, "effect_61"),
        ]
    assert await asyncio.to_thread(isolated_engine.stop) == 0
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    names = _jack_clients(jack_server.name)
    assert not {"effect_60", "effect_61", "stompbox-engine"} & names
