"""Process lifetime: children that die with their parent, and a sweep of a dead parent's leftovers.

Every process stompbox starts gets `PR_SET_PDEATHSIG` (the kernel signals it when the thread that
forked it dies, e.g. a segfault or kill -9 of the parent) and its own process group. The
supervisor also tags each child's environment with `STOMPBOX_OWNER=<runtime dir>|<child>|<n>`;
everything the child starts (the engine's jalv processes) inherits the tag, so a sweep can find
and end whatever a dead incarnation left behind, by PID, without touching other stacks.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

OWNER_VAR = "STOMPBOX_OWNER"
_PR_SET_PDEATHSIG = 1
PROC = Path("/proc")


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` that makes the child receive `sig` when its parent dies.

    The libc handle is resolved here, in the parent; the returned function only calls prctl and
    checks that the parent did not die before the call (then the child exits at once).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def owner_tag(runtime_dir: Path, child: str, incarnation: int) -> str:
    return f"{runtime_dir}|{child}|{incarnation}"


def _environ_owner(pid: int) -> str | None:
    try:
        data = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return None
    key = OWNER_VAR.encode() + b"="
    for item in data.split(b"\0"):
        if item.startswith(key):
            return item[len(key) :].decode(errors="replace")
    return None


def _alive(pid: int) -> bool:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    return not stat.rpartition(") ")[2].startswith(("Z", "X"))


def tagged(prefix: str, *, exclude: frozenset[int] = frozenset()) -> list[int]:
    """PIDs of live processes whose owner tag starts with `prefix` (never this process)."""
    me = os.getpid()
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if pid == me or pid in exclude:
            continue
        tag = _environ_owner(pid)
        if tag is not None and tag.startswith(prefix) and _alive(pid):
            found.append(pid)
    return sorted(found)


def sweep(prefix: str, *, grace: float = 1.0, exclude: frozenset[int] = frozenset()) -> list[int]:
    """End every process tagged with `prefix`: SIGTERM, then SIGKILL after `grace` seconds.

    Returns the PIDs that were found. Blocking (at most about `grace` + 0.5 s)."""
    pids = tagged(prefix, exclude=exclude)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    for pid in pids:
        if _alive(pid) and (_environ_owner(pid) or "").startswith(prefix):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.02)
    return pids
