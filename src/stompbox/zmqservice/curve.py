"""CURVE keys of the stack for tcp endpoints, and the ZAP gate admitting only authorized clients.

Layout of the keys dir (mode 0700; zmq's certificate format, see `zmq.auth`)::

    server.key_secret   the stack's server keypair (0600)   server.key   its public key
    client.key_secret   the stack's client keypair (0600)   client.key   its public key
    authorized/         public keys (`*.key`) of the clients servers accept (client.key)

Every process of the stack shares these files: on one host they are created on first use by
whichever process needs them first (atomically: written to a temp dir, then hard-linked into
place, the first link wins); a part running on another host joins by copying the keys dir there.
ipc endpoints use no CURVE: they rely on the private (0700) runtime dir.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.asyncio
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

from stompbox.contract.errors import ValidationError

from .endpoints import TCP_PREFIX

SERVER = "server"
CLIENT = "client"
AUTHORIZED = "authorized"
ZAP_DOMAIN = "stompbox"


@dataclass(frozen=True)
class CurveKeys:
    """The stack's server keypair, this process's client keypair and the authorized keys dir."""

    server_public: bytes
    server_secret: bytes
    client_public: bytes
    client_secret: bytes
    authorized_dir: Path


def keys_for(keys_dir: Path, *endpoints: str) -> CurveKeys | None:
    """The stack's keys (loaded or created) when any of `endpoints` is tcp, else None."""
    if any(e.startswith(TCP_PREFIX) for e in endpoints):
        return load_or_create(keys_dir)
    return None


def uses_curve(endpoint: str, curve: CurveKeys | None) -> CurveKeys | None:
    """`curve` when `endpoint` is tcp, else None (ipc endpoints never use CURVE)."""
    return curve if endpoint.startswith(TCP_PREFIX) else None


def _private_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
        if path.stat().st_mode & 0o777 != 0o700:
            os.chmod(path, 0o700)
    except OSError as exc:
        raise ValidationError(f"cannot create private keys dir {path}: {exc}") from exc
    return path


def _public_cert(public: bytes) -> str:
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return (
        f"#   ****  stompbox CURVE public key ({now})  ****\n"
        "metadata\ncurve\n"
        f'    public-key = "{public.decode()}"\n'
    )


def _link_new(source: Path, target: Path) -> None:
    """Hard-link `source` to `target` unless `target` exists (a concurrent creator won)."""
    with contextlib.suppress(FileExistsError):
        os.link(source, target)


def _write_public(directory: Path, name: str, public: bytes) -> None:
    """Create `<directory>/<name>.key` holding `public`, atomically, unless it exists."""
    target = directory / f"{name}.key"
    if target.exists():
        return
    with tempfile.TemporaryDirectory(dir=directory, prefix=".new-") as tmp:
        staged = Path(tmp) / target.name
        staged.write_text(_public_cert(public), encoding="utf-8")
        os.chmod(staged, 0o644)
        _link_new(staged, target)


def _keypair(directory: Path, name: str) -> tuple[bytes, bytes]:
    """The keypair in `<name>.key_secret`, created atomically first if missing."""
    secret_file = directory / f"{name}.key_secret"
    if not secret_file.exists():
        tmp = tempfile.mkdtemp(dir=directory, prefix=".new-")
        try:
            _, staged = zmq.auth.create_certificates(tmp, name)
            os.chmod(staged, 0o600)
            _link_new(Path(staged), secret_file)  # the first creator's keypair wins
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    try:
        if secret_file.stat().st_mode & 0o077:
            os.chmod(secret_file, 0o600)
        public, secret = zmq.auth.load_certificate(secret_file)
    except (OSError, ValueError) as exc:
        raise ValidationError(f"cannot read CURVE key {secret_file}: {exc}") from exc
    if secret is None:
        raise ValidationError(f"{secret_file} holds no secret key")
    _write_public(directory, name, public)
    return public, secret


def load_or_create(keys_dir: Path) -> CurveKeys:
    """Read the stack's keys from `keys_dir`, generating whatever is missing (safe to race)."""
    directory = _private_dir(Path(keys_dir))
    server_public, server_secret = _keypair(directory, SERVER)
    client_public, client_secret = _keypair(directory, CLIENT)
    authorized = _private_dir(directory / AUTHORIZED)
    try:
        _write_public(authorized, CLIENT, client_public)
    except OSError as exc:
        raise ValidationError(f"cannot write {authorized / 'client.key'}: {exc}") from exc
    return CurveKeys(server_public, server_secret, client_public, client_secret, authorized)


def new_client_keys(keys: CurveKeys) -> CurveKeys:
    """`keys` with a fresh (unauthorized until its public key is in authorized/) client keypair."""
    public, secret = zmq.curve_keypair()
    return CurveKeys(keys.server_public, keys.server_secret, public, secret, keys.authorized_dir)


def secure_client(sock: zmq.Socket[bytes] | zmq.asyncio.Socket, keys: CurveKeys) -> None:
    """Make `sock` (before connect) a CURVE client of the stack's server key."""
    sock.curve_serverkey = keys.server_public
    sock.curve_publickey = keys.client_public
    sock.curve_secretkey = keys.client_secret


def secure_server(sock: zmq.Socket[bytes] | zmq.asyncio.Socket, keys: CurveKeys) -> None:
    """Make `sock` (before bind) a CURVE server that asks ZAP about every client."""
    sock.curve_secretkey = keys.server_secret
    sock.curve_publickey = keys.server_public
    sock.curve_server = True
    sock.zap_domain = ZAP_DOMAIN.encode()
    sock.setsockopt(zmq.ZAP_ENFORCE_DOMAIN, 1)  # no ZAP handler → refuse, never admit all


class CurveGate:
    """A private zmq context whose ZAP handler admits only clients whose public key is in
    `keys.authorized_dir` (read when the gate opens).

    ZAP handlers are per context (one inproc address), so each CURVE server socket gets its own
    context from its own gate: no sharing, no ordering between the RPC server and the publisher.
    """

    def __init__(self, keys: CurveKeys) -> None:
        self.keys = keys
        self._context: zmq.asyncio.Context | None = None
        self._auth: ThreadAuthenticator | None = None

    def open(self) -> zmq.asyncio.Context:
        context = zmq.asyncio.Context()
        try:
            auth = ThreadAuthenticator(context)
            auth.start()
            auth.configure_curve(domain=ZAP_DOMAIN, location=str(self.keys.authorized_dir))
        except BaseException:
            context.destroy(linger=0)
            raise
        self._context, self._auth = context, auth
        return context

    def close(self) -> None:
        auth, context = self._auth, self._context
        self._auth = self._context = None
        if auth is not None:
            auth.stop()
        if context is not None:
            context.destroy(linger=0)
