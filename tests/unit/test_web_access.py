"""Access policy: loopback detection, token file, token sources, Origin and Host checks."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from stompbox.settings import Settings
from stompbox.web.access import (
    Access,
    bearer,
    cookie_value,
    host_name,
    is_loopback,
    load_or_create_token,
)
from stompbox.web.app import access_for


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("header", "name"),
    [("127.0.0.1:8080", "127.0.0.1"), ("[::1]:80", "::1"), ("Example.COM", "example.com")],
)
def test_host_name(header: str, name: str) -> None:
    assert host_name(header) == name


def test_token_created_once_with_0600(tmp_path: Path) -> None:
    path = tmp_path / "data" / "token"
    token, created = load_or_create_token(path)
    assert created
    assert len(token) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again, created_again = load_or_create_token(path)
    assert (again, created_again) == (token, False)


def test_token_file_permissions_are_tightened(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("secret\n")
    path.chmod(0o644)
    assert load_or_create_token(path) == ("secret", False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_access_for_loopback_needs_no_token(tmp_path: Path) -> None:
    access = access_for(Settings(web_host="127.0.0.1", data_dir=tmp_path))
    assert access.token is None
    assert not (tmp_path / "token").exists()


def test_access_for_other_host_makes_a_token_and_never_prints_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    access = access_for(Settings(web_host="0.0.0.0", data_dir=tmp_path))
    assert access.token is not None
    assert access.token == (tmp_path / "token").read_text().strip()
    err = capsys.readouterr().err
    assert access.token not in err  # output ends up in log files
    assert str(tmp_path / "token") in err  # where to find it is printed instead
    access_for(Settings(web_host="0.0.0.0", data_dir=tmp_path))
    assert access.token not in capsys.readouterr().err


@pytest.mark.parametrize(
    "cookie",
    [
        'other="a\\x7fb c"; stompbox_token=s3cret',  # a strict parser gives up on the header
        "stompbox_token=s3cret; stompbox_token=stale",  # another path's cookie of our name
        'a="x; stompbox_token=s3cret',  # an unclosed quote in a foreign cookie
        "foo=bar baz; stompbox_token=s3cret; x",
        'stompbox_token="s3cret"',
    ],
)
def test_a_foreign_cookie_does_not_lock_the_user_out(cookie: str) -> None:
    assert Access("s3cret", loopback_only=False).request_token_ok({"cookie": cookie})


def test_token_sources() -> None:
    access = Access("s3cret", loopback_only=False)
    assert access.request_token_ok({"authorization": "Bearer s3cret"})
    assert access.request_token_ok({"cookie": "a=b; stompbox_token=s3cret"})
    assert access.request_token_ok({}, query_token="s3cret")
    assert not access.request_token_ok({})
    assert not access.request_token_ok({"authorization": "Bearer wrong"})
    assert not access.request_token_ok({"authorization": "Basic s3cret"})
    assert not access.request_token_ok({"cookie": "stompbox_token=s3cre"})
    assert not access.request_token_ok({"cookie": '"; broken'})
    assert Access(None, loopback_only=True).request_token_ok({})


def test_bearer_and_cookie_parsing() -> None:
    assert bearer("Bearer abc") == "abc"
    assert bearer("bearer   abc ") == "abc"
    assert bearer("Bearer") is None
    assert cookie_value("x=1; stompbox_token=t") == "t"
    assert cookie_value("x=1") is None


@pytest.mark.parametrize(
    ("origin", "host", "ok"),
    [
        (None, "127.0.0.1:8080", True),
        ("http://127.0.0.1:8080", "127.0.0.1:8080", True),
        ("https://pedal.local", "pedal.local", True),
        ("http://evil.example", "127.0.0.1:8080", False),
        ("http://127.0.0.1:9999", "127.0.0.1:8080", False),
        ("null", "127.0.0.1:8080", False),
        ("file://", "127.0.0.1:8080", False),
    ],
)
def test_origin(origin: str | None, host: str, ok: bool) -> None:
    assert Access.origin_ok(origin, host) is ok


def test_host_check_only_when_loopback_only() -> None:
    assert Access(None, loopback_only=True).host_ok("127.0.0.1:8080")
    assert Access(None, loopback_only=True).host_ok("localhost")
    assert not Access(None, loopback_only=True).host_ok("evil.example:8080")
    assert Access("t", loopback_only=False).host_ok("pedal.local:8080")
