"""Derive a service's ZeroMQ RPC and PUB endpoints from its name and the settings."""

from __future__ import annotations

import os
from pathlib import Path

from stompbox.contract.errors import ValidationError
from stompbox.settings import Settings

IPC_PREFIX = "ipc://"
TCP_PREFIX = "tcp://"
MAX_IPC_PATH = 107
"""Longest path a unix socket address (sun_path) holds on Linux, without its NUL."""


def _explicit(service: str, kind: str, settings: Settings) -> str:
    value = getattr(settings, f"{service}_{kind}", "")
    return value if isinstance(value, str) else ""


def ensure_runtime_dir(path: Path) -> Path:
    """Create `path` (and parents) private to this user (mode 0700) if it does not exist yet.

    An existing directory is left as it is: the runtime dir may be configured to a shared place.
    """
    if not path.is_dir():
        try:
            path.mkdir(parents=True, mode=0o700, exist_ok=True)
            os.chmod(path, 0o700)
        except OSError as exc:
            raise ValidationError(f"cannot create runtime dir {path}: {exc}") from exc
    return path


def ipc_endpoint(directory: Path, filename: str) -> str:
    """`ipc://<directory>/<filename>`, checked against the unix socket path limit."""
    path = str(directory / filename)
    if len(os.fsencode(path)) > MAX_IPC_PATH:
        raise ValidationError(
            f"ipc socket path longer than {MAX_IPC_PATH} bytes: {path}; set a shorter runtime_dir"
        )
    return IPC_PREFIX + path


def _derive(service: str, kind: str, settings: Settings) -> str:
    if not service or "/" in service or service in {".", ".."}:
        raise ValidationError(f"invalid service name {service!r}")
    explicit = _explicit(service, kind, settings)
    if explicit:
        check_endpoint(explicit)
        return explicit
    directory = ensure_runtime_dir(Path(settings.runtime_dir))
    return ipc_endpoint(directory, f"{service}.{kind}")


def rpc_endpoint(service: str, settings: Settings) -> str:
    """The explicit `<service>_rpc` setting if set, else `ipc://<runtime_dir>/<service>.rpc`."""
    return _derive(service, "rpc", settings)


def pub_endpoint(service: str, settings: Settings) -> str:
    """The explicit `<service>_pub` setting if set, else `ipc://<runtime_dir>/<service>.pub`."""
    return _derive(service, "pub", settings)


def check_endpoint(endpoint: str) -> str:
    """Accept `ipc://<path>` and `tcp://<host>:<port>`; raise ValidationError for anything else."""
    if endpoint.startswith(IPC_PREFIX):
        if not endpoint[len(IPC_PREFIX) :]:
            raise ValidationError(f"empty ipc endpoint {endpoint!r}")
        return endpoint
    if endpoint.startswith(TCP_PREFIX):
        host, sep, port = endpoint[len(TCP_PREFIX) :].rpartition(":")
        if not sep or not host or not (port.isdigit() or port == "*"):
            raise ValidationError(f"tcp endpoint needs host:port, got {endpoint!r}")
        return endpoint
    raise ValidationError(f"unsupported endpoint {endpoint!r} (use ipc:// or tcp://)")


def ipc_path(endpoint: str) -> Path | None:
    """The socket file of a file-system ipc endpoint, or None (tcp, abstract `ipc://@name`)."""
    if not endpoint.startswith(IPC_PREFIX):
        return None
    rest = endpoint[len(IPC_PREFIX) :]
    if not rest or rest.startswith("@"):
        return None
    return Path(rest)
