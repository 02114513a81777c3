"""Refresh docs/screenshots/ from the real stack: `python -m tests.browser.screenshots [--url URL]`.

Without --url it starts a stack of its own (jackd, engine, bridge, session, web) in a temp dir.
It builds a small board through the HTTP API, then photographs the main views in Chromium:
the board with plugins and cables, a control panel, the plugin browser, and a phone in portrait.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.support.stack import Stack

from .pages import AMP, COMPRESSOR, Board, api, launch

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
GVERB = "http://plugin.org.uk/swh-plugins/gverb"


@contextlib.contextmanager
def web_url(url: str | None) -> Iterator[str]:
    if url:
        yield url.rstrip("/")
        return
    with tempfile.TemporaryDirectory(prefix="stompbox-shots-") as tmp:
        stack = Stack(Path(tmp))
        try:
            stack.start()
            yield stack.web_url
        finally:
            stack.stop()


def build_board(url: str) -> dict[str, str]:
    """A fresh board: capture → amp → compressor → gverb → playback 1/2."""
    api(url, "POST", "/api/pedalboards", json={"name": f"Demo board {uuid.uuid4().hex[:4]}"})
    ids = {}
    for key, uri, x, y in (
        ("amp", AMP, 0, 40),
        ("comp", COMPRESSOR, 290, 150),
        ("verb", GVERB, 580, 40),
    ):
        ids[key] = api(url, "POST", "/api/pedalboard/plugins", json={"uri": uri, "x": x, "y": y})[
            "instance_id"
        ]
    amp, comp, verb = ids["amp"], ids["comp"], ids["verb"]
    for source, target in (
        ("system:capture_1", f"{amp}:input"),
        (f"{amp}:output", f"{comp}:in_l"),
        (f"{comp}:out_l", f"{verb}:input"),
        (f"{verb}:outl", "system:playback_1"),
        (f"{verb}:outr", "system:playback_2"),
    ):
        with contextlib.suppress(Exception):  # port symbols differ between plugin versions
            api(
                url,
                "POST",
                "/api/pedalboard/connections",
                json={"source": source, "target": target},
            )
    api(url, "PUT", f"/api/pedalboard/plugins/{amp}/parameters/gain", json={"value": -6})
    return ids


def shoot(page: Page, name: str) -> None:
    page.wait_for_timeout(400)  # let the last frame paint (pictures only; no test depends on it)
    page.screenshot(path=str(OUT / name))
    print(OUT / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="web URL of a running stack (default: start one)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with web_url(args.url) as url, sync_playwright() as pw:
        ids = build_board(url)
        browser = launch(pw)
        desktop = browser.new_page(viewport={"width": 1280, "height": 800})
        board = Board(desktop, url).open()
        desktop.wait_for_selector("[data-testid=cable]", state="attached")
        desktop.click("[data-testid=zoom-fit]")
        shoot(desktop, "board.png")
        board.open_controls(ids["comp"])
        shoot(desktop, "control-panel.png")
        desktop.keyboard.press("Escape")
        board.search("reverb")
        desktop.wait_for_selector(f"[data-testid=plugin-item][data-uri='{GVERB}']")
        shoot(desktop, "plugin-browser.png")

        phone = browser.new_page(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        phone_board = Board(phone, url).open()
        phone.wait_for_selector("[data-testid=cable]", state="attached")
        shoot(phone, "phone-board.png")
        phone.locator(f"{phone_board.block(ids['amp'])} [data-testid=block-open]").tap()
        phone.wait_for_selector("[data-testid=control-panel]:not([hidden])")
        shoot(phone, "phone-controls.png")
        phone.keyboard.press("Escape")
        phone.click("[data-testid=toggle-browser]")
        shoot(phone, "phone-browser.png")
        browser.close()


if __name__ == "__main__":
    main()
