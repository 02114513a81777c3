"""Schemathesis over the web process's OpenAPI document against a live, fresh stack: no 500s.

Runs the `schemathesis` CLI (coverage + fuzzing phases, a fixed seed, at most `BUDGET` seconds)
with the `not_a_server_error` check. It creates, renames and deletes boards and may change the
buffer size, so it gets a stack of its own, or $STOMPBOX_TEST_WEB_URL if set.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.integration

BUDGET = 30  # seconds of generated requests


@pytest.fixture
def fuzz_url(stack_factory: Callable[..., Stack]) -> str:
    external = os.environ.get("STOMPBOX_TEST_WEB_URL")
    if external:
        return external.rstrip("/")
    return stack_factory().web_url


def test_openapi_fuzzing_finds_no_server_errors(fuzz_url: str, tmp_path: Path) -> None:
    cli = Path(sys.executable).parent / "schemathesis"
    argv = [
        str(cli),
        "run",
        f"{fuzz_url}/openapi.json",
        "--checks=not_a_server_error",
        "--phases=coverage,fuzzing",
        "--max-examples=5",
        f"--max-time={BUDGET}",
        "--request-timeout=20",
        "--seed=20261125",
        "--no-shrink",
        "--warnings=off",
        "--report=junit",
        f"--report-dir={tmp_path}",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=BUDGET + 60, env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert " passed" in output, output[-3000:]
