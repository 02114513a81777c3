"""The engine's `feature_enable processing`: replies, and silence while off, verified by audio."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.support.audio import AudioProbe
from tests.support.engine import EngineClient

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"


@pytest.fixture
async def client(client: EngineClient) -> AsyncIterator[EngineClient]:
    yield client
    assert await client.cmd("feature_enable processing 1") == "resp 0"  # then remove -1


async def measure(probe: AudioProbe) -> float:
    return (await asyncio.to_thread(probe.measure_rms, 0.3))[0]


@pytest.mark.parametrize("value", [-2, -1, 0, 1, 2, 3])
async def test_every_documented_value_answers_resp_0(client: EngineClient, value: int) -> None:
    assert await client.cmd(f"feature_enable processing {value}") == "resp 0"


async def test_out_of_range_value_and_unknown_feature_are_refused(client: EngineClient) -> None:
    assert await client.cmd("feature_enable processing 7") == "resp -902"
    assert await client.cmd("feature_enable nonsense 1") == "resp -902"


async def test_processing_off_silences_plugins_and_on_restores(
    client: EngineClient, probe: AudioProbe
) -> None:
    assert await client.cmd(f"add {AMP} 0") == "resp 0"
    assert await client.cmd(f"connect {probe.out()} effect_0:input") == "resp 0"
    assert await client.cmd(f"connect effect_0:output {probe.inp()}") == "resp 0"
    assert await measure(probe) == pytest.approx(probe.input_rms, rel=0.05)

    assert await client.cmd("feature_enable processing 0") == "resp 0"
    assert await measure(probe) == pytest.approx(0.0, abs=1e-4)
    # a bypassed plugin is silent too while processing is off (no contraction)
    assert await client.cmd("bypass 0 1") == "resp 0"
    assert await measure(probe) == pytest.approx(0.0, abs=1e-4)
    assert await client.cmd("bypass 0 0") == "resp 0"

    assert await client.cmd("feature_enable processing 1") == "resp 0"
    assert await measure(probe) == pytest.approx(probe.input_rms, rel=0.05)

    assert await client.cmd("feature_enable processing -2") == "resp 0"
    assert await measure(probe) == pytest.approx(0.0, abs=1e-4)
    assert await client.cmd("feature_enable processing 3") == "resp 0"
    assert await measure(probe) == pytest.approx(probe.input_rms, rel=0.05)
