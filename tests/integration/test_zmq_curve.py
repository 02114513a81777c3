"""tcp endpoints require CURVE: authorized clients get answers and events, others get nothing."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import stat
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from stompbox.contract.errors import StompboxConnectionError, StompboxTimeoutError
from stompbox.contract.method import Method
from stompbox.contract.rpc import Event
from stompbox.settings import Settings
from stompbox.zmqservice import (
    CurveKeys,
    Publisher,
    RpcClient,
    RpcServer,
    Subscriber,
    ZmqService,
    load_or_create,
)
from stompbox.zmqservice.curve import new_client_keys

WAIT = 20.0  # generous: shared 2-core machine
REFUSED = 1.5  # how long a refused client waits for an answer it must not get


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def keys(tmp_path: Path) -> CurveKeys:
    return load_or_create(tmp_path / "keys")


@contextlib.asynccontextmanager
async def serving(server: RpcServer) -> AsyncIterator[RpcServer]:
    async def echo(params: dict[str, Any]) -> dict[str, Any]:
        return params

    server.register(Method("echo", dict, object), echo)
    async with server:
        task = asyncio.create_task(server.run())
        try:
            yield server
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def first_event(pub: Publisher, sub: Subscriber) -> Event:
    """Publish probes until the subscriber sees one (PUB/SUB slow joiner), return that one."""
    await sub.wait_connected(WAIT)
    async with asyncio.timeout(WAIT):
        while True:
            pub.publish("probe", {})
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.05):
                    return await sub.receive()


async def receives_nothing(pub: Publisher, sub: Subscriber) -> bool:
    """Publish for REFUSED seconds; True if `sub` received none of it."""
    try:
        async with asyncio.timeout(REFUSED):
            receiving = asyncio.ensure_future(sub.receive())
            try:
                while not receiving.done():
                    pub.publish("probe", {})
                    await asyncio.wait((receiving,), timeout=0.05)
            finally:
                receiving.cancel()
                with contextlib.suppress(asyncio.CancelledError, StompboxConnectionError):
                    await receiving
    except TimeoutError:
        return True
    return False


# -- key files ----------------------------------------------------------------------------


def test_key_files_are_private_and_stable(tmp_path: Path) -> None:
    keys_dir = tmp_path / "data" / "keys"
    keys = load_or_create(keys_dir)
    assert mode(keys_dir) == 0o700
    assert mode(keys_dir / "authorized") == 0o700
    for name in ("server", "client"):
        assert mode(keys_dir / f"{name}.key_secret") == 0o600
        assert (keys_dir / f"{name}.key").is_file()
    assert (keys_dir / "authorized" / "client.key").is_file()
    assert not [p for p in keys_dir.iterdir() if p.name.startswith(".new-")]
    assert load_or_create(keys_dir) == keys
    assert keys.server_public != keys.client_public


def test_concurrent_creators_agree(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: load_or_create(keys_dir), range(16)))
    assert all(r == results[0] for r in results)
    assert load_or_create(keys_dir) == results[0]


def test_settings_keys_dir_defaults_under_data_dir(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).keys_dir == tmp_path / "keys"


# -- RPC ----------------------------------------------------------------------------------


async def test_rpc_admits_only_authorized_curve_clients(keys: CurveKeys) -> None:
    async with serving(RpcServer("tcp://127.0.0.1:*", name="t", curve=keys)) as srv:
        async with RpcClient(srv.endpoint, timeout=WAIT, curve=keys) as good:
            assert await good.call("echo", {"x": 1}) == {"x": 1}
            strangers = (None, new_client_keys(keys))
            for curve in strangers:
                async with RpcClient(srv.endpoint, timeout=REFUSED, retries=0, curve=curve) as bad:
                    with pytest.raises((StompboxTimeoutError, StompboxConnectionError)):
                        await bad.call("echo", {"x": 2})
                # the server still serves the authorized client
                assert await good.call("echo", {"x": 3}) == {"x": 3}
        assert srv.statistics().get("received", 0) == 3  # the strangers reached no handler


async def test_wrong_server_key_gets_no_answer(keys: CurveKeys, tmp_path: Path) -> None:
    other = load_or_create(tmp_path / "other")  # another stack's keys
    async with (
        serving(RpcServer("tcp://127.0.0.1:*", name="t", curve=keys)) as srv,
        RpcClient(srv.endpoint, timeout=REFUSED, retries=0, curve=other) as bad,
    ):
        with pytest.raises((StompboxTimeoutError, StompboxConnectionError)):
            await bad.call("echo", {})


async def test_ipc_ignores_curve(keys: CurveKeys, tmp_path: Path) -> None:
    endpoint = f"ipc://{tmp_path}/t.rpc"
    async with (
        serving(RpcServer(endpoint, name="t", curve=keys)) as srv,
        RpcClient(endpoint, timeout=WAIT) as plain,
    ):
        assert srv.curve is None
        assert await plain.call("echo", {"ipc": True}) == {"ipc": True}


# -- events -------------------------------------------------------------------------------


async def test_events_reach_only_authorized_subscribers(keys: CurveKeys) -> None:
    async with (
        Publisher("tcp://127.0.0.1:*", curve=keys) as pub,
        Subscriber(pub.endpoint, curve=keys) as good,
    ):
        assert (await first_event(pub, good)).event == "probe"
        for curve in (None, new_client_keys(keys)):
            async with Subscriber(pub.endpoint, curve=curve) as bad:
                with pytest.raises(StompboxTimeoutError):
                    await bad.wait_connected(REFUSED)
                assert await receives_nothing(pub, bad)
        # the authorized subscriber kept receiving
        published = pub.publish("after", {"n": 1})
        async with asyncio.timeout(WAIT):
            event = await good.receive()
            while event.event == "probe":
                event = await good.receive()
        assert event == published


# -- the service --------------------------------------------------------------------------


async def test_zmq_service_uses_curve_on_tcp(tmp_path: Path) -> None:
    settings = Settings(
        runtime_dir=tmp_path / "run",
        data_dir=tmp_path / "data",
        bridge_rpc=f"tcp://127.0.0.1:{free_port()}",
        bridge_pub=f"tcp://127.0.0.1:{free_port()}",
        rpc_timeout=WAIT,
    )
    bridge = ZmqService("bridge", settings)
    session = ZmqService("session", settings)
    assert bridge.server.curve is not None
    assert bridge.publisher.curve is not None
    assert session.server.curve is None  # ipc

    async def ping(params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    bridge.register(Method("ping", dict, object), ping)
    async with bridge, session, asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(bridge.run()), tg.create_task(session.run())]
        async with session.client("bridge") as cli, session.subscribe("bridge") as sub:
            assert await cli.call("ping") == {"ok": True}
            await first_event(bridge.publisher, sub)
        async with RpcClient(bridge.rpc_endpoint, timeout=REFUSED, retries=0) as plain:
            with pytest.raises((StompboxTimeoutError, StompboxConnectionError)):
                await plain.call("ping")
        for task in tasks:
            task.cancel()
    keys_dir = tmp_path / "data" / "keys"
    assert mode(keys_dir) == 0o700
    assert mode(keys_dir / "server.key_secret") == 0o600
    assert mode(keys_dir / "client.key_secret") == 0o600
