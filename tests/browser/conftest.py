"""Fixtures of the browser tests: one Chromium per module, a fresh current board per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.support.stack import Stack

from .pages import api, launch


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = launch(pw)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def fresh_board(stack: Stack) -> str:
    """A new empty pedalboard, made current (the stack is shared by every test)."""
    name = f"browser-{uuid.uuid4().hex[:8]}"
    api(stack.web_url, "POST", "/api/pedalboards", json={"name": name})
    return name
