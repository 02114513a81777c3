"""The board a musician trusts, part two (issue 13), in real Chromium on the real stack: a real
plugin crash on screen, user presets deleted, main knobs kept with the board, wiring refusals,
the phone's touch targets."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.support.stack import Stack

from .pages import AMP, COMPRESSOR, DC_REMOVER, Board, api, new_page, plugin, wait_until

pytestmark = pytest.mark.timeout(240)


def toast_text(page: Page, contains: str) -> str:
    loc = page.locator("[data-testid=toast]", has_text=contains)
    loc.first.wait_for()
    return str(loc.first.text_content())


def jalv_children(parent: int) -> list[int]:
    """The jalv processes whose parent is `parent` (isolation mode: one per plugin)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and any(part.endswith(b"jalv") for part in cmdline):
            found.append(int(entry.name))
    return found


@pytest.fixture
def isolated_stack(tmp_path: Path, catalog_cache_dir: Path) -> Iterator[Stack]:
    """A stack of its own whose engine hosts every plugin in its own jalv process, so that one
    plugin can crash for real (kill -9 of its process) while the board stays on screen."""
    stack = Stack(tmp_path / "isolated", catalog_cache_dir)
    stack.env["STOMPBOX_ENGINE_ISOLATION"] = "true"
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def test_a_real_plugin_crash_is_shown_on_its_block_and_cleared(
    browser: Browser, isolated_stack: Stack
) -> None:
    stack = isolated_stack
    api(stack.web_url, "POST", "/api/pedalboards", json={"name": "crash"})
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name("crash")
    amp = board.add_by_click(AMP, "Simple amplifier")
    engine = stack.children["engine"].pid
    jalv = wait_until(lambda: jalv_children(engine), what="the plugin's jalv")
    assert isinstance(jalv, list)
    assert len(jalv) == 1
    os.kill(jalv[0], signal.SIGKILL)  # what a segfault in the plugin does
    page.wait_for_selector(f"{board.block(amp)}.crashed", state="attached")
    text = toast_text(page, "crashed")
    assert "Simple amplifier" in text
    assert amp not in text
    # the session brings it back: the mark goes, a new jalv runs it
    page.wait_for_selector(f"{board.block(amp)}:not(.crashed)", state="attached", timeout=30_000)
    wait_until(lambda: [p for p in jalv_children(engine) if p != jalv[0]], what="a new jalv")
    assert page.js_errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_user_presets_are_listed_after_a_bridge_restart_and_deleted_from_the_ui(
    browser: Browser, stack_factory: Callable[..., Stack]
) -> None:
    stack = stack_factory()
    api(stack.web_url, "POST", "/api/pedalboards", json={"name": "presets"})
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name("presets")
    amp = board.add_by_click(AMP, "Simple amplifier")
    board.open_controls(amp)
    page.click("[data-testid=save-preset]")
    board.answer_dialog("Loud one")
    toast_text(page, "Saved preset")
    mine = "[data-testid=preset-select] option[data-user]"
    page.wait_for_selector(f"{mine}:text('Loud one')", state="attached")
    assert page.is_visible("[data-testid=delete-preset]")  # the one just saved is chosen
    bundles = stack.data_dir / "presets"
    assert [b.name for b in bundles.iterdir()] == ["simple_amplifier-loud_one.lv2"]

    # a new bridge process lists it again (it was only remembered in memory before)
    stack.restart("bridge")
    page.reload()
    board.wait_live()
    board.open_controls(amp)
    page.wait_for_selector(f"{mine}:text('Loud one')", state="attached")
    page.select_option("[data-testid=preset-select]", label="Loud one")
    page.click("[data-testid=delete-preset]")
    page.click("[data-testid=choice-delete]")
    toast_text(page, "Deleted preset")
    page.wait_for_selector(mine, state="detached")
    assert page.is_hidden("[data-testid=delete-preset]")
    assert list(bundles.iterdir()) == []
    listed = api(stack.web_url, "GET", "/api/plugins/presets", params={"uri": AMP})
    assert [p for p in listed if p.get("user")] == []
    # only a user preset's bundle in the data dir can go: anything else is refused, untouched
    for uri in ("file:///etc/hostname", "http://example.org/preset"):
        r = httpx.delete(stack.web_url + "/api/plugins/presets", params={"uri": uri}, timeout=30)
        assert 400 <= r.status_code < 500, r.text
    assert Path("/etc/hostname").exists()
    assert page.js_errors == []  # type: ignore[attr-defined]
    page.context.close()


def knobs_on(board: Board, instance_id: str) -> list[str]:
    return [
        str(s)
        for s in board.page.eval_on_selector_all(
            f"{board.block(instance_id)} [data-testid=block-knob]",
            "els => els.map(e => e.dataset.symbol)",
        )
    ]


def test_the_knobs_on_a_block_are_kept_with_the_board_for_every_client(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    one = Board(new_page(browser), stack.web_url).open()
    two = Board(new_page(browser), stack.web_url).open()
    for b in (one, two):
        b.wait_board_name(fresh_board)
    comp = one.add_by_click(COMPRESSOR, "Calf Mono Compressor")
    default = knobs_on(one, comp)
    assert "knee" not in default
    one.open_controls(comp)
    one.page.click("[data-testid=pin-knob][data-symbol=knee]")
    # the other browser shows it too, and so does the board (the file keeps it)
    two.page.wait_for_selector(f"{two.block(comp)} [data-testid=block-knob][data-symbol=knee]")
    one.page.wait_for_selector("[data-testid=pin-knob][data-symbol=knee].on")
    stored = plugin(one.state(), comp)["knobs"]
    assert "knee" in stored
    assert knobs_on(two, comp) == knobs_on(one, comp)
    api(stack.web_url, "POST", "/api/pedalboard/save")
    two.page.reload()
    two.wait_live()
    two.page.wait_for_selector(f"{two.block(comp)} [data-testid=block-knob][data-symbol=knee]")
    # one undo takes the choice back, in every browser
    one.page.keyboard.press("Escape")
    one.page.locator("[data-testid=canvas]").focus()
    one.page.keyboard.press("Control+z")
    wait_until(lambda: plugin(one.state(), comp).get("knobs") is None, what="the knobs undone")
    two.page.wait_for_selector(
        f"{two.block(comp)} [data-testid=block-knob][data-symbol=knee]", state="detached"
    )
    assert knobs_on(two, comp) == default
    for b in (one, two):
        assert b.page.js_errors == []  # type: ignore[attr-defined]
        b.page.context.close()


def test_input_to_input_and_output_to_output_are_refused_with_a_reason(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    """A drag from a wired input to another input must never draw a cable from that input's
    source (a hidden parallel cable), by pointer or keyboard; output → output neither."""
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    amp = board.add_by_click(AMP, "Simple amplifier")
    wait_until(lambda: len(cables(board)) == 3, what="auto wiring")
    dc = api(stack.web_url, "POST", "/api/pedalboard/plugins", json={"uri": DC_REMOVER, "x": 420})
    other = dc["instance_id"]
    page.wait_for_selector(board.port(f"{other}:input"), state="attached")
    before = cables(board)
    assert ("system:capture_1", f"{amp}:input") in before  # the input is wired

    def refused(start: str, end: str, words: str) -> None:
        page.locator("[data-testid=toast]").evaluate_all("els => els.forEach(e => e.remove())")
        board.drag(board.center(board.port(start)), board.center(board.port(end)))
        assert words in toast_text(page, words)

    refused(f"{amp}:input", f"{other}:input", "an input to an input")
    refused(f"{other}:input", f"{amp}:input", "an input to an input")
    refused(f"{amp}:output", f"{other}:output", "an output to an output")
    refused("system:capture_1", f"{other}:output", "an output to an output")
    # the keyboard says the same
    page.focus(board.port(f"{amp}:input"))
    page.keyboard.press("Enter")
    page.focus(board.port(f"{other}:input"))
    page.keyboard.press("Enter")
    assert "an input to an input" in toast_text(page, "an input to an input")
    # a valid cable after them all: once it is there, any cable the refused ones made would be
    board.connect(f"{other}:output", "system:playback_1")
    assert cables(board) == before | {(f"{other}:output", "system:playback_1")}
    assert not any(t == f"{other}:input" for _, t in cables(board))
    assert page.js_errors == []  # type: ignore[attr-defined]


def cables(board: Board) -> set[tuple[str, str]]:
    return {(c["source"], c["target"]) for c in board.state()["pedalboard"]["connections"]}


def boxes(page: Page, selector: str) -> list[dict[str, float]]:
    found: list[dict[str, float]] = page.eval_on_selector_all(
        selector,
        "els => els.filter(e => e.getClientRects().length).map(e => {"
        " const r = e.getBoundingClientRect();"
        " return {x: r.x, y: r.y, w: r.width, h: r.height}; })",
    )
    return found


def big_enough(box: dict[str, float]) -> bool:
    return box["w"] >= 43.9 and box["h"] >= 43.9  # (float rounding of 44)


def inside(box: dict[str, float], x: float, y: float, w: float, h: float) -> bool:
    eps = 0.5
    return (
        x - eps <= box["x"]
        and box["x"] + box["w"] <= x + w + eps
        and y - eps <= box["y"]
        and box["y"] + box["h"] <= y + h + eps
    )


def apart(a: dict[str, float], b: dict[str, float]) -> bool:
    eps = 0.5
    return (
        a["x"] + a["w"] <= b["x"] + eps
        or b["x"] + b["w"] <= a["x"] + eps
        or a["y"] + a["h"] <= b["y"] + eps
        or b["y"] + b["h"] <= a["y"] + eps
    )


@pytest.mark.parametrize("size", [(390, 844), (844, 390)], ids=["portrait", "landscape"])
def test_phone_touch_targets_toolbar_and_fit(
    browser: Browser, stack: Stack, fresh_board: str, size: tuple[int, int]
) -> None:
    from .test_browser import touch_drag

    width, height = size
    page = new_page(
        browser, viewport={"width": width, "height": height}, is_mobile=True, has_touch=True
    )
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    near = api(stack.web_url, "POST", "/api/pedalboard/plugins", json={"uri": AMP, "x": 0})
    far = api(
        stack.web_url, "POST", "/api/pedalboard/plugins", json={"uri": AMP, "x": 900, "y": 500}
    )
    page.wait_for_selector(board.block(far["instance_id"]))
    page.tap("[data-testid=zoom-fit]")
    # the top bar wraps instead of overflowing: every button inside it and inside the window,
    # none on another, each a 44 px target
    bar = page.locator(".topbar").bounding_box()
    assert bar is not None
    buttons = boxes(page, ".topbar button")
    assert buttons
    assert [b for b in buttons if not big_enough(b)] == []
    assert [b for b in buttons if not inside(b, 0, bar["y"], width, bar["height"])] == []
    assert [(a, b) for i, a in enumerate(buttons) for b in buttons[:i] if not apart(a, b)] == []
    assert all(big_enough(b) for b in boxes(page, ".zoom-buttons button"))
    # "fit" shows every block whole
    c = page.locator("[data-testid=canvas]").bounding_box()
    assert c is not None
    for pid in (near["instance_id"], far["instance_id"]):
        block = boxes(page, f"{board.block(pid)} .block-body")[0]
        assert inside(block, c["x"], c["y"], c["width"], c["height"]), (block, c)
    # every port is a 44 px touch target at this zoom (its halo; a block over half of it keeps
    # its own presses), and a finger beside its dot takes it
    ports = boxes(page, ".port-halo")
    assert len(ports) == page.locator("[data-testid=port]").count()
    assert ports
    assert [p for p in ports if not big_enough(p)] == []
    pid = near["instance_id"]
    dot = board.center(f"{board.port(f'{pid}:output')} .dot")
    touch_drag(page, (dot[0] + 14, dot[1] + 8), board.center(board.port("system:playback_2")))
    wait_until(
        lambda: (f"{pid}:output", "system:playback_2") in cables(board), what="a cable by touch"
    )
    assert page.js_errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_the_open_dialog_draws_each_boards_shape_and_searches(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    a, b = (
        api(stack.web_url, "POST", "/api/pedalboard/plugins", json={"uri": AMP, "x": x})
        for x in (0, 300)
    )
    wire = {"source": f"{a['instance_id']}:output", "target": f"{b['instance_id']}:input"}
    api(stack.web_url, "POST", "/api/pedalboard/connections", json=wire)
    api(stack.web_url, "POST", "/api/pedalboard/save")
    page.click("[data-testid=open-board]")
    row = f"[data-testid=board-item][data-name='{fresh_board}']"
    # its thumbnail: two blocks side by side, and the cable between them
    page.wait_for_selector(f"{row} [data-testid=board-thumb] .thumb-block", state="attached")
    blocks = boxes(page, f"{row} .thumb-block")
    assert len(blocks) == 2
    assert blocks[0]["x"] + blocks[0]["w"] <= blocks[1]["x"]
    assert page.locator(f"{row} .thumb-cable").count() == 1
    page.fill("[data-testid=board-search]", fresh_board.upper())
    assert page.locator("[data-testid=board-item]:visible").count() == 1
    page.fill("[data-testid=board-search]", "no board has this name")
    assert page.locator("[data-testid=board-item]:visible").count() == 0
    assert page.js_errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", [1280, 1024, 800])
def test_the_desktop_top_bar_never_overflows(
    browser: Browser, stack: Stack, fresh_board: str, width: int
) -> None:
    page = new_page(browser, viewport={"width": width, "height": 700})
    Board(page, stack.web_url).open().wait_board_name(fresh_board)
    bar = page.locator(".topbar").bounding_box()
    assert bar is not None
    assert page.evaluate(
        "() => { const t = document.querySelector('.topbar');"
        " return t.scrollWidth <= t.clientWidth; }"
    )
    buttons = boxes(page, ".topbar button")
    assert [b for b in buttons if not inside(b, 0, bar["y"], width, bar["height"])] == []
    assert [(a, b) for i, a in enumerate(buttons) for b in buttons[:i] if not apart(a, b)] == []
    assert page.is_visible("[data-testid=processing]")
    page.context.close()
