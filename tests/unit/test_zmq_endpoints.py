"""Endpoint derivation from service names and settings (file system only, no sockets)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from stompbox.contract.errors import ValidationError
from stompbox.settings import Settings
from stompbox.zmqservice.endpoints import (
    MAX_IPC_PATH,
    check_endpoint,
    ipc_path,
    pub_endpoint,
    rpc_endpoint,
)


def test_default_endpoints_are_ipc_in_runtime_dir(tmp_path: Path) -> None:
    runtime = tmp_path / "run" / "stompbox"
    settings = Settings(runtime_dir=runtime)
    assert rpc_endpoint("bridge", settings) == f"ipc://{runtime}/bridge.rpc"
    assert pub_endpoint("bridge", settings) == f"ipc://{runtime}/bridge.pub"
    assert rpc_endpoint("session", settings) == f"ipc://{runtime}/session.rpc"
    assert pub_endpoint("session", settings) == f"ipc://{runtime}/session.pub"


def test_runtime_dir_is_created_private(tmp_path: Path) -> None:
    runtime = tmp_path / "a" / "b"
    rpc_endpoint("bridge", Settings(runtime_dir=runtime))
    assert runtime.is_dir()
    assert stat.S_IMODE(runtime.stat().st_mode) == 0o700


def test_existing_runtime_dir_is_left_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    rpc_endpoint("bridge", Settings(runtime_dir=tmp_path))
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755


def test_explicit_settings_win(tmp_path: Path) -> None:
    settings = Settings(
        runtime_dir=tmp_path,
        bridge_rpc="tcp://127.0.0.1:7001",
        session_pub="tcp://10.0.0.2:7004",
    )
    assert rpc_endpoint("bridge", settings) == "tcp://127.0.0.1:7001"
    assert pub_endpoint("bridge", settings) == f"ipc://{tmp_path}/bridge.pub"
    assert pub_endpoint("session", settings) == "tcp://10.0.0.2:7004"
    assert rpc_endpoint("session", settings) == f"ipc://{tmp_path}/session.rpc"


def test_unknown_service_gets_ipc(tmp_path: Path) -> None:
    assert rpc_endpoint("web", Settings(runtime_dir=tmp_path)) == f"ipc://{tmp_path}/web.rpc"


@pytest.mark.parametrize("name", ["", "a/b", "..", "."])
def test_invalid_service_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValidationError):
        rpc_endpoint(name, Settings(runtime_dir=tmp_path))


def test_ipc_path_too_long_is_rejected(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * MAX_IPC_PATH)
    with pytest.raises(ValidationError, match="longer than"):
        rpc_endpoint("bridge", Settings(runtime_dir=deep))


def test_bad_explicit_endpoint_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        rpc_endpoint("bridge", Settings(runtime_dir=tmp_path, bridge_rpc="http://x"))


@pytest.mark.parametrize(
    "endpoint",
    ["ipc:///run/x.rpc", "ipc://@abstract", "tcp://127.0.0.1:7001", "tcp://*:7001", "tcp://h:*"],
)
def test_check_endpoint_accepts(endpoint: str) -> None:
    assert check_endpoint(endpoint) == endpoint


@pytest.mark.parametrize(
    "endpoint", ["", "ipc://", "tcp://127.0.0.1", "tcp://:7001", "tcp://h:port", "udp://h:1"]
)
def test_check_endpoint_rejects(endpoint: str) -> None:
    with pytest.raises(ValidationError):
        check_endpoint(endpoint)


def test_ipc_path() -> None:
    assert ipc_path("ipc:///run/x.rpc") == Path("/run/x.rpc")
    assert ipc_path("ipc://@abstract") is None
    assert ipc_path("tcp://127.0.0.1:1") is None
