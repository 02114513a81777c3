"""The board a musician trusts (issue 13), in real Chromium on the real stack: undo/redo across two
browsers, nothing lost, wiring without surprises, honest value boxes and dialogs."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.support.stack import Stack

from .pages import AMP, COMPRESSOR, DC_REMOVER, Board, api, new_page, plugin, wait_until

pytestmark = pytest.mark.timeout(240)

MOD = "Control"


def client_id(page: Page) -> str:
    return str(page.evaluate("() => sessionStorage.getItem('stompbox-client')"))


def gain(board: Board, instance_id: str) -> float:
    return float(plugin(board.state(), instance_id)["parameters"]["gain"])


def cables(board: Board) -> set[tuple[str, str]]:
    return {(c["source"], c["target"]) for c in board.state()["pedalboard"]["connections"]}


def toast_text(page: Page, contains: str) -> str:
    loc = page.locator("[data-testid=toast]", has_text=contains)
    loc.first.wait_for()
    return str(loc.first.text_content())


def test_undo_redo_across_two_browsers_and_a_reload(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    one = Board(new_page(browser), stack.web_url).open()
    two = Board(new_page(browser), stack.web_url).open()
    for b in (one, two):
        b.wait_board_name(fresh_board)
    amp = one.add_by_click(AMP, "Simple amplifier")
    one.open_controls(amp)
    knob = one.center("[data-testid=control-panel] [data-testid=knob][data-symbol=gain]")
    one.drag(knob, (knob[0], knob[1] - 60), steps=10)  # one gesture, many values
    wait_until(lambda: gain(one, amp) > 5, what="the dragged gain")
    dragged = gain(one, amp)
    mine = [e for e in one.state()["history"] if e["client"] == client_id(one.page)]
    assert [e["label"] for e in mine] == [
        "Add Simple amplifier",
        "Change Simple amplifier Amps gain (dB)",
    ]
    two.page.wait_for_selector("[data-testid=undo][disabled]", state="attached")  # not its edits

    one.page.keyboard.press(f"{MOD}+z")
    wait_until(lambda: gain(one, amp) == 0, what="the gesture undone")
    two.page.wait_for_selector(f"{two.block(amp)} [data-testid=block-knob][data-value='0']")

    # the history survives a reload of the page (and the redo is still there)
    one.page.reload()
    one.wait_live()
    one.page.click("[data-testid=redo]:not([disabled])")
    wait_until(lambda: gain(one, amp) == dragged, what="the gesture redone")

    # two changes the same knob: one's undo would revert two's newer value, so it is refused
    two.open_controls(amp)
    two.set_param("gain", -12)
    wait_until(lambda: gain(one, amp) == -12, what="two's value")
    one.page.keyboard.press("Escape")
    one.page.locator("[data-testid=canvas]").focus()
    one.page.keyboard.press(f"{MOD}+z")
    assert "another client" in toast_text(one.page, "another client")
    assert gain(one, amp) == -12
    # two undoes its own change
    two.page.click("[data-testid=undo]:not([disabled])")
    wait_until(lambda: gain(one, amp) == dragged, what="two's change undone")
    for b in (one, two):
        assert b.page.js_errors == []  # type: ignore[attr-defined]
        b.page.context.close()


def test_unsaved_changes_are_guarded_on_new_and_open(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    other = Board(new_page(browser), stack.web_url).open()
    board.add_by_click(AMP, "Simple amplifier")
    wait_until(lambda: board.state()["modified"], what="the dirty flag")
    other.page.wait_for_selector("[data-testid=board-name][title^='Unsaved']")  # shared

    page.click("[data-testid=new-board]")
    page.wait_for_selector("[data-testid=choice-cancel]")
    page.click("[data-testid=choice-cancel]")
    assert board.board_name() == fresh_board
    assert len(board.state()["pedalboard"]["plugins"]) == 1

    # Open another board: "Save" first keeps the work in the file
    target = f"{fresh_board}-target"
    api(stack.web_url, "POST", "/api/pedalboard/save-as", json={"name": target})
    api(stack.web_url, "POST", "/api/pedalboards", json={"name": fresh_board + "-b"})
    board.wait_board_name(fresh_board + "-b")
    board.add_by_click(AMP, "Simple amplifier")
    page.click("[data-testid=open-board]")
    page.click(f"[data-testid=board-item][data-name='{target}'] .board-open")
    page.click("[data-testid=choice-save]")
    board.wait_board_name(target)
    saved = {b["name"]: b for b in api(stack.web_url, "GET", "/api/pedalboards")}
    assert saved[fresh_board + "-b"]["plugins"] == 1

    # New with "Discard changes": the change is dropped, the new board made
    board.add_by_click(DC_REMOVER, "DC Offset")
    page.click("[data-testid=new-board]")
    page.click("[data-testid=choice-discard]")
    board.answer_dialog(f"{fresh_board}-new")
    board.wait_board_name(f"{fresh_board}-new")
    saved = {b["name"]: b for b in api(stack.web_url, "GET", "/api/pedalboards")}
    assert saved[target]["plugins"] == 1
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_add_after_selected_remove_offers_reconnect_and_undo(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    amp = board.add_by_click(AMP, "Simple amplifier")
    page.wait_for_selector(f"{board.block(amp)}.selected", state="attached")
    dc = board.add_by_click(DC_REMOVER, "DC Offset")  # spliced after the selected amp
    wait_until(lambda: (f"{dc}:output", "system:playback_1") in cables(board), what="splice")
    assert cables(board) == {
        ("system:capture_1", f"{amp}:input"),
        (f"{amp}:output", f"{dc}:input"),
        (f"{dc}:output", "system:playback_1"),
        (f"{dc}:output", "system:playback_2"),
    }
    page.locator(f"{board.block(amp)} .block-name").click(force=True)
    page.wait_for_selector(f"{board.block(amp)}.selected", state="attached")
    page.keyboard.press("Delete")
    page.wait_for_selector(board.block(amp), state="detached")
    page.click("[data-testid=toast-action]:text('Reconnect')")
    wait_until(lambda: ("system:capture_1", f"{dc}:input") in cables(board), what="reconnected")
    page.locator("[data-testid=canvas]").focus()
    page.keyboard.press(f"{MOD}+z")  # the reconnect
    wait_until(lambda: ("system:capture_1", f"{dc}:input") not in cables(board), what="undone")
    page.keyboard.press(f"{MOD}+z")  # the removal: the block and its cables come back
    page.wait_for_selector(board.block(amp))
    wait_until(lambda: len(cables(board)) == 4, what="the cables back")
    assert (f"{amp}:output", f"{dc}:input") in cables(board)
    assert page.js_errors == []  # type: ignore[attr-defined]


def rects(page: Page) -> list[dict[str, float]]:
    boxes = page.eval_on_selector_all(
        "[data-testid=block] .block-body",
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return {x: r.x, y: r.y, w: r.width, h: r.height}; })",
    )
    return list(boxes)


def overlapping(boxes: list[dict[str, float]]) -> list[tuple[int, int]]:
    bad = []
    for i, a in enumerate(boxes):
        for j, b in enumerate(boxes[:i]):
            if (
                a["x"] < b["x"] + b["w"]
                and b["x"] < a["x"] + a["w"]
                and a["y"] < b["y"] + b["h"]
                and b["y"] < a["y"] + a["h"]
            ):
                bad.append((j, i))
    return bad


def test_ten_adds_and_a_drop_on_a_block_never_overlap(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    ids = [board.add_by_click(AMP, "Simple amplifier") for _ in range(10)]
    assert len(set(ids)) == 10
    assert overlapping(rects(page)) == []
    # the chain stays whole: capture → 10 amps → playback
    wait_until(lambda: len(cables(board)) == 1 + 9 + 2, what="12 cables")
    # a block dropped onto another is nudged off it
    start = board.center(f"{board.block(ids[0])} .block-name")
    end = board.center(f"{board.block(ids[1])} .block-name")
    board.drag(start, end)
    wait_until(lambda: plugin(board.state(), ids[0])["x"] != 0, what="the move")
    page.wait_for_timeout(300)
    assert overlapping(rects(page)) == []
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_ports_stay_on_top_and_refused_wiring_says_why(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    amp = board.add_by_click(AMP, "Simple amplifier")
    wait_until(lambda: len(cables(board)) == 3, what="auto wiring")

    # every port is the topmost thing under its own centre, even where a cable ends on it
    # (polled: under load the board may still be panning to the block just added)
    def ports_on_top() -> list[Any] | None:
        under: list[Any] = page.eval_on_selector_all(
            "[data-testid=port]",
            "els => els.map(e => { const r = e.querySelector('.dot').getBoundingClientRect();"
            " const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
            " return hit && hit.closest('[data-testid=port]') === e; })",
        )
        return under if under and all(under) else None

    wait_until(ports_on_top, what="every port on top")
    # a wired capture port starts a second cable
    board.connect("system:capture_2", f"{amp}:input")
    # input → input is refused with a reason, nothing is created
    before = cables(board)
    board.drag(
        board.center(board.port(f"{amp}:input")), board.center(board.port("system:playback_1"))
    )
    assert "input to an input" in toast_text(page, "input to an input")
    # a cable that exists already: the message names the plugin, not its id
    board.drag(
        board.center(board.port(f"{amp}:output")), board.center(board.port("system:playback_1"))
    )
    text = toast_text(page, "already connected")
    assert "Simple amplifier" in text
    assert amp not in text
    assert cables(board) == before
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_value_boxes_and_the_plugins_own_switch(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    comp = board.add_by_click(COMPRESSOR, "Calf Mono Compressor")
    board.open_controls(comp)
    # Calf's own on/off port is folded into the block's footswitch: no second switch
    assert board.param_input("bypass").count() == 0
    page.wait_for_selector(f"{board.block(comp)} [data-testid=block-bypass]", state="attached")
    mix = board.param_input("mix")
    # an emptied box and Enter sends nothing (not 0) and shows the value again
    mix.fill("")
    mix.press("Enter")
    page.wait_for_timeout(300)
    assert plugin(board.state(), comp)["parameters"]["mix"] == 1
    assert float(mix.input_value()) == 1
    # an arrow key steps by a hundredth of the range, not by 1
    mix.focus()
    mix.press("ArrowDown")
    mix.press("Enter")
    wait_until(
        lambda: math.isclose(plugin(board.state(), comp)["parameters"]["mix"], 0.99, abs_tol=1e-6),
        what="mix 0.99",
    )
    # Esc reverts the box and keeps the panel open
    mix.fill("0.2")
    mix.press("Escape")
    assert float(mix.input_value()) == pytest.approx(0.99)
    assert page.locator("[data-testid=control-panel]").is_visible()
    assert math.isclose(plugin(board.state(), comp)["parameters"]["mix"], 0.99, abs_tol=1e-6)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_names_deleting_the_current_board_and_replace(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    # a name of spaces is an error in the dialog, which stays open
    page.click("[data-testid=save-as]")
    board.answer_dialog("   ")
    page.wait_for_selector("[data-testid=dialog-error]:not([hidden])")
    board.answer_dialog(f"{fresh_board}-copy")
    board.wait_board_name(f"{fresh_board}-copy")
    # Save as an existing name asks "Replace?"
    page.click("[data-testid=save-as]")
    board.answer_dialog(fresh_board)
    page.wait_for_selector("text=Replace it?")
    page.click("[data-testid=choice-replace]")
    board.wait_board_name(fresh_board)
    names = [b["name"] for b in api(stack.web_url, "GET", "/api/pedalboards")]
    assert names.count(fresh_board) == 1
    # deleting the current board is refused by the server: it stays in the list
    page.click("[data-testid=open-board]")
    delete = page.locator(f"[data-testid=board-item][data-name='{fresh_board}'] button.danger")
    delete.click()
    delete.click()
    toast_text(page, "current one")
    assert page.locator(f"[data-testid=board-item][data-name='{fresh_board}']").count() == 1
    # the list can be searched and shows each board's shape
    page.fill("[data-testid=board-search]", f"{fresh_board}-copy")
    assert page.locator("[data-testid=board-item]:visible").count() == 1
    assert page.locator("[data-testid=board-thumb]").count() >= 1
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_keyboard_selection_and_shortcuts(browser: Browser, stack: Stack, fresh_board: str) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    amp = board.add_by_click(AMP, "Simple amplifier")
    dc = board.add_by_click(DC_REMOVER, "DC Offset")
    page.wait_for_selector(
        f"{board.block(dc)}.selected", state="attached"
    )  # a new block is selected
    page.keyboard.press("Escape")  # clear the selection
    page.locator("[data-testid=canvas]").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_selector(f"{board.block(amp)}.selected", state="attached")
    page.keyboard.press("ArrowRight")
    page.wait_for_selector(f"{board.block(dc)}.selected", state="attached")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"[data-testid=control-panel][data-instance-id='{dc}']:not([hidden])")
    # the panel does not hide its block
    panel = page.locator("[data-testid=control-panel]").bounding_box()
    block = page.locator(f"{board.block(dc)} .block-body").bounding_box()
    assert panel is not None
    assert block is not None
    assert block["x"] + block["width"] <= panel["x"]
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    page.wait_for_selector("[data-testid=shortcuts]")
    assert "Ctrl+Z" in (page.text_content("[data-testid=shortcuts]") or "")
    assert page.js_errors == []  # type: ignore[attr-defined]


def long_press_drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A finger held still for a while on `start`, then moved to `end` (real touch events)."""
    cdp = page.context.new_cdp_session(page)
    point = {"x": start[0], "y": start[1]}
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point]})
    page.wait_for_timeout(700)
    for i in range(1, 11):
        x = start[0] + (end[0] - start[0]) * i / 10
        y = start[1] + (end[1] - start[1]) * i / 10
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_phone_mute_touch_targets_fit_and_pan_versus_move(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    from .test_browser import touch_drag

    page = new_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    # Mute is reachable, every top-bar button is a 44 px target
    mute = page.locator("[data-testid=processing]").bounding_box()
    assert mute is not None
    assert mute["x"] >= 0
    assert mute["x"] + mute["width"] <= 390
    sizes = page.eval_on_selector_all(
        ".topbar button, .zoom-buttons button",
        "els => els.filter(e => e.offsetParent).map(e => [e.offsetWidth, e.offsetHeight])",
    )
    assert sizes
    assert all(w >= 44 and h >= 44 for w, h in sizes), sizes
    # blocks far apart: "fit" shows every one of them whole
    far = api(
        stack.web_url, "POST", "/api/pedalboard/plugins", json={"uri": AMP, "x": 1400, "y": 900}
    )
    near = api(stack.web_url, "POST", "/api/pedalboard/plugins", json={"uri": AMP, "x": 0, "y": 0})
    page.wait_for_selector(board.block(far["instance_id"]))
    page.tap("[data-testid=zoom-fit]")
    canvas = page.locator("[data-testid=canvas]").bounding_box()
    assert canvas is not None
    for pid in (far["instance_id"], near["instance_id"]):
        box = page.locator(f"{board.block(pid)} .block-body").bounding_box()
        assert box is not None
        assert canvas["x"] <= box["x"]
        assert box["x"] + box["width"] <= canvas["x"] + canvas["width"]
        assert canvas["y"] <= box["y"]
        assert box["y"] + box["height"] <= canvas["y"] + canvas["height"]
    # a finger a little beside a port (off its dot) still takes the port: a 44 px target
    pid = near["instance_id"]
    capture = board.center(board.port("system:capture_2"))
    touch_drag(page, (capture[0] - 15, capture[1]), board.center(board.port(f"{pid}:input")))
    wait_until(lambda: ("system:capture_2", f"{pid}:input") in cables(board), what="a cable")
    # one finger that moves at once pans the board, even starting on a block
    start = board.center(f"{board.block(pid)} .block-name")
    touch_drag(page, start, (start[0] + 60, start[1] + 80))
    page.wait_for_timeout(300)
    assert (plugin(board.state(), pid)["x"], plugin(board.state(), pid)["y"]) == (0, 0)
    moved = board.center(f"{board.block(pid)} .block-name")
    assert moved[1] > start[1] + 40  # the view moved
    # a long press picks the block up
    long_press_drag(page, moved, (moved[0] + 40, moved[1] + 120))
    wait_until(lambda: plugin(board.state(), pid)["y"] > 0, what="the block moved")
    assert page.js_errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_catalog_synonyms_families_and_descriptions(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    total = page.locator("[data-testid=plugin-item]").count()
    board.search("overdrive")
    wait_until(lambda: page.locator("[data-testid=plugin-item]").count() < total, what="a search")
    page.wait_for_selector("[data-testid=plugin-item]:has-text('DS1')")
    metas = page.eval_on_selector_all(
        "[data-testid=plugin-item] .plugin-meta", "els => els.map(e => e.textContent)"
    )
    assert metas
    assert all("Drive" in m for m in metas), metas
    board.search("")
    page.select_option("[data-testid=plugin-category]", "Reverb")
    page.wait_for_selector("[data-testid=plugin-item]:has-text('Calf Reverb')")
    assert page.locator("[data-testid=plugin-item]:has-text('MDA Delay')").count() == 0
    page.select_option("[data-testid=plugin-category]", "")
    combo = board.add_by_click("http://drobilla.net/plugins/mda/Combo", "MDA Combo")
    board.open_controls(combo)
    page.wait_for_selector("[data-testid=plugin-description]:not([hidden])")
    assert "guitar" in (page.text_content("[data-testid=plugin-description]") or "")
    assert page.js_errors == []  # type: ignore[attr-defined]


CRASH_SCRIPT = """async () => {
  const { Store } = await import("/store.js");
  const store = new Store();
  const ev = (seq, event, data) => ({ type: "event", seq, event, data });
  const plugin = { instance_id: "a", uri: "u", name: "A", ports: {}, parameters: {} };
  const pedalboard = { id: "b", name: "B", plugins: [plugin], connections: [] };
  store.setState({ pedalboard, seq: 1 });
  const out = [];
  store.apply(ev(2, "plugin_died", { instance_id: "a", name: "A" }));
  store.apply(ev(3, "engine_status", { connected: true, replays: 0 }));
  out.push(Boolean(store.plugin("a").crashed));
  store.apply(ev(4, "engine_status", { connected: true, replays: 1 }));
  out.push(Boolean(store.plugin("a").crashed));
  store.apply(ev(5, "history_changed", { entries: [{ id: 1, label: "Add A", client: "me",
    undone: false }] }));
  out.push(store.undoable("me").undo?.label ?? null, store.undoable("other").undo);
  return out;
}"""


def test_crash_marks_pinned_knobs_and_keyboard_cables(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    # a crashed plugin is marked until the engine is rebuilt; the history gives each client its own
    assert page.evaluate(CRASH_SCRIPT) == [True, False, "Add A", None]
    board.wait_board_name(fresh_board)
    comp = board.add_by_click(COMPRESSOR, "Calf Mono Compressor")
    before = page.eval_on_selector_all(
        f"{board.block(comp)} [data-testid=block-knob]", "els => els.map(e => e.dataset.symbol)"
    )
    assert 2 <= len(before) <= 4
    assert "bypass" not in before
    board.open_controls(comp)
    page.click("[data-testid=pin-knob][data-symbol=knee]")  # show Knee on the block too
    page.wait_for_selector(f"{board.block(comp)} [data-testid=block-knob][data-symbol=knee]")
    page.keyboard.press("Escape")
    # keyboard wiring: Enter on a port, Enter on another
    page.focus(board.port("system:capture_2"))
    page.keyboard.press("Enter")
    page.focus(board.port(f"{comp}:in_l"))
    page.keyboard.press("Enter")
    wait_until(lambda: ("system:capture_2", f"{comp}:in_l") in cables(board), what="a cable")
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_phone_landscape_keeps_the_board_and_mute(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    page = new_page(browser, viewport={"width": 844, "height": 390}, is_mobile=True, has_touch=True)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    canvas = page.locator("[data-testid=canvas]").bounding_box()
    assert canvas is not None
    assert canvas["width"] >= 800  # the catalog is a drawer, the board takes the width
    assert canvas["height"] >= 300
    mute = page.locator("[data-testid=processing]")
    assert mute.is_visible()
    box = mute.bounding_box()
    assert box is not None
    assert box["height"] >= 44
    page.context.close()


def test_a_mono_plugin_dropped_on_a_stereo_pair_takes_both_channels(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    amp = board.add_by_click(AMP, "Simple amplifier")  # mono: out → playback 1 and 2
    wait_until(lambda: len(cables(board)) == 3, what="auto wiring")
    left = board.cable(f"{amp}:output", "system:playback_1")
    dc = board.add_by_drag(DC_REMOVER, "DC Offset", lambda: board.cable_middle(left, 0.8))
    wait_until(lambda: (f"{dc}:output", "system:playback_2") in cables(board), what="splice")
    assert cables(board) == {
        ("system:capture_1", f"{amp}:input"),
        (f"{amp}:output", f"{dc}:input"),
        (f"{dc}:output", "system:playback_1"),
        (f"{dc}:output", "system:playback_2"),
    }
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_each_block_shows_its_dsp_share(browser: Browser, stack: Stack, fresh_board: str) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    comp = board.add_by_click(COMPRESSOR, "Calf Mono Compressor")
    label = page.locator(f"[data-testid=block][data-instance-id='{comp}'] [data-testid=block-dsp]")
    text = wait_until(
        lambda: re.fullmatch(r"\d+(\.\d)? % DSP", label.text_content() or ""),
        what="the block's DSP share (dsp_load every 0.5 s)",
    )
    assert text
    page.close()
