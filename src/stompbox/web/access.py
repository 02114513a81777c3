"""Who may talk to the web process: loopback-only by default, a bearer token otherwise.

When the web process binds a non-loopback address, every HTTP request and WebSocket needs the
token: `Authorization: Bearer <token>`, the `stompbox_token` cookie (set by opening
`/?token=<token>` once) or, for WebSockets only, a `token` query parameter. The token is made on
first run (`secrets.token_urlsafe`), printed once and kept in `<data_dir>/token` with mode 0600.
Browsers are held to their own origin: a WebSocket or a state-changing HTTP request whose
`Origin` names another host than the request's `Host` is refused (cross-site WebSocket hijacking,
CSRF); when bound to loopback the `Host` must be a loopback name (DNS rebinding).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

COOKIE = "stompbox_token"
TOKEN_FILE = "token"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """True for `localhost`, 127.0.0.0/8 and ::1 (with or without brackets)."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """The host part of a `Host` header value (`[::1]:8080` → `::1`, `a.b:80` → `a.b`)."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value[1:]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def load_or_create_token(path: Path) -> tuple[str, bool]:
    """The token stored at `path`, creating it (mode 0600) if missing; (token, created)."""
    with contextlib.suppress(FileNotFoundError):
        token = path.read_text().strip()
        if token:
            os.chmod(path, 0o600)
            return token, False
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, token.encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return token, True


def cookie_values(cookie_header: str, name: str = COOKIE) -> list[str]:
    """Every value of cookie `name` in a `Cookie` header, parsed leniently (`a=b; c=d`).

    Other applications on the same host set cookies too, some with characters a strict parser
    rejects (the whole header then parsed as nothing, and the user locked out), and a cookie of
    the same name for another path may come first: so each pair is taken on its own and every
    value of our name is returned, for the caller to try in turn."""
    values = []
    for pair in cookie_header.split(";"):
        key, sep, value = pair.strip().partition("=")
        if sep and key.strip() == name:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            if value:
                values.append(value)
    return values


def cookie_value(cookie_header: str, name: str = COOKIE) -> str | None:
    """The first value of cookie `name` (see `cookie_values`), or None."""
    values = cookie_values(cookie_header, name)
    return values[0] if values else None


def bearer(authorization: str) -> str | None:
    scheme, _, value = authorization.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


class Access:
    """The access policy of one web process: `token` is None when none is required."""

    def __init__(self, token: str | None, *, loopback_only: bool) -> None:
        self.token = token
        self.loopback_only = loopback_only

    def token_ok(self, candidate: str | None) -> bool:
        if self.token is None:
            return True
        if not candidate:
            return False
        return secrets.compare_digest(candidate.encode(), self.token.encode())

    def request_token_ok(self, headers: dict[str, str], query_token: str | None = None) -> bool:
        """The token from the Authorization header, the cookie or (WebSocket) the query."""
        if self.token is None:
            return True
        candidates = (
            bearer(headers.get("authorization", "")),
            *cookie_values(headers.get("cookie", ""))[:8],
            query_token,
        )
        return any(self.token_ok(c) for c in candidates if c)

    def host_ok(self, host_header: str) -> bool:
        """When serving loopback only, the Host must be a loopback name (no DNS rebinding)."""
        return not self.loopback_only or not host_header or is_loopback(host_name(host_header))

    @staticmethod
    def origin_ok(origin: str | None, host_header: str) -> bool:
        """No Origin (not a browser) or an Origin whose host:port is the request's Host."""
        if not origin:
            return True
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False
        return parts.netloc.lower() == host_header.strip().lower()
