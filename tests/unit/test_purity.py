"""stompbox.contract and stompbox.modhost stay I/O-free: no asyncio, zmq or socket imports."""

from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys

import pytest

import stompbox

FORBIDDEN = ("asyncio", "zmq", "socket")
PURE_PACKAGES = ("contract", "modhost")
SRC = pathlib.Path(stompbox.__file__).parent


def _pure_files() -> list[pathlib.Path]:
    return sorted(p for pkg in PURE_PACKAGES for p in (SRC / pkg).rglob("*.py"))


def _imported_roots(path: pathlib.Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            roots.add(str(node.args[0].value).split(".")[0])
    return roots


@pytest.mark.parametrize("path", _pure_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_source_does_not_import_io_modules(path: pathlib.Path) -> None:
    assert not _imported_roots(path) & set(FORBIDDEN)


def test_importing_pure_packages_loads_no_io_modules() -> None:
    modules = [
        f"stompbox.{pkg}.{p.stem}" if p.stem != "__init__" else f"stompbox.{pkg}"
        for pkg in PURE_PACKAGES
        for p in sorted((SRC / pkg).glob("*.py"))
    ]
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout) == []
