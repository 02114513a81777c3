"""Drive the web client in Debian's Chromium with Playwright: launch options and a page object."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import (
    Browser,
    Error as PlaywrightError,
    FloatRect,
    Locator,
    Page,
    Playwright,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TIMEOUT_MS = 20_000  # a busy 2-core machine: generous waits, never fixed sleeps

AMP = "http://plugin.org.uk/swh-plugins/amp"
DC_REMOVER = "http://plugin.org.uk/swh-plugins/dcRemove"
COMPRESSOR = "http://calf.sourceforge.net/plugins/MonoCompressor"  # has factory presets


def launch(pw: Playwright) -> Browser:
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_until(
    predicate: Callable[[], object], timeout: float = 20.0, what: str = "condition"
) -> object:
    """Poll `predicate` until it returns something truthy (and return it); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def api(base_url: str, method: str, path: str, **kwargs: Any) -> Any:
    """One HTTP API call; raises on an error status; the decoded JSON (or None)."""
    r = httpx.request(method, base_url + path, timeout=30.0, **kwargs)
    r.raise_for_status()
    return r.json() if r.content else None


def new_page(browser: Browser, **kwargs: Any) -> Page:
    """A page in its own context (its own tab id), 1280×800 unless told; collects JS errors."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 800}, **kwargs})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    return page


def plugin(state: dict[str, Any], instance_id: str) -> dict[str, Any]:
    return next(p for p in state["pedalboard"]["plugins"] if p["instance_id"] == instance_id)


class Board:
    """The stompbox page: find, add and wire things the way a user does (pointer gestures)."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        page.set_default_timeout(TIMEOUT_MS)

    def open(self) -> Board:
        self.page.goto(self.base_url + "/")
        self.wait_live()
        return self

    def wait_live(self) -> None:
        self.page.wait_for_selector("[data-testid=connection-status][data-state=open]")

    def state(self) -> dict[str, Any]:
        return api(self.base_url, "GET", "/api/state")  # type: ignore[no-any-return]

    # plugin browser

    def search(self, text: str) -> None:
        self.page.fill("[data-testid=plugin-search]", text)

    def item(self, uri: str) -> Locator:
        return self.page.locator(f"[data-testid=plugin-item][data-uri='{uri}']")

    def block_ids(self) -> list[str]:
        ids = self.page.eval_on_selector_all(
            "[data-testid=block]", "els => els.map(e => e.dataset.instanceId)"
        )
        return [str(i) for i in ids]

    def add_by_click(self, uri: str, search: str) -> str:
        """Click a catalog entry; returns the new block's instance id."""
        before = set(self.block_ids())
        self.search(search)
        self.item(uri).click()
        return self._new_block(before)

    def add_by_drag(
        self, uri: str, search: str, to: tuple[float, float] | Callable[[], tuple[float, float]]
    ) -> str:
        """Drag a catalog entry onto the board, dropping it at page point `to` — or at the
        point `to()` gives once the board has stopped moving (a cable's middle, say: the board
        may still pan to a block just added)."""
        before = set(self.block_ids())
        self.search(search)
        item = self.item(uri)
        item.scroll_into_view_if_needed()
        box = item.bounding_box()
        assert box is not None
        if callable(to):
            to = self.settled_point(to)
        mouse = self.page.mouse
        mouse.move(box["x"] + 30, box["y"] + box["height"] / 2)
        mouse.down()
        mouse.move(to[0], to[1], steps=12)
        mouse.up()
        return self._new_block(before)

    def _new_block(self, before: set[str]) -> str:
        new = wait_until(lambda: set(self.block_ids()) - before, what="a new block")
        assert isinstance(new, set)
        assert len(new) == 1
        return str(new.pop())

    # canvas

    def center(self, selector: str) -> tuple[float, float]:
        """Page coordinates of the centre of the element (retries across re-renders)."""

        def box() -> FloatRect | None:
            loc = self.page.locator(selector)
            return loc.bounding_box() if loc.count() == 1 else None

        b = wait_until(box, what=selector)
        assert isinstance(b, dict)
        return b["x"] + b["width"] / 2, b["y"] + b["height"] / 2

    def port(self, address: str) -> str:
        return f"[data-testid=port][data-address='{address}']"

    def cable(self, source: str, target: str) -> str:
        return f"[data-testid=cable][data-source='{source}'][data-target='{target}']"

    def cable_middle(self, selector: str, at: float = 0.5) -> tuple[float, float]:
        """Page coordinates of a point of a cable's curve (`at` of its length: 0.5 the middle)."""
        point = self.page.eval_on_selector(
            f"{selector} .cable-line",
            """(path, at) => {
                const p = path.getPointAtLength(path.getTotalLength() * at);
                const m = path.getScreenCTM();
                return [p.x * m.a + p.y * m.c + m.e, p.x * m.b + p.y * m.d + m.f];
            }""",
            at,
        )
        return float(point[0]), float(point[1])

    def settled_point(self, where: Callable[[], tuple[float, float]]) -> tuple[float, float]:
        """`where()` once two readings 0.1 s apart agree (within half a pixel)."""
        last = where()

        def still() -> tuple[float, float] | None:
            nonlocal last
            self.page.wait_for_timeout(100)
            now = where()
            same = abs(now[0] - last[0]) < 0.5 and abs(now[1] - last[1]) < 0.5
            last = now
            return now if same else None

        point = wait_until(still, what="the board to stop moving")
        assert isinstance(point, tuple)
        return point

    def drag(self, start: tuple[float, float], end: tuple[float, float], steps: int = 12) -> None:
        mouse = self.page.mouse
        mouse.move(*start)
        mouse.down()
        mouse.move(*end, steps=steps)
        mouse.up()

    def connect(self, source: str, target: str) -> None:
        """Draw a cable by dragging from one port to another, then wait for it to appear."""
        self.drag(self.center(self.port(source)), self.center(self.port(target)))
        self.page.wait_for_selector(self.cable(source, target), state="attached")

    def block(self, instance_id: str) -> str:
        return f"[data-testid=block][data-instance-id='{instance_id}']"

    def open_controls(self, instance_id: str) -> None:
        """Double click a block's title to open its control panel (again if a re-render of the
        board swallowed the first one)."""
        panel = f"[data-testid=control-panel][data-instance-id='{instance_id}']:not([hidden])"

        def opened() -> bool:
            if self.page.locator(panel).count():
                return True
            with contextlib.suppress(PlaywrightError):
                self.page.locator(f"{self.block(instance_id)} .block-name").dblclick(
                    force=True, timeout=2000
                )
            return bool(self.page.locator(panel).count())

        wait_until(opened, what=f"the controls of {instance_id}")

    def param_input(self, symbol: str) -> Locator:
        return self.page.locator(
            f"[data-testid=control-panel] [data-testid=param-input][data-symbol='{symbol}']"
        )

    def set_param(self, symbol: str, value: float) -> None:
        field = self.param_input(symbol)
        field.fill(str(value))
        field.press("Enter")

    def board_name(self) -> str:
        return self.page.get_attribute("[data-testid=board-name]", "data-name") or ""

    def wait_board_name(self, name: str) -> None:
        self.page.wait_for_selector(f"[data-testid=board-name][data-name='{name}']")

    def answer_dialog(self, text: str) -> None:
        self.page.fill("[data-testid=dialog-input]", text)
        self.page.click("[data-testid=dialog-ok]")
