"""Every benchmark module imports: `make bench` is not run by `make test`, so a renamed helper
would otherwise break it unseen (bench.bridge once imported a function that had moved)."""

from __future__ import annotations

import importlib

import pytest
from bench.__main__ import BENCHES


@pytest.mark.parametrize("name", [*BENCHES, "soak"])
def test_bench_module_imports(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    assert callable(module.main)
