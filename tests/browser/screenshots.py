"""Refresh docs/screenshots/ from the real stack: `python -m tests.browser.screenshots [--url URL]`.

Without --url it starts a stack of its own (jackd, engine, bridge, session, web) in a temp dir.
It builds a guitar rig through the HTTP API, then photographs the main views in Chromium:
the board, one block, a control panel, the plugin browser, and a phone in portrait and landscape.
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

from .pages import Board, api, launch

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


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


TS9 = "http://guitarix.sourceforge.net/plugins/gxts9#ts9sim"
GX_AMP = "http://guitarix.sourceforge.net/plugins/gx_amp#GUITARIX"
GX_CAB = "http://guitarix.sourceforge.net/plugins/gx_cabinet#CABINET"
DELAY = "http://calf.sourceforge.net/plugins/VintageDelay"
REVERB = "http://calf.sourceforge.net/plugins/Reverb"


def build_board(url: str) -> dict[str, str]:
    """A fresh guitar rig: capture → TubeScreamer → amp → cab → delay → reverb → playback 1/2."""
    api(url, "POST", "/api/pedalboards", json={"name": f"Guitar rig {uuid.uuid4().hex[:4]}"})
    ids = {}
    for key, uri, x, y in (
        ("ts9", TS9, 0, 0),
        ("amp", GX_AMP, 260, 0),
        ("cab", GX_CAB, 520, 0),
        ("delay", DELAY, 780, 0),
        ("verb", REVERB, 1040, 0),
    ):
        ids[key] = api(url, "POST", "/api/pedalboard/plugins", json={"uri": uri, "x": x, "y": y})[
            "instance_id"
        ]
    ts9, amp, cab, delay, verb = (ids[k] for k in ("ts9", "amp", "cab", "delay", "verb"))
    for source, target in (
        ("system:capture_1", f"{ts9}:in"),
        (f"{ts9}:out", f"{amp}:in"),
        (f"{amp}:out", f"{cab}:in"),
        (f"{cab}:out", f"{delay}:in_l"),
        (f"{cab}:out", f"{delay}:in_r"),
        (f"{delay}:out_l", f"{verb}:in_l"),
        (f"{delay}:out_r", f"{verb}:in_r"),
        (f"{verb}:out_l", "system:playback_1"),
        (f"{verb}:out_r", "system:playback_2"),
    ):
        with contextlib.suppress(Exception):  # port symbols differ between plugin versions
            api(
                url,
                "POST",
                "/api/pedalboard/connections",
                json={"source": source, "target": target},
            )
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
        desktop.click("[data-testid=zoom-in]")
        desktop.click("[data-testid=zoom-in]")
        # a preset of one's own, chosen: the panel lists it under "My presets", deletable
        path = f"/api/pedalboard/plugins/{ids['ts9']}"
        mine = api(url, "POST", f"{path}/presets", json={"label": "Warm crunch"})
        api(url, "POST", f"{path}/preset", json={"uri": mine["uri"]})
        board.open_controls(ids["ts9"])
        desktop.wait_for_selector("[data-testid=delete-preset]:not([hidden])")
        shoot(desktop, "control-panel.png")
        desktop.locator(board.block(ids["amp"])).screenshot(path=str(OUT / "block.png"))
        print(OUT / "block.png")
        desktop.keyboard.press("Escape")
        board.search("overdrive")
        desktop.wait_for_selector(f"[data-testid=plugin-item][data-uri='{TS9}']")
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
        landscape = browser.new_page(
            viewport={"width": 844, "height": 390},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        Board(landscape, url).open()
        landscape.wait_for_selector("[data-testid=cable]", state="attached")
        shoot(landscape, "phone-landscape.png")
        browser.close()


if __name__ == "__main__":
    main()
