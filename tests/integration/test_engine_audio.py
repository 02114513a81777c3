"""The embedded engine on a real jackd with real LV2 plugins in its C core, verified by audio."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import jack
import pytest

from stompbox.jackd import JackServer
from tests.support.audio import AudioProbe
from tests.support.engine import EngineClient

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"
MDA_DELAY = "http://drobilla.net/plugins/mda/Delay"
X42_DPL = "http://gareus.org/oss/lv2/dpl#mono"


@pytest.fixture
def jc(jack_server: JackServer) -> Iterator[jack.Client]:
    c = jack.Client("engine-test-lsp", servername=jack_server.name, no_start_server=True)
    try:
        yield c
    finally:
        c.close()


def port_names(jc: jack.Client) -> set[str]:
    return {p.name for p in jc.get_ports()}


def clients(jc: jack.Client) -> set[str]:
    return {name.split(":")[0] for name in port_names(jc)}


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


async def measure(probe: AudioProbe) -> float:
    return (await asyncio.to_thread(probe.measure_rms, 0.3))[0]


async def test_add_makes_symbol_ports_connectable_and_no_client(
    client: EngineClient, jc: jack.Client
) -> None:
    assert await client.cmd(f"add {AMP} 3") == "resp 3"
    assert await client.cmd(f"add {MDA_DELAY} 4") == "resp 4"
    # `effect_<N>:<symbol>` names the ports in the protocol; no JACK client per plugin
    assert await client.cmd("connect effect_3:output effect_4:left_in") == "resp 0"
    assert await client.cmd("connect effect_3:nosuch effect_4:left_in") == "resp -205"
    assert await client.cmd("connect effect_3:gain effect_4:left_in") == "resp -205"  # control
    assert not {"effect_3", "effect_4"} & clients(jc)
    assert await client.cmd("remove 3") == "resp 0"
    assert await client.cmd("connect effect_3:output effect_4:left_in") == "resp -205"
    assert await client.cmd("remove -1") == "resp 0"
    assert await client.cmd("connect system:capture_1 effect_4:left_in") == "resp -205"


async def test_gain_bypass_and_system_ports(
    client: EngineClient, probe: AudioProbe, jc: jack.Client
) -> None:
    assert await client.cmd(f"add {AMP} 0") == "resp 0"
    # the names mod-host uses work: system:capture_1 → amp → system:playback_1, through the
    # engine's own JACK ports for those plugin ports (alias effect_0:input / effect_0:output)
    assert await client.cmd("connect system:capture_1 effect_0:input") == "resp 0"
    assert await client.cmd("connect effect_0:output system:playback_1") == "resp 0"
    feeding = {p.name for p in jc.get_all_connections(jc.get_port_by_name("system:playback_1"))}
    assert len(feeding) == 1
    (engine_out,) = feeding
    assert engine_out.endswith(":effect_0.output")
    assert "effect_0:output" in jc.get_port_by_name(engine_out).aliases
    # the probe stands in for the (silent) dummy capture port; JACK resolves the alias
    probe.feed("effect_0:input")
    assert probe.record_playback() == [engine_out]

    base = await measure(probe)
    assert base == pytest.approx(probe.input_rms, rel=0.05)

    assert await client.cmd("param_set 0 gain 6") == "resp 0"
    louder = await measure(probe)
    assert ratio(louder, base) == pytest.approx(10 ** (6 / 20), rel=0.08)

    # bypass passes the input through (a short crossfade inside the engine)
    assert await client.cmd("bypass 0 1") == "resp 0"
    assert await client.cmd("param_get 0 :bypass") == "resp 0 1.0000"
    assert await measure(probe) == pytest.approx(base, rel=0.05)
    assert await client.cmd("bypass 0 0") == "resp 0"
    assert await measure(probe) == pytest.approx(louder, rel=0.05)


async def test_bypass_passes_signal_unchanged(client: EngineClient, probe: AudioProbe) -> None:
    # probe → amp(+12 dB) → amp(-6 dB) → probe, then bypass the first
    assert await client.cmd(f"add {AMP} 1") == "resp 1"
    assert await client.cmd(f"add {AMP} 2") == "resp 2"
    assert await client.cmd(f"connect {probe.out()} effect_1:input") == "resp 0"
    assert await client.cmd("connect effect_1:output effect_2:input") == "resp 0"
    assert await client.cmd(f"connect effect_2:output {probe.inp()}") == "resp 0"
    assert await client.cmd("param_set 1 gain 12") == "resp 0"
    assert await client.cmd("param_set 2 gain 0") == "resp 0"
    processed = await measure(probe)
    assert ratio(processed, probe.input_rms) == pytest.approx(10 ** (12 / 20), rel=0.08)

    assert await client.cmd("bypass 1 1") == "resp 0"
    bypassed = await measure(probe)
    assert bypassed == pytest.approx(probe.input_rms, rel=0.05)

    assert await client.cmd("bypass 2 1") == "resp 0"  # two bypassed in a row: still a wire
    assert await measure(probe) == pytest.approx(probe.input_rms, rel=0.05)
    assert await client.cmd("bypass 2 0") == "resp 0"

    assert await client.cmd("bypass 1 0") == "resp 0"
    restored = await measure(probe)
    assert ratio(restored, processed) == pytest.approx(1.0, rel=0.05)
    # connections made while bypassed land on the right ports after un-bypass too
    assert await client.cmd("param_set 1 :bypass 1") == "resp 0"
    assert await client.cmd("param_get 1 :bypass") == "resp 0 1.0000"
    assert await measure(probe) == pytest.approx(probe.input_rms, rel=0.05)


async def test_param_set_clamps_and_param_get(client: EngineClient) -> None:
    assert await client.cmd(f"add {AMP} 5") == "resp 5"
    assert await client.cmd("param_get 5 gain") == "resp 0 0.0000"
    assert await client.cmd("param_set 5 gain 1000") == "resp 0"
    assert await client.cmd("param_get 5 gain") == "resp 0 70.0000"
    assert await client.cmd("param_set 5 gain -1000") == "resp 0"
    assert await client.cmd("param_get 5 gain") == "resp 0 -70.0000"
    assert await client.cmd("param_set 5 gain 3.5") == "resp 0"
    assert await client.cmd("param_get 5 gain") == "resp 0 3.5000"


async def test_clamped_gain_is_what_the_plugin_uses(
    client: EngineClient, probe: AudioProbe
) -> None:
    assert await client.cmd(f"add {AMP} 6") == "resp 6"
    assert await client.cmd(f"connect effect_6:input {probe.out()}") == "resp 0"  # reversed order
    assert await client.cmd(f"connect {probe.inp()} effect_6:output") == "resp 0"
    assert await client.cmd("param_set 6 gain -1000") == "resp 0"  # clamped to -70 dB
    quiet = await measure(probe)
    assert ratio(quiet, probe.input_rms) == pytest.approx(10 ** (-70 / 20), rel=0.1)


async def test_x42_and_remove_leaves_no_port(client: EngineClient, jc: jack.Client) -> None:
    assert await client.cmd(f"add {X42_DPL} 7") == "resp 7"
    assert await client.cmd("connect effect_7:out system:playback_1") == "resp 0"
    assert any(p.endswith(":effect_7.out") for p in port_names(jc))
    assert await client.cmd("remove 7") == "resp 0"
    assert await client.cmd("param_get 7 gain") == "resp -3"
    await asyncio.sleep(0.2)  # the port goes once the process thread has let the plugin go
    assert await client.cmd("cpu_load") != ""  # a command runs the engine's clean-up too
    await asyncio.sleep(0.1)
    assert not any("effect_7" in p for p in port_names(jc))
    assert "effect_7" not in clients(jc)
    assert await client.cmd("remove 7") == "resp 0"  # a missing id is resp 0, as mod-host


async def test_re_adding_a_number_reuses_its_outside_port_name(client: EngineClient) -> None:
    """`remove` frees a plugin's outside ports only once the process thread let it go; an add
    of the same number right after must still get them (pipelined, no wait in between)."""
    lines = []
    for _ in range(5):
        lines += [
            f"add {AMP} 8",
            "connect system:capture_1 effect_8:input",
            "connect effect_8:output system:playback_1",
            "remove -1",
        ]
    await client.send_raw(b"".join(line.encode() + b"\0" for line in lines))
    replies = [await client.read_reply() for _ in lines]
    assert replies == ["resp 8", "resp 0", "resp 0", "resp 0"] * 5
