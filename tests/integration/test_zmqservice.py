"""zmqservice over real ZeroMQ sockets (ipc in a temp dir, tcp): RPC, errors, garbage, events."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import zmq
import zmq.asyncio
from hypothesis import HealthCheck, given, settings, strategies as st

from stompbox.contract.errors import (
    ConflictError,
    EngineError,
    InternalError,
    NotFoundError,
    StompboxConnectionError,
    StompboxTimeoutError,
    ValidationError,
)
from stompbox.contract.method import Method
from stompbox.contract.rpc import MAX_MESSAGE_BYTES, Event, decode_response, encode
from stompbox.settings import Settings
from stompbox.zmqservice import Publisher, RpcClient, RpcServer, Subscriber, ZmqService
from stompbox.zmqservice.server import ZMQ_MAX_FRAME

WAIT = 20.0  # generous: shared 2-core machine


class Gain(msgspec.Struct):
    instance_id: str
    value: float


class Unencodable:
    pass


SET_GAIN = Method("set_gain", Gain, Gain)
ACT_GO = Method("act.go", Gain, Gain, envelope=True)
"""An action-envelope method: RPC method `act`, params `{"method": "go", "params": {...}}`."""


def build_server(endpoint: str, **kwargs: Any) -> RpcServer:
    server = RpcServer(endpoint, name="test", **kwargs)

    async def echo(params: dict[str, Any]) -> dict[str, Any]:
        return params

    async def jitter(params: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(params["delay"])
        return {"n": params["n"]}

    async def set_gain(params: Gain) -> Gain:
        return Gain(params.instance_id, min(params.value, 1.0))

    async def act_go(params: Gain) -> Gain:
        return Gain(params.instance_id, params.value * 2)

    async def conflict(params: dict[str, Any]) -> None:
        raise ConflictError("name taken", {"name": "x"})

    async def engine(params: dict[str, Any]) -> None:
        raise EngineError("instance does not exist", -3)

    async def boom(params: dict[str, Any]) -> None:
        raise RuntimeError("handler bug")

    async def bad_result(params: dict[str, Any]) -> Unencodable:
        return Unencodable()

    async def odd_data(params: dict[str, Any]) -> None:
        raise ConflictError("taken", {"thing": Unencodable()})

    async def expire(params: dict[str, Any]) -> None:
        async with asyncio.timeout(0):
            await asyncio.sleep(1)

    async def sleep(params: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(params.get("seconds", 3600))
        return {}

    server.register(Method("echo", dict, object), echo)
    server.register(Method("jitter", dict, object), jitter)
    server.register(SET_GAIN, set_gain)
    server.register(ACT_GO, act_go)
    server.register(Method("conflict", dict, object), conflict)
    server.register(Method("engine", dict, object), engine)
    server.register(Method("boom", dict, object), boom)
    server.register(Method("bad_result", dict, object), bad_result)
    server.register(Method("sleep", dict, object), sleep)
    server.register(Method("odd_data", dict, object), odd_data)
    server.register(Method("expire", dict, object), expire)
    return server


@contextlib.asynccontextmanager
async def serving(server: RpcServer) -> AsyncIterator[RpcServer]:
    async with server:
        task = asyncio.create_task(server.run())
        try:
            yield server
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@pytest.fixture
def endpoint(tmp_path: Path) -> str:
    return f"ipc://{tmp_path}/t.rpc"


@pytest.fixture
async def server(endpoint: str) -> AsyncIterator[RpcServer]:
    async with serving(build_server(endpoint)) as srv:
        yield srv


@pytest.fixture
async def client(server: RpcServer) -> AsyncIterator[RpcClient]:
    async with RpcClient(server.endpoint, timeout=WAIT, retries=0) as cli:
        yield cli


# -- RPC ------------------------------------------------------------------------------------


async def test_round_trip(client: RpcClient) -> None:
    assert await client.call("echo", {"a": [1, 2.5, "x", None]}) == {"a": [1, 2.5, "x", None]}
    assert await client.call("echo") == {}
    result = await client.call("set_gain", Gain("fx1", 3.0))
    assert result == {"instance_id": "fx1", "value": 1.0}
    typed = await client.call(SET_GAIN, Gain("fx1", 0.5))
    assert typed == Gain("fx1", 0.5)


async def test_envelope_methods_travel_in_the_action_mapping(client: RpcClient) -> None:
    assert await client.call(ACT_GO, Gain("fx1", 0.25)) == Gain("fx1", 0.5)
    wire = {"method": "go", "params": {"instance_id": "fx1", "value": 1.0}}
    assert await client.call("act", wire) == {"instance_id": "fx1", "value": 2.0}
    with pytest.raises(NotFoundError, match=r"act\.nope"):
        await client.call("act", {"method": "nope"})
    with pytest.raises(NotFoundError):
        await client.call("act.go", {"instance_id": "fx1", "value": 1.0})  # not by its full name
    with pytest.raises(ValidationError, match="invalid params"):
        await client.call("act", {"method": "go", "params": {"value": 1.0}})
    with pytest.raises(ValidationError, match="invalid params"):
        await client.call("act", {"params": {}})


async def test_100_concurrent_calls_resolve_to_their_own_replies(
    client: RpcClient, server: RpcServer
) -> None:
    rng = random.Random(7)
    calls = [client.call("jitter", {"n": n, "delay": rng.random() / 20}) for n in range(100)]
    results = await asyncio.gather(*calls)
    assert [r["n"] for r in results] == list(range(100))
    assert server.statistics()["ok"] >= 100
    assert client.statistics()["pending"] == 0


async def test_handler_concurrency_is_bounded(endpoint: str) -> None:
    async with (
        serving(build_server(endpoint, max_concurrency=4)) as srv,
        RpcClient(endpoint, timeout=WAIT) as cli,
    ):
        calls = [cli.call("jitter", {"n": n, "delay": 0.02}) for n in range(40)]
        assert [r["n"] for r in await asyncio.gather(*calls)] == list(range(40))
        assert srv.statistics()["max_in_flight"] <= 4


async def test_errors_are_typed(client: RpcClient) -> None:
    with pytest.raises(NotFoundError, match="no method"):
        await client.call("no_such_method")
    with pytest.raises(ConflictError) as conflict:
        await client.call("conflict")
    assert conflict.value.data == {"name": "x"}
    with pytest.raises(EngineError) as engine:
        await client.call("engine")
    assert engine.value.engine_code == -3
    with pytest.raises(ValidationError, match="invalid params"):
        await client.call("set_gain", {"instance_id": "fx1", "value": "loud"})
    with pytest.raises(ValidationError, match="unexpected result"):
        await client.call(Method("echo", dict, Gain), {"x": 1})
    with pytest.raises(ConflictError) as odd:
        await client.call("odd_data")  # its data cannot be encoded: sent without it
    assert odd.value.data is None
    with pytest.raises(StompboxTimeoutError):
        await client.call("expire")  # a handler's own timeout
    with pytest.raises(ValidationError, match="not encodable"):
        await client.call("echo", {"x": Unencodable()})


async def test_handler_exception_is_internal_and_server_keeps_serving(
    client: RpcClient, server: RpcServer
) -> None:
    with pytest.raises(InternalError, match="RuntimeError: handler bug"):
        await client.call("boom")
    with pytest.raises(InternalError, match="not encodable"):
        await client.call("bad_result")
    assert await client.call("echo", {"still": "alive"}) == {"still": "alive"}
    assert server.statistics()["error.internal"] == 2


async def test_timeout_is_typed_and_late_reply_is_ignored(client: RpcClient) -> None:
    with pytest.raises(StompboxTimeoutError):
        await client.call("sleep", {"seconds": 1.0}, timeout=0.2)
    # the late reply of the timed-out call must not be taken for the next call's reply
    assert await client.call("jitter", {"n": 5, "delay": 1.5}) == {"n": 5}
    assert await client.call("echo", {"k": 1}) == {"k": 1}


async def test_only_idempotent_calls_are_retried_after_a_timeout(endpoint: str) -> None:
    server = RpcServer(endpoint, name="flaky")
    calls: list[str] = []

    async def first_hangs(params: dict[str, Any]) -> dict[str, Any]:
        calls.append(params["tag"])
        if calls.count(params["tag"]) == 1:
            await asyncio.sleep(3600)
        return {"attempt": calls.count(params["tag"])}

    server.register(Method("first_hangs", dict, object), first_hangs)
    async with serving(server), RpcClient(endpoint, timeout=5.0, retries=2) as cli:
        with pytest.raises(StompboxTimeoutError):
            await cli.call("first_hangs", {"tag": "set"})
        assert calls.count("set") == 1  # a set is never applied twice
        assert await cli.call("first_hangs", {"tag": "get"}, idempotent=True) == {"attempt": 2}
        assert cli.statistics()["retries"] == 1


async def test_oversized_request_is_refused_by_client(client: RpcClient) -> None:
    with pytest.raises(ValidationError, match="exceeds"):
        await client.call("echo", {"blob": "x" * MAX_MESSAGE_BYTES})


async def test_missing_ipc_socket_is_a_connection_error(tmp_path: Path) -> None:
    async with RpcClient(f"ipc://{tmp_path}/absent.rpc", timeout=WAIT, retries=2) as cli:
        with pytest.raises(StompboxConnectionError, match="no socket file") as info:
            await cli.call("echo")
        assert info.value.data["delivered"] is False
        assert cli.statistics()["retries"] == 2


async def test_stale_ipc_socket_fails_without_waiting_for_timeout(tmp_path: Path) -> None:
    path = tmp_path / "stale.rpc"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(str(path))  # a socket file nobody listens on: what a killed server leaves
        async with RpcClient(f"ipc://{path}", timeout=60.0, retries=0) as cli:
            with pytest.raises(StompboxConnectionError, match="cannot connect") as info:
                await cli.call("echo")
            assert info.value.data["delivered"] is False


async def test_server_going_away_fails_pending_calls(endpoint: str) -> None:
    async with RpcClient(endpoint, timeout=60.0, retries=0) as cli:
        async with serving(build_server(endpoint)):
            assert await cli.call("echo") == {}
            pending = asyncio.ensure_future(cli.call("sleep"))
            while cli.statistics()["pending"] == 0:
                await asyncio.sleep(0.01)
        with pytest.raises(StompboxConnectionError, match="lost"):
            await pending
        # a restarted server on the same endpoint is reached again
        async with serving(build_server(endpoint)):
            assert await cli.call("echo", {"again": 1}, idempotent=True) == {"again": 1}


CRASHING_SERVER = """
import asyncio, sys
from stompbox.contract.method import Method
from stompbox.zmqservice import RpcServer

async def main():
    server = RpcServer(sys.argv[1], name="doomed")

    async def sleep(params):
        await asyncio.sleep(3600)

    async def echo(params):
        return params

    server.register(Method("sleep", dict, object), sleep)
    server.register(Method("echo", dict, object), echo)
    async with server:
        await server.run()

asyncio.run(main())
"""


async def test_killed_server_fails_calls_fast(endpoint: str) -> None:
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", CRASHING_SERVER, endpoint)
    try:
        async with RpcClient(endpoint, timeout=60.0, retries=100, retry_delay=0.1) as cli:
            assert await cli.call("echo", {"up": 1}) == {"up": 1}  # retried until it listens
            pending = asyncio.ensure_future(cli.call("sleep"))
            while cli.statistics()["pending"] == 0:
                await asyncio.sleep(0.01)
            process.kill()
            await process.wait()
            with pytest.raises(StompboxConnectionError, match="lost"):
                await pending  # not after the 60 s timeout: the connection drop is noticed
            assert Path(endpoint.removeprefix("ipc://")).exists()  # SIGKILL leaves the file
            with pytest.raises(StompboxConnectionError, match="cannot connect"):
                await cli.call("echo", retries=0)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_closing_the_client_fails_pending_calls(server: RpcServer) -> None:
    cli = RpcClient(server.endpoint, timeout=60.0)
    async with cli:
        pending = asyncio.ensure_future(cli.call("sleep"))
        while cli.statistics()["pending"] == 0:
            await asyncio.sleep(0.01)
    with pytest.raises(StompboxConnectionError, match="closed"):
        await pending
    with pytest.raises(StompboxConnectionError, match="not open"):
        await cli.call("echo")


async def test_endpoint_taken_by_a_live_server_is_a_conflict(server: RpcServer) -> None:
    with pytest.raises(ConflictError):
        async with build_server(server.endpoint):
            pass
    async with serving(build_server("tcp://127.0.0.1:*")) as tcp:
        with pytest.raises(ConflictError):
            async with build_server(tcp.endpoint):
                pass


async def test_stale_ipc_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "stale.rpc"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(str(path))
    async with serving(build_server(f"ipc://{path}")), RpcClient(f"ipc://{path}") as cli:
        assert await cli.call("echo", {"fresh": True}) == {"fresh": True}


async def test_bind_failure_is_a_stompbox_error(tmp_path: Path) -> None:
    with pytest.raises(StompboxConnectionError):
        async with build_server(f"ipc://{tmp_path}/no/such/dir/x.rpc"):
            pass
    with pytest.raises(StompboxConnectionError):
        async with Publisher(f"ipc://{tmp_path}/no/such/dir/x.pub"):
            pass


async def test_tcp_endpoint(tmp_path: Path) -> None:
    async with (
        serving(build_server("tcp://127.0.0.1:*")) as srv,
        RpcClient(srv.endpoint, timeout=WAIT) as cli,
    ):
        assert srv.endpoint.startswith("tcp://127.0.0.1:")
        assert await cli.call("echo", {"over": "tcp"}) == {"over": "tcp"}
    async with Publisher("tcp://127.0.0.1:*") as pub, Subscriber(pub.endpoint) as sub:
        first = await first_event(pub, sub)
        assert first.event == "probe"


# -- garbage on the wire ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def threaded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server running in its own thread and event loop, for synchronous raw-socket tests."""
    endpoint = f"ipc://{tmp_path_factory.mktemp('garbage')}/g.rpc"
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def serve() -> None:
        state["loop"] = asyncio.get_running_loop()
        state["task"] = asyncio.current_task()
        async with build_server(endpoint) as srv:
            ready.set()
            await srv.run()

    def main() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            asyncio.run(serve())

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert ready.wait(WAIT)
    yield endpoint
    state["loop"].call_soon_threadsafe(state["task"].cancel)
    thread.join(WAIT)


def raw_socket(kind: int, endpoint: str) -> zmq.Socket[bytes]:
    sock: zmq.Socket[bytes] = zmq.Context.instance().socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, int(WAIT * 1000))
    sock.connect(endpoint)
    return sock


def assert_still_answers(sock: zmq.Socket[bytes], tag: str) -> None:
    """Send a valid request on a raw DEALER and read replies until its own arrives."""
    sock.send_multipart([b"", encode({"id": tag, "method": "echo", "params": {"tag": tag}})])
    while True:
        frames = sock.recv_multipart()  # RCVTIMEO raises zmq.Again if the server wedged
        if len(frames) == 2 and frames[0] == b"":
            response = decode_response(frames[1])
            if response.id == tag:
                assert response.result == {"tag": tag}
                return


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
payloads = st.one_of(
    st.binary(max_size=64),
    json_values.map(encode),
    st.fixed_dictionaries({"id": json_values, "method": json_values, "params": json_values}).map(
        encode
    ),
    st.fixed_dictionaries({"id": st.integers(), "method": st.sampled_from(["echo", "set_gain"])})
    .map(lambda d: {**d, "params": {"instance_id": 1, "value": "x"}})
    .map(encode),
)
frame_lists = st.lists(payloads, min_size=1, max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames=frame_lists, with_delimiter=st.booleans())
def test_garbage_on_dealer_never_wedges(
    threaded_server: str, frames: list[bytes], with_delimiter: bool
) -> None:
    sock = raw_socket(zmq.DEALER, threaded_server)
    try:
        sock.send_multipart([b"", *frames] if with_delimiter else frames)
        assert_still_answers(sock, "after-garbage")
    finally:
        sock.close(linger=0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames=frame_lists)
def test_every_req_message_gets_an_envelope_reply(
    threaded_server: str, frames: list[bytes]
) -> None:
    sock = raw_socket(zmq.REQ, threaded_server)
    try:
        sock.send_multipart(frames)
        response = decode_response(sock.recv())
        if response.error is not None:
            assert response.error.type in {"validation", "not_found"}
    finally:
        sock.close(linger=0)


def test_huge_frames(threaded_server: str) -> None:
    sock = raw_socket(zmq.DEALER, threaded_server)
    try:
        sock.send_multipart([b"", b'{"id": 1, "method": "echo", "x": "' + b"y" * MAX_MESSAGE_BYTES])
        response = decode_response(sock.recv_multipart()[1])
        assert response.error is not None
        assert response.error.type == "validation"
        assert_still_answers(sock, "after-huge")
    finally:
        sock.close(linger=0)
    # beyond ZMQ_MAX_FRAME libzmq drops the sender; the server carries on for everyone else
    rude = raw_socket(zmq.DEALER, threaded_server)
    polite = raw_socket(zmq.DEALER, threaded_server)
    try:
        rude.send_multipart([b"", b"z" * (ZMQ_MAX_FRAME + 1)])
        assert_still_answers(polite, "after-oversize")
    finally:
        rude.close(linger=0)
        polite.close(linger=0)


# -- events -----------------------------------------------------------------------------------


async def first_event(pub: Publisher, sub: Subscriber) -> Event:
    """Publish probes until the subscriber sees one (PUB/SUB slow joiner), return that one."""
    await sub.wait_connected(WAIT)
    async with asyncio.timeout(WAIT):
        while True:
            pub.publish("probe", {})
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.05):
                    return await sub.receive()


async def test_events_arrive_in_order_with_consecutive_seq(tmp_path: Path) -> None:
    endpoint = f"ipc://{tmp_path}/t.pub"
    async with Publisher(endpoint) as pub, Subscriber(endpoint) as sub:
        await first_event(pub, sub)
        start = pub.seq
        sent = [pub.publish("parameter_changed", {"i": i}) for i in range(500)]
        assert [e.seq for e in sent] == list(range(start + 1, start + 501))
        received: list[Event] = []
        async with asyncio.timeout(WAIT):
            async for event in sub:
                if event.event == "parameter_changed":
                    received.append(event)
                    if len(received) == 500:
                        break
        assert received == sent
        assert sub.statistics().get("missed", 0) == 0
        assert pub.statistics()["published"] == pub.seq


async def test_topic_filter_is_exact(tmp_path: Path) -> None:
    endpoint = f"ipc://{tmp_path}/t.pub"
    async with (
        Publisher(endpoint) as pub,
        Subscriber(endpoint, ["probe", "plugin_loaded"]) as sub,
    ):
        await first_event(pub, sub)
        pub.publish("plugin_loaded_extra", {"no": 1})
        pub.publish("connection_created", {"no": 2})
        loaded = pub.publish("plugin_loaded", {"yes": 1})
        async with asyncio.timeout(WAIT):
            event = await sub.receive()
            while event.event == "probe":
                event = await sub.receive()
        assert event == loaded
        assert sub.statistics()["filtered"] == 1  # prefix match delivered, then dropped by us


async def test_malformed_events_are_skipped_and_counted(tmp_path: Path) -> None:
    endpoint = f"ipc://{tmp_path}/raw.pub"
    raw: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.PUB)
    raw.setsockopt(zmq.LINGER, 0)
    raw.bind(endpoint)
    try:
        async with Subscriber(endpoint) as sub:
            await sub.wait_connected(WAIT)
            good = Event(event="ok", seq=1, timestamp="t", data={})
            async with asyncio.timeout(WAIT):
                while True:
                    raw.send_multipart([b"junk"])
                    raw.send_multipart([b"x", b"not json"])
                    raw.send_multipart([b"other", encode(good)])  # topic/event mismatch
                    raw.send_multipart([b"ok", encode(good)])
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(0.05):
                            assert await sub.receive() == good
                            break
            assert sub.statistics()["malformed"] >= 3
    finally:
        raw.close(linger=0)


# -- the service ------------------------------------------------------------------------------


async def test_zmq_service_end_to_end(tmp_path: Path) -> None:
    settings_ = Settings(runtime_dir=tmp_path / "run", rpc_timeout=WAIT)
    bridge = ZmqService("bridge", settings_)
    session = ZmqService("session", settings_)

    async def ping(params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    bridge.register(Method("ping", dict, object), ping)
    assert bridge.rpc_endpoint == f"ipc://{tmp_path}/run/bridge.rpc"
    async with bridge, session, asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(bridge.run()), tg.create_task(session.run())]
        async with session.client("bridge") as cli, session.subscribe("bridge") as sub:
            assert await cli.call("ping") == {"ok": True}
            with pytest.raises(NotFoundError):
                await cli.call("nope")
            await first_event(bridge.publisher, sub)
            published = bridge.publish("engine_connected", {"at": 1})
            async with asyncio.timeout(WAIT):
                event = await sub.receive()
                while event.event == "probe":
                    event = await sub.receive()
            assert event == published
            assert event.seq == bridge.seq
        stats = bridge.statistics()
        assert stats["rpc"]["ok"] == 1
        assert stats["rpc"]["error.not_found"] == 1
        assert stats["pub"]["seq"] == bridge.seq
        for task in tasks:
            task.cancel()
