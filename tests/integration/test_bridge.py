"""The bridge process against a real jackd, the embedded engine and real LV2 plugins."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from stompbox.contract.errors import NotFoundError, ValidationError
from stompbox.contract.rpc import Event
from stompbox.jackd import JackServer
from stompbox.zmqservice import RpcClient, Subscriber
from tests.support.engine import free_port_pair
from tests.support.proc import spawn

# the first bridge of a test run may have to scan the LV2 catalog cold (a minute on a busy box)
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

AMP = "http://plugin.org.uk/swh-plugins/amp"
LESLIE = "http://drobilla.net/plugins/mda/Leslie"
DPL = "http://gareus.org/oss/lv2/dpl#mono"


class Proc:
    """A child process in its own process group, logging to a file."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = spawn(self.argv, env=self.env, stdout=out)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for(self, marker: str, timeout: float = 100.0, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.argv} exited:\n{self.text()[-3000:]}")
            if self.text().count(marker) >= count:
                return
            time.sleep(0.05)
        raise RuntimeError(f"{marker!r} not seen after {timeout} s:\n{self.text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self.proc = None


class BridgeStack:
    def __init__(self, base: Path, jack: JackServer, cache_dir: Path) -> None:
        port = free_port_pair()
        run = base / "run"
        run.mkdir(parents=True)
        run.chmod(0o700)
        self.jack = jack
        self.rpc, self.pub = f"ipc://{run}/bridge.rpc", f"ipc://{run}/bridge.pub"
        env = {
            **os.environ,
            "JACK_DEFAULT_SERVER": jack.name,
            "JACK_NO_START_SERVER": "1",
            "STOMPBOX_JACK_SERVER": jack.name,
            "STOMPBOX_RUNTIME_DIR": str(run),
            "STOMPBOX_CACHE_DIR": str(cache_dir),
            "STOMPBOX_DATA_DIR": str(base / "data"),
            "STOMPBOX_ENGINE_HOST": "127.0.0.1",
            "STOMPBOX_ENGINE_PORT": str(port),
            "STOMPBOX_ENGINE_FEEDBACK_PORT": str(port + 1),
            "PYTHONUNBUFFERED": "1",
        }
        cli = [sys.executable, "-m", "stompbox.cli"]
        engine = [*cli, "engine", "--port", str(port), "--feedback-port", str(port + 1)]
        rival = os.environ.get("STOMPBOX_TEST_MODHOST")  # a real mod-host binary instead
        if rival:
            engine = [rival, "-n", "-p", str(port), "-f", str(port + 1)]
        self.engine = Proc(engine, env, base / "engine.log")
        self.bridge = Proc([*cli, "bridge"], env, base / "bridge.log")

    def start(self) -> BridgeStack:
        self.engine.start()
        self.bridge.start()
        self.bridge.wait_for("bridge ready", timeout=250)
        return self

    def stop(self) -> None:
        self.bridge.stop()
        self.engine.stop()


@pytest.fixture(scope="module")
def stack(
    jack_server: JackServer, tmp_path_factory: pytest.TempPathFactory, catalog_cache_dir: Path
) -> Iterator[BridgeStack]:
    s = BridgeStack(tmp_path_factory.mktemp("bridge"), jack_server, catalog_cache_dir)
    try:
        yield s.start()
    finally:
        s.stop()


@pytest.fixture
async def client(stack: BridgeStack) -> AsyncIterator[RpcClient]:
    async with RpcClient(stack.rpc, timeout=30) as c:
        await wait_engine(c)
        await plugin(c, "reset")
        yield c


async def wait_engine(c: RpcClient, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not (await c.call("state"))["engine_connected"]:
        assert time.monotonic() < deadline, "engine never connected"
        await asyncio.sleep(0.1)


async def plugin(c: RpcClient, method: str, **params: Any) -> Any:
    return await c.call("plugin", {"method": method, "params": params})


async def audio(c: RpcClient, method: str, **params: Any) -> Any:
    return await c.call("audio", {"method": method, "params": params})


async def error_type(call: Any) -> str | None:
    """Await `call`; the `type` of the StompboxError it raised, or None when it succeeded."""
    try:
        await call
    except Exception as exc:
        return str(getattr(exc, "type", type(exc).__name__))
    return None


async def next_event(sub: Subscriber, name: str, timeout: float = 10.0) -> Event:
    async with asyncio.timeout(timeout):
        async for ev in sub:
            if ev.event == name:
                return ev
    raise AssertionError("subscriber ended")


def lv2info_controls(uri: str) -> dict[str, dict[str, float]]:
    """symbol → {minimum, maximum, default} of the control ports, as `lv2info` prints them."""
    out = subprocess.run(["lv2info", uri], capture_output=True, text=True, check=True).stdout
    ports: dict[str, dict[str, float]] = {}
    for block in re.split(r"\n\tPort \d+:\n", out)[1:]:
        if "#ControlPort" not in block:
            continue
        symbol = re.search(r"Symbol:\s+(\S+)", block)
        assert symbol is not None
        ports[symbol.group(1)] = {
            key.lower(): float(m.group(1))
            for key in ("Minimum", "Maximum", "Default")
            if (m := re.search(rf"{key}:\s+(\S+)", block))
        }
    return ports


async def test_catalog_matches_lv2info(client: RpcClient) -> None:
    listing = await plugin(client, "list")
    uris = {p["uri"] for p in listing}
    assert {AMP, LESLIE, DPL} <= uris
    assert len(listing) > 100
    amps = await plugin(client, "list", query="simple amplifier", audio_inputs=1)
    assert AMP in {p["uri"] for p in amps}
    assert "Amp & Cab" in await plugin(client, "categories")  # the families (lv2.taxonomy)
    for uri in (AMP, LESLIE, "http://drobilla.net/plugins/mda/Delay"):
        info = await plugin(client, "info", uri=uri)
        expected = lv2info_controls(uri)
        ours = {p["symbol"]: p for p in info["ports"] if p["type"] == "control"}
        assert set(ours) == set(expected), uri
        for symbol, ranges in expected.items():
            if ours[symbol].get("sample_rate"):
                continue
            for key, value in ranges.items():
                assert ours[symbol][key] == pytest.approx(value, abs=1e-5), (uri, symbol, key)
    with pytest.raises(NotFoundError):
        await plugin(client, "info", uri="urn:no-such-plugin")
    presets = await plugin(client, "presets", uri=LESLIE)
    assert any(p["uri"].endswith("#Leslie-slow") for p in presets)


async def test_load_set_get_bypass_unload(client: RpcClient) -> None:
    loaded = await plugin(client, "load", uri=AMP)
    iid = loaded["instance_id"]
    assert iid.startswith("simple_amplifier")
    assert loaded["plugin"]["uri"] == AMP
    state = await client.call("state")
    assert state["instances"][iid] == {"number": loaded["number"], "uri": AMP}
    assert await plugin(client, "set_parameter", instance_id=iid, symbol="gain", value=-6.5) == {
        "value": -6.5
    }
    assert (await plugin(client, "get_parameter", instance_id=iid, symbol="gain"))["value"] == (
        pytest.approx(-6.5, abs=1e-4)
    )
    # out of range: refused as the session refuses it (contract/values.py), nothing changes
    with pytest.raises(ValidationError):
        await plugin(client, "set_parameter", instance_id=iid, symbol="gain", value=1000)
    assert (await plugin(client, "get_parameter", instance_id=iid, symbol="gain"))["value"] == (
        pytest.approx(-6.5, abs=1e-4)
    )
    assert await plugin(client, "bypass", instance_id=iid, bypassed=True) == {}
    assert await plugin(client, "bypass", instance_id=iid, bypassed=False) == {}
    # a given id is kept; duplicates conflict
    named = await plugin(client, "load", uri=AMP, instance_id="my-amp")
    assert named["instance_id"] == "my-amp"
    assert named["number"] != loaded["number"]
    with pytest.raises(Exception) as conflict:
        await plugin(client, "load", uri=AMP, instance_id="my-amp")
    assert getattr(conflict.value, "type", None) == "conflict"
    assert await plugin(client, "unload", instance_id=iid) == {}
    assert await plugin(client, "unload", instance_id="my-amp") == {}
    assert (await client.call("state"))["instances"] == {}
    with pytest.raises(NotFoundError):
        await plugin(client, "unload", instance_id=iid)


async def test_pipelined_set_parameter_burst(client: RpcClient) -> None:
    iid = (await plugin(client, "load", uri=AMP))["instance_id"]
    values = [float(v % 50) - 25 for v in range(200)]
    results = await asyncio.gather(
        *(plugin(client, "set_parameter", instance_id=iid, symbol="gain", value=v) for v in values)
    )
    assert [r["value"] for r in results] == values
    got = await plugin(client, "get_parameter", instance_id=iid, symbol="gain")
    assert got["value"] == pytest.approx(values[-1], abs=1e-4)


async def test_connect_and_list_connections(client: RpcClient) -> None:
    a = (await plugin(client, "load", uri=AMP, instance_id="amp_a"))["instance_id"]
    b = (await plugin(client, "load", uri=AMP, instance_id="amp_b"))["instance_id"]
    await client.call("connect", {"source": "system:capture_1", "target": f"{a}:input"})
    await client.call("connect", {"source": f"{a}:output", "target": f"{b}:input"})
    number_b = (await client.call("state"))["instances"][b]["number"]
    # a full JACK name is accepted too
    await client.call(
        "connect", {"source": f"effect_{number_b}:output", "target": "system:playback_1"}
    )
    conns = {(c["source"], c["target"]) for c in await client.call("list_connections")}
    assert {
        ("system:capture_1", f"{a}:input"),
        (f"{a}:output", f"{b}:input"),
        (f"{b}:output", "system:playback_1"),
    } <= conns
    await client.call("disconnect", {"source": f"{a}:output", "target": f"{b}:input"})
    conns = {(c["source"], c["target"]) for c in await client.call("list_connections")}
    assert (f"{a}:output", f"{b}:input") not in conns
    with pytest.raises(NotFoundError):
        await client.call("disconnect", {"source": f"{a}:output", "target": f"{b}:input"})
    with pytest.raises(ValidationError):
        await client.call("connect", {"source": f"{a}:gain", "target": f"{b}:input"})
    with pytest.raises(NotFoundError):  # not an instance, not a JACK port: the engine says -205
        await client.call("connect", {"source": "ghost:output", "target": f"{b}:input"})
    with pytest.raises(NotFoundError):
        await client.call("connect", {"source": "effect_999:output", "target": f"{b}:input"})
    ports = await audio(client, "list_ports", type="audio", direction="input")
    names = {p["name"] for p in ports}
    assert {f"{a}:input", f"{b}:input", "system:playback_1"} <= names
    assert all(p["direction"] == "input" and p["type"] == "audio" for p in ports)
    assert next(p for p in ports if p["name"] == "system:playback_1")["system"] is True


async def test_presets(client: RpcClient) -> None:
    iid = (await plugin(client, "load", uri=LESLIE))["instance_id"]
    before = await plugin(client, "get_parameter", instance_id=iid, symbol="hi_depth")
    assert before["value"] == pytest.approx(0.6, abs=1e-4)
    result = await plugin(
        client,
        "load_preset",
        instance_id=iid,
        uri="http://drobilla.net/plugins/mda/presets#Leslie-slow",
    )
    assert result["parameters"]["hi_depth"] == pytest.approx(0.75, abs=1e-4)
    with pytest.raises(NotFoundError):
        await plugin(client, "load_preset", instance_id=iid, uri="urn:no-such-preset")
    await plugin(client, "set_parameter", instance_id=iid, symbol="hi_depth", value=0.3)
    saved = await plugin(client, "save_preset", instance_id=iid, label="My Slow one")
    assert saved["uri"].startswith("file://")
    presets = await plugin(client, "presets", uri=LESLIE)
    assert saved["uri"] in {p["uri"] for p in presets}
    await plugin(client, "set_parameter", instance_id=iid, symbol="hi_depth", value=0.9)
    again = await plugin(client, "load_preset", instance_id=iid, uri=saved["uri"])
    assert again["parameters"]["hi_depth"] == pytest.approx(0.3, abs=1e-4)


async def test_output_changed_after_monitor_output(stack: BridgeStack, client: RpcClient) -> None:
    iid = (await plugin(client, "load", uri=DPL))["instance_id"]
    async with Subscriber(stack.pub, ["output_changed"]) as sub:
        await sub.wait_connected()
        await client.call("ping")
        for attempt in range(3):  # a fresh subscription may miss the first event (slow joiner)
            await plugin(client, "monitor_output", instance_id=iid, symbol="level")
            try:
                # (the plugin's latency output, which the bridge monitors itself, may come first)
                ev = await next_event(sub, "output_changed", timeout=10)
                while ev.data["symbol"] != "level":
                    ev = await next_event(sub, "output_changed", timeout=10)
                break
            except TimeoutError:
                await plugin(
                    client, "monitor_output", instance_id=iid, symbol="level", enable=False
                )
                assert attempt < 2, "no output_changed event"
        assert ev.data["instance_id"] == iid
        assert ev.data["symbol"] == "level"
        assert math.isfinite(ev.data["value"])
    with pytest.raises(ValidationError):
        await plugin(client, "monitor_output", instance_id=iid, symbol="nope")
    await plugin(client, "monitor_output", instance_id=iid, symbol="level", enable=False)


async def test_bad_requests_get_typed_errors(client: RpcClient) -> None:
    iid = (await plugin(client, "load", uri=AMP))["instance_id"]
    with pytest.raises(NotFoundError):
        await client.call("no_such_method")
    with pytest.raises(NotFoundError):
        await plugin(client, "no_such_method")
    with pytest.raises(ValidationError):
        await client.call("plugin", {"nonsense": 1})
    with pytest.raises(ValidationError):
        await plugin(client, "set_parameter", instance_id=iid, symbol="gain")  # no value
    with pytest.raises(ValidationError):
        await plugin(client, "set_parameter", instance_id=iid, symbol="gain", value="loud")
    with pytest.raises(NotFoundError):
        await plugin(client, "set_parameter", instance_id="ghost", symbol="gain", value=1)
    with pytest.raises(ValidationError):
        await plugin(client, "set_parameter", instance_id=iid, symbol="nope", value=1)
    with pytest.raises(ValidationError):  # JSON has no NaN: it travels as null
        await plugin(client, "set_parameter", instance_id=iid, symbol="gain", value=math.nan)
    with pytest.raises(ValidationError):
        await plugin(client, "get_parameter", instance_id=iid, symbol="output")
    with pytest.raises(NotFoundError):
        await plugin(client, "load", uri="urn:no-such-plugin")
    with pytest.raises(ValidationError):
        await plugin(client, "load", uri=AMP, instance_id="bad:id")
    with pytest.raises(ValidationError):
        await audio(client, "set_buffer_size", size=100)
    with pytest.raises(ValidationError):
        await audio(client, "set_buffer_size", size=16384)
    assert (await client.call("ping")) == {"ok": True}


async def test_audio_status_and_buffer_size(client: RpcClient) -> None:
    status = await audio(client, "status")
    assert status["sample_rate"] == 48000
    assert status["running"] is True
    assert status["xruns"] >= 0
    assert 0.0 <= status["dsp_load"] <= 100.0
    assert (await audio(client, "cpu_load"))["load"] >= 0.0
    size = status["buffer_size"]
    try:
        changed = await audio(client, "set_buffer_size", size=256)
        assert changed["buffer_size"] == 256
    finally:
        await audio(client, "set_buffer_size", size=size)
    assert (await audio(client, "status"))["buffer_size"] == size


async def test_set_parameter_changes_the_sound(stack: BridgeStack, client: RpcClient) -> None:
    try:
        from tests.support.audio import AudioProbe
    except ImportError:  # pragma: no cover - the probe is shared test support
        pytest.skip("tests/support/audio.py AudioProbe not available")
    iid = (await plugin(client, "load", uri=AMP))["instance_id"]
    with AudioProbe(stack.jack.name, name="bridge-probe") as probe:
        # another client's ports pass through the bridge to the engine as JACK names
        await client.call("connect", {"source": probe.out(), "target": f"{iid}:input"})
        await client.call("connect", {"source": f"{iid}:output", "target": probe.inp()})
        await plugin(client, "set_parameter", instance_id=iid, symbol="gain", value=0.0)
        loud = (await asyncio.to_thread(probe.measure_rms, 0.3))[0]
        await plugin(client, "set_parameter", instance_id=iid, symbol="gain", value=-20.0)
        quiet = (await asyncio.to_thread(probe.measure_rms, 0.3))[0]
    assert loud > 0.05
    assert quiet / loud == pytest.approx(0.1, rel=0.2)


async def test_engine_restart_is_reported_and_recovered(stack: BridgeStack) -> None:
    async with (
        RpcClient(stack.rpc, timeout=30) as c,
        Subscriber(stack.pub, ["engine_connected", "engine_disconnected"]) as sub,
    ):
        await wait_engine(c)
        await sub.wait_connected()
        await c.call("ping")
        await plugin(c, "load", uri=AMP, instance_id="before-crash")
        stack.engine.stop(signal.SIGKILL)
        down = await next_event(sub, "engine_disconnected", timeout=20)
        assert down.data["reason"]
        with pytest.raises(Exception) as exc:
            await plugin(c, "load", uri=AMP)
        assert getattr(exc.value, "type", None) == "connection"
        stack.engine.start()
        up = await next_event(sub, "engine_connected", timeout=60)
        assert up.seq > down.seq
        state = await c.call("state")
        assert state["engine_connected"] is True
        assert state["instances"] == {}  # the session replays its board from here
        again = await plugin(c, "load", uri=AMP, instance_id="before-crash")
        assert again["instance_id"] == "before-crash"
        await plugin(c, "reset")


async def test_without_engine_and_jack_the_rest_still_serves(
    tmp_path: Path, catalog_cache_dir: Path, jack_server: JackServer
) -> None:
    """No engine, no JACK server: catalog and ping answer, engine/audio methods say
    `connection`; once a JACK server of that name starts, audio methods work; when it stops,
    they fail again."""
    missing_jack = JackServer(f"stompbox-bridge-late-{os.getpid()}", log_path=tmp_path / "j.log")
    s = BridgeStack(tmp_path, missing_jack, catalog_cache_dir)
    s.bridge.start()  # no engine
    try:
        await asyncio.to_thread(s.bridge.wait_for, "bridge ready", 250)
        async with RpcClient(s.rpc, timeout=30) as c:
            assert await c.call("ping") == {"ok": True}
            assert (await c.call("state"))["engine_connected"] is False
            assert AMP in {p["uri"] for p in await plugin(c, "list", query="amplifier")}
            assert await error_type(plugin(c, "load", uri=AMP)) == "connection"
            assert await error_type(audio(c, "status")) == "connection"
            assert await error_type(c.call("list_connections")) == "connection"
            await asyncio.to_thread(missing_jack.start)
            try:
                deadline = time.monotonic() + 30
                while (failure := await error_type(audio(c, "status"))) is not None:
                    assert failure == "connection"
                    assert time.monotonic() < deadline, "bridge never reopened JACK"
                    await asyncio.sleep(0.2)
                status = await audio(c, "status")
                assert status["running"] is True
                assert status["sample_rate"] == 48000
            finally:
                await asyncio.to_thread(missing_jack.stop)
            deadline = time.monotonic() + 30
            while (failure := await error_type(audio(c, "status"))) is None:
                assert time.monotonic() < deadline, "bridge did not notice JACK going away"
                await asyncio.sleep(0.2)
            assert failure == "connection"
            assert await c.call("ping") == {"ok": True}
    finally:
        s.stop()
