"""One conformance suite for the session's bridge seam: the same typed calls against the real
bridge (over ZeroMQ, on the real engine and jackd) and against `FakeBridge` give the same results,
the same error types and the same state. Session unit tests run on the fake; this keeps it honest.

The fake is given the real catalog entry of the plugin under test, so both sides see the same
ports and ranges; engine numbers are not compared (the fake counts its own).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
import pytest

from stompbox.contract.errors import StompboxError
from stompbox.session.bridge_client import BridgeApi, ZmqBridge
from stompbox.session.fake_bridge import FakeBridge
from stompbox.zmqservice import RpcClient
from tests.support.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

AMP = "http://plugin.org.uk/swh-plugins/amp"

Step = tuple[str, Callable[[BridgeApi], Awaitable[Any]]]


def _norm(value: Any) -> Any:
    """Results as plain data, engine numbers and floats' last digits aside."""
    data = msgspec.to_builtins(value)
    if isinstance(data, dict):
        return {k: _norm(v) for k, v in sorted(data.items()) if k != "number"}
    if isinstance(data, list):
        return [_norm(v) for v in data]
    if isinstance(data, float):
        return round(data, 3)
    return data


SCENARIO: list[Step] = [
    ("load", lambda b: b.load(AMP, "amp")),
    ("load a second", lambda b: b.load(AMP, "amp-2")),
    ("load a taken id", lambda b: b.load(AMP, "amp")),
    ("load an unknown uri", lambda b: b.load("urn:not-installed", "x")),
    ("load a bad id", lambda b: b.load(AMP, "a.b")),
    ("load the reserved id", lambda b: b.load(AMP, "system")),
    ("set in range", lambda b: b.set_parameter("amp", "gain", -6.5)),
    ("set out of range", lambda b: b.set_parameter("amp", "gain", 1000.0)),
    ("set not finite", lambda b: b.set_parameter("amp", "gain", float("nan"))),
    ("set an unknown symbol", lambda b: b.set_parameter("amp", "nope", 1.0)),
    ("set an audio port", lambda b: b.set_parameter("amp", "input", 1.0)),
    ("set on an unknown instance", lambda b: b.set_parameter("nope", "gain", 1.0)),
    ("bypass", lambda b: b.bypass("amp", True)),
    ("bypass an unknown instance", lambda b: b.bypass("nope", True)),
    ("connect capture → amp", lambda b: b.connect("system:capture_1", "amp:input")),
    ("connect amp → amp-2", lambda b: b.connect("amp:output", "amp-2:input")),
    ("connect amp-2 → playback", lambda b: b.connect("amp-2:output", "system:playback_1")),
    ("connect a control port", lambda b: b.connect("amp:gain", "system:playback_2")),
    ("connect an unknown port", lambda b: b.connect("amp:nope", "system:playback_2")),
    ("connect garbage", lambda b: b.connect("garbage", "system:playback_2")),
    ("connections", lambda b: _sorted(b.list_connections())),
    ("disconnect", lambda b: b.disconnect("amp:output", "amp-2:input")),
    ("connections after", lambda b: _sorted(b.list_connections())),
    ("preset unknown", lambda b: b.load_preset("amp", "urn:no-such-preset")),
    ("unload", lambda b: b.unload("amp-2")),
    ("unload again", lambda b: b.unload("amp-2")),
    ("connections after unload", lambda b: _sorted(b.list_connections())),
    ("state", lambda b: b.state()),
    ("info unknown", lambda b: b.info("urn:not-installed")),
    ("reset", lambda b: b.reset()),
    ("state after reset", lambda b: b.state()),
]


async def _sorted(pairs: Awaitable[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    return sorted(await pairs)


async def run(api: BridgeApi) -> list[tuple[str, Any]]:
    outcomes: list[tuple[str, Any]] = []
    for name, step in SCENARIO:
        try:
            outcomes.append((name, ("ok", _norm(await step(api)))))
        except StompboxError as exc:
            outcomes.append((name, ("error", exc.type)))
    return outcomes


@pytest.fixture
async def real(stack_factory: Callable[..., Stack]) -> AsyncIterator[BridgeApi]:
    stack = stack_factory(upto="bridge")
    async with RpcClient(stack.bridge_rpc, timeout=20) as client:
        yield BridgeApi(ZmqBridge(client))


async def test_fake_bridge_answers_like_the_real_one(real: BridgeApi) -> None:
    fake = BridgeApi(FakeBridge({AMP: await real.info(AMP)}))
    expected, got = await run(real), await run(fake)
    differences = [
        f"{name}: real {r!r}, fake {f!r}"
        for (name, r), (_, f) in zip(expected, got, strict=True)
        if r != f
    ]
    assert not differences, "\n".join(differences)
