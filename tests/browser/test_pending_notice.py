"""What a board load had to leave pending, and the session's warnings, on screen (issue 12), in real
Chromium on the real stack: a board file naming a plugin that is not installed and a cable to a port
that does not exist shows a notice listing both, kept in the file until the user discards them; a
drift the watchdog repairs shows as a banner."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from stompbox.zmqservice import RpcClient
from tests.support.stack import Stack

from .pages import AMP, Board, api, new_page, wait_until

pytestmark = pytest.mark.timeout(240)

GHOST = "urn:stompbox:test:not-installed-fuzz"


def _load_amp(stack: Stack) -> str:
    """Add the amp through the API (retrying while the catalog still scans); its id."""

    def attempt() -> str | None:
        try:
            return str(
                api(stack.web_url, "POST", "/api/pedalboard/plugins", json={"uri": AMP})[
                    "instance_id"
                ]
            )
        except Exception:
            return None

    return str(wait_until(attempt, timeout=120.0, what="the catalog"))


def _pending(doc: dict[str, Any]) -> tuple[list[str], list[dict[str, str]]]:
    return [p["uri"] for p in doc.get("pending_plugins", [])], doc.get("pending_connections", [])


def test_a_board_load_that_left_things_pending_shows_them_until_discarded(
    browser: Browser, stack: Stack
) -> None:
    name = f"pending-{uuid.uuid4().hex[:8]}"
    created = api(stack.web_url, "POST", "/api/pedalboards", json={"name": name})
    board_id = created["pedalboard"]["id"]
    amp = _load_amp(stack)
    api(stack.web_url, "POST", "/api/pedalboard/save")
    api(stack.web_url, "POST", "/api/pedalboards", json={"name": f"{name}-other"})
    path = stack.data_dir / "pedalboards" / f"{board_id}.json"
    doc = json.loads(path.read_text())
    ghost = {**doc["plugins"][0], "uri": GHOST, "instance_id": "ghost_1", "name": "Ghost Fuzz"}
    doc["plugins"].append(ghost)
    missing_port = {"source": f"{amp}:output", "target": "system:playback_99"}
    doc["connections"].append(missing_port)
    path.write_text(json.dumps(doc))
    loaded = api(stack.web_url, "POST", f"/api/pedalboards/{board_id}/load")
    assert GHOST in loaded["missing"]

    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(name)
    notice = page.locator("[data-testid=pending-notice]")
    notice.wait_for()
    plugin_item = notice.locator("[data-testid=pending-plugin]")
    assert plugin_item.count() == 1
    assert "Ghost Fuzz" in str(plugin_item.text_content())
    assert GHOST in str(plugin_item.text_content())
    cables = notice.locator("[data-testid=pending-connection]").all_text_contents()
    assert f"{amp}:output → system:playback_99" in cables
    assert notice.locator("[data-testid=pending-retry]").is_visible()
    # what the load could not do is not said twice (no banner repeating the notice)
    assert page.locator("[data-testid=session-warning]").count() == 0

    # a save keeps them in the file; so does trying again (still not installed)
    page.click("[data-testid=pending-retry]")
    page.locator("[data-testid=toast]", has_text="Still not loaded").first.wait_for()
    api(stack.web_url, "POST", "/api/pedalboard/save")
    plugins, connections = _pending(json.loads(path.read_text()))
    assert plugins == [GHOST]
    assert missing_port in connections
    notice.wait_for()

    # hidden with ×, the notice is back in a page opened later
    page.click("[data-testid=pending-dismiss]")
    notice.wait_for(state="detached")
    other = new_page(browser)
    Board(other, stack.web_url).open()
    other.locator("[data-testid=pending-notice]").wait_for()
    other.context.close()

    # discard: asked first; then they leave the board in every client, the file at the next save
    page.reload()
    board.wait_live()
    page.click("[data-testid=pending-discard]")
    page.click("[data-testid=choice-discard]")
    notice.wait_for(state="detached")
    state = board.state()
    assert state["pedalboard"]["pending_plugins"] == []
    assert state["pedalboard"]["pending_connections"] == []
    assert state["modified"] is True
    assert _pending(json.loads(path.read_text()))[0] == [GHOST]  # not saved yet
    current = stack.data_dir / "current.json"
    wait_until(lambda: GHOST not in current.read_text(), what="the autosave without the ghost")
    page.keyboard.press("Control+s")
    page.locator("[data-testid=toast]", has_text="Saved").first.wait_for()
    assert _pending(json.loads(path.read_text())) == ([], [])
    assert page.js_errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_a_session_warning_shows_as_a_banner_until_dismissed(
    browser: Browser, stack: Stack
) -> None:
    api(stack.web_url, "POST", "/api/pedalboards", json={"name": f"warn-{uuid.uuid4().hex[:8]}"})
    amp = _load_amp(stack)
    page = new_page(browser)
    Board(page, stack.web_url).open()

    async def behind_the_session() -> None:
        async with RpcClient(stack.bridge_rpc, timeout=30.0) as bridge:
            params = {"instance_id": amp, "symbol": "gain", "value": 11.0}
            await bridge.call("plugin", {"method": "set_parameter", "params": params})

    # the engine drifts from the model (the watchdog repairs it); Playwright's loop runs in this
    # thread, so the RPC client runs in another
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, behind_the_session()).result(timeout=60)
    banner = page.locator("[data-testid=session-warning][data-kind=drift_repaired]").first
    banner.wait_for(timeout=30_000)
    assert amp in str(banner.text_content())
    banner.locator("[data-testid=warning-dismiss]").click()
    page.wait_for_selector(
        "[data-testid=session-warning][data-kind=drift_repaired]", state="detached"
    )
    page.reload()  # news of a repair, dismissed: not shown again (the session still lists it)
    page.wait_for_selector("[data-testid=connection-status][data-state=open]")
    assert page.locator("[data-testid=session-warning][data-kind=drift_repaired]").count() == 0
    assert page.js_errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_a_board_set_aside_at_start_is_shown_to_a_page_opened_later(
    browser: Browser, tmp_path: Path, catalog_cache_dir: Path
) -> None:
    stack = Stack(tmp_path / "aside", catalog_cache_dir)
    (stack.data_dir / "current.json").write_text('{"pedalboard": {"id": ')  # damaged
    try:
        stack.start()
        page = new_page(browser)
        Board(page, stack.web_url).open()
        banner = page.locator("[data-testid=session-warning][data-kind=current_board_set_aside]")
        banner.wait_for()
        text = str(banner.text_content())
        assert "set aside" in text
        assert "current.damaged-" in text  # where the file went
        banner.locator("[data-testid=warning-dismiss]").click()
        banner.wait_for(state="detached")
        assert page.js_errors == []  # type: ignore[attr-defined]
        page.context.close()
    finally:
        stack.stop()
