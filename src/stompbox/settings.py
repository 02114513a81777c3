"""Typed configuration of every stompbox process, read once from `STOMPBOX_*` variables."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _runtime_dir() -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/stompbox-{os.getuid()}"
    return Path(base) / "stompbox"


def _data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "stompbox"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stompbox"


class Settings(BaseSettings):
    """Every knob of the stack. `STOMPBOX_<FIELD>` sets a field, e.g. STOMPBOX_ENGINE_PORT=5555."""

    model_config = SettingsConfigDict(env_prefix="STOMPBOX_", extra="ignore")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    runtime_dir: Path = Field(default_factory=_runtime_dir)
    data_dir: Path = Field(default_factory=_data_dir)
    cache_dir: Path = Field(default_factory=_cache_dir)
    # CURVE keys for tcp endpoints (server/client keypairs, authorized/ client public keys)
    keys_dir: Path = Field(default_factory=lambda data: Path(data["data_dir"]) / "keys")

    # engine (embedded, or a real mod-host at this address)
    engine_host: str = "127.0.0.1"
    engine_port: int = 5555
    engine_feedback_port: int = 5556
    engine_embedded: bool = True
    engine_isolation: bool = False  # every plugin in its own jalv process (not the C core)
    engine_crossfade_ms: float = 10.0  # a board switch crossfades outputs whose source changes
    # the embedded engine requires a token (from the runtime dir) first on both ports
    engine_auth: bool = True
    engine_timeout: float = 10.0  # seconds for one engine command (add may take a while)

    # ZeroMQ endpoints; empty = ipc://<runtime_dir>/<service>.rpc|.pub
    bridge_rpc: str = ""
    bridge_pub: str = ""
    session_rpc: str = ""
    session_pub: str = ""
    rpc_timeout: float = 15.0
    rpc_retries: int = 3
    rpc_retry_delay: float = 0.2

    # session
    auto_create_pedalboard: bool = True
    watchdog_interval: float = 2.0  # seconds between drift checks; 0: off (tests of one mechanism)

    # web
    web_host: str = "127.0.0.1"
    web_port: int = 8080

    # JACK
    jack_server: str = Field(
        default_factory=lambda: os.environ.get("JACK_DEFAULT_SERVER", "default")
    )
    # auto: the first ALSA device that can capture and play (dummy where there is none)
    jack_driver: Literal["auto", "dummy", "alsa"] = "auto"
    jack_device: str = ""  # e.g. hw:1 (alsa); empty: the detected device, else hw:0
    audio_device: str = ""  # set by `stompbox up` for its children: what jackd runs on
    jack_rate: int = 48000
    jack_period: int = 128

    def engine_token_path(self) -> Path:
        """Where the embedded engine writes the token its clients must send first (0600)."""
        return self.runtime_dir / f"engine-{self.engine_port}.token"

    def summary(self) -> str:
        return "\n".join(f"  {k} = {v}" for k, v in self.model_dump().items())


class UnsafeDirError(RuntimeError):
    """A private directory (the runtime dir) is a symlink or belongs to another user."""


def private_dir(path: Path) -> Path:
    """Create `path` (mode 0700) if missing; refuse it if it is not a real directory owned by
    this user; tighten its mode to 0700 if group or others have access. Returns `path`."""
    path.mkdir(parents=True, mode=0o700, exist_ok=True)
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeDirError(f"{path} is not a directory (a symlink?); refusing to use it")
    if st.st_uid != os.getuid():
        raise UnsafeDirError(
            f"{path} belongs to uid {st.st_uid}, not to this user ({os.getuid()}); refusing to "
            "use it: another user could read its sockets and tokens"
        )
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, 0o700)
    return path
