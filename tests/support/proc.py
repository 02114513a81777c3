"""Child processes of the tests: each in its own process group, and ending with the test run.

A fixture's child started with only `start_new_session=True` outlives a pytest that is killed
(kill -9, a CI timeout): jackd, engines and stacks stay behind and hold ports and JACK servers
for the next run. `spawn` adds stompbox's own mechanism (`lifetime.die_with_parent`: the kernel
sends SIGTERM when the forking thread dies). Only from the main thread: a child forked from a
worker thread (`asyncio.to_thread`) would be signalled when that thread ends, not the run; there
it falls back to the process group alone (the fixture's teardown still stops it).
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from typing import IO, Any

from stompbox import lifetime


def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = subprocess.STDOUT,
    stdin: int | IO[Any] | None = subprocess.DEVNULL,
    new_session: bool = True,
) -> subprocess.Popen[bytes]:
    """`subprocess.Popen` for a test's child: own session (unless told), dies with the run."""
    main = threading.current_thread() is threading.main_thread()
    return subprocess.Popen(
        list(argv),
        env=dict(env) if env is not None else None,
        stdout=stdout,
        stderr=stderr,
        stdin=stdin,
        start_new_session=new_session,
        preexec_fn=lifetime.die_with_parent(signal.SIGTERM) if main else None,
    )
