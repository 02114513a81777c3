"""The web client in real Chromium on the real stack: wire, turn a knob, hear it, save, sync."""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from stompbox.zmqservice.client import RpcClient
from tests.support.audio import AudioProbe
from tests.support.stack import Stack

from .pages import AMP, COMPRESSOR, DC_REMOVER, Board, api, new_page, plugin, wait_until

pytestmark = pytest.mark.timeout(240)


def bridge_parameter(stack: Stack, instance_id: str, symbol: str) -> float:
    """Ask the engine (param_get through the bridge) for a parameter's current value."""

    async def get() -> float:
        async with RpcClient(stack.bridge_rpc, timeout=20.0) as client:
            result = await client.call(
                "plugin",
                {
                    "method": "get_parameter",
                    "params": {"instance_id": instance_id, "symbol": symbol},
                },
            )
        return float(result["value"])

    # sync Playwright keeps an event loop running in this thread: use another one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(get())).result(timeout=60)


def test_build_chain_turn_knob_hear_it_save_and_reload(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)

    # the board's first plugin, added by a click, is wired capture → it → playback (mono: both)
    amp = board.add_by_click(AMP, "Simple amplifier")
    wait_until(lambda: len(board.state()["pedalboard"]["connections"]) == 3, what="auto wiring")
    connections = {(c["source"], c["target"]) for c in board.state()["pedalboard"]["connections"]}
    assert connections == {
        ("system:capture_1", f"{amp}:input"),
        (f"{amp}:output", "system:playback_1"),
        (f"{amp}:output", "system:playback_2"),
    }
    # a plugin dragged onto a cable is spliced into it (and into its other channel)
    to_left = board.cable(f"{amp}:output", "system:playback_1")
    page.wait_for_selector(to_left, state="attached")
    dc = board.add_by_drag(DC_REMOVER, "DC Offset", lambda: board.cable_middle(to_left))
    assert plugin(board.state(), dc)["uri"] == DC_REMOVER
    page.wait_for_selector(board.cable(f"{dc}:output", "system:playback_1"), state="attached")
    # one of the two playback cables: click it, Delete
    page.keyboard.press("Escape")
    to_right = board.cable(f"{dc}:output", "system:playback_2")
    page.mouse.click(*board.cable_middle(to_right, 0.9))
    page.wait_for_selector(f"{to_right}.selected", state="attached")
    page.keyboard.press("Delete")
    page.wait_for_selector(to_right, state="detached")
    connections = {(c["source"], c["target"]) for c in board.state()["pedalboard"]["connections"]}
    assert connections == {
        ("system:capture_1", f"{amp}:input"),
        (f"{amp}:output", f"{dc}:input"),
        (f"{dc}:output", "system:playback_1"),
    }

    with AudioProbe(stack.jack.name, name="browser-probe") as probe:
        # the dummy driver's capture is silent: the probe stands in for it and listens to playback
        amp_in = wait_until(
            lambda: probe.client.get_all_connections("system:capture_1"), what="amp input in JACK"
        )
        probe.feed(amp_in[0].name)  # type: ignore[index]
        wait_until(lambda: probe.record_playback(), what="a playback source")
        unity = probe.input_rms
        wait_until(
            lambda: abs(probe.measure_rms()[0] / unity - 1) < 0.1, what="the sine through 0 dB"
        )

        # turn the knob by dragging it down: the value reaches the session and the engine
        board.open_controls(amp)
        knob = board.center("[data-testid=knob][data-symbol=gain]")
        board.drag(knob, (knob[0], knob[1] + 40), steps=8)

        def shown() -> float:
            value = page.get_attribute("[data-testid=knob][data-symbol=gain]", "aria-valuenow")
            return float(value or "nan")

        assert shown() < 0
        wait_until(  # the knob and the session agree once the last value's echo is in
            lambda: math.isclose(
                plugin(board.state(), amp)["parameters"]["gain"], shown(), abs_tol=1e-3
            ),
            what="the knob's value in the session",
        )

        # numeric entry: -20 dB is a tenth of the amplitude, in the engine and in the audio
        board.set_param("gain", -20)
        wait_until(
            lambda: plugin(board.state(), amp)["parameters"]["gain"] == -20,
            what="gain -20 in session",
        )
        assert bridge_parameter(stack, amp, "gain") == pytest.approx(-20, abs=1e-3)
        wait_until(
            lambda: abs(probe.measure_rms()[0] / unity - 0.1) < 0.02, what="the sine at -20 dB"
        )

    # save under a name, reload the page: the board is back
    name = f"{fresh_board}-saved"
    page.click("[data-testid=save-as]")
    board.answer_dialog(name)
    board.wait_board_name(name)
    page.reload()
    board.wait_live()
    board.wait_board_name(name)
    page.wait_for_selector(board.cable(f"{amp}:output", f"{dc}:input"), state="attached")
    assert sorted(board.block_ids()) == sorted([amp, dc])
    assert page.locator("[data-testid=cable]").count() == 3

    # a new board is empty; opening the saved one brings everything back
    page.click("[data-testid=new-board]")
    board.answer_dialog(f"{fresh_board}-empty")
    board.wait_board_name(f"{fresh_board}-empty")
    wait_until(lambda: not board.block_ids(), what="an empty board")
    page.click("[data-testid=open-board]")
    page.click(f"[data-testid=board-item][data-name='{name}'] .board-open")
    board.wait_board_name(name)
    wait_until(lambda: page.locator("[data-testid=cable]").count() == 3, what="three cables again")
    board.open_controls(amp)
    assert float(board.param_input("gain").input_value()) == -20

    # the empty board is deleted from the list (two clicks: delete, confirm)
    page.click("[data-testid=open-board]")
    delete = page.locator(
        f"[data-testid=board-item][data-name='{fresh_board}-empty'] button.danger"
    )
    delete.click()
    delete.click()
    page.wait_for_selector(
        f"[data-testid=board-item][data-name='{fresh_board}-empty']", state="detached"
    )
    names = {b["name"] for b in api(stack.web_url, "GET", "/api/pedalboards")}
    assert f"{fresh_board}-empty" not in names
    assert name in names
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_two_browsers_see_each_others_changes(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    one = Board(new_page(browser), stack.web_url).open()
    two = Board(new_page(browser), stack.web_url).open()
    for b in (one, two):
        b.wait_board_name(fresh_board)

    # a plugin added in one appears in the other
    amp = one.add_by_click(AMP, "Simple amplifier")
    two.page.wait_for_selector(two.block(amp))

    # a cable drawn in two appears in one
    two.connect("system:capture_1", f"{amp}:input")
    one.page.wait_for_selector(one.cable("system:capture_1", f"{amp}:input"), state="attached")

    # a parameter set in one moves the knob in two
    one.open_controls(amp)
    two.open_controls(amp)
    one.set_param("gain", -12)
    two.page.wait_for_selector("[data-testid=knob][data-symbol=gain][aria-valuenow='-12']")
    wait_until(
        lambda: float(two.param_input("gain").input_value()) == -12, what="-12 in the other panel"
    )

    # bypass in two shows in one
    two.page.click("[data-testid=bypass]")
    one.page.wait_for_selector(f"{one.block(amp)}.bypassed")
    one.page.wait_for_selector("[data-testid=bypass][aria-pressed=true]")

    # a rename in two shows in one
    two.page.click("[data-testid=board-name]")
    two.answer_dialog(f"{fresh_board}-two")
    one.wait_board_name(f"{fresh_board}-two")

    # a block moved in one moves in two
    before = two.page.locator(two.block(amp)).get_attribute("transform")
    start = one.center(f"{one.block(amp)} .block-name")
    one.drag(start, (start[0] + 80, start[1] + 60))
    wait_until(
        lambda: two.page.locator(two.block(amp)).get_attribute("transform") != before,
        what="the block to move in the other browser",
    )

    # a cable selected and deleted with the keyboard in one disappears in two
    one.page.keyboard.press("Escape")  # close the panel
    cable = one.cable("system:capture_1", f"{amp}:input")
    one.page.mouse.click(*one.cable_middle(cable))
    one.page.wait_for_selector(f"{cable}.selected", state="attached")
    one.page.keyboard.press("Delete")
    two.page.wait_for_selector(two.cable("system:capture_1", f"{amp}:input"), state="detached")

    # a block removed with the keyboard in two disappears in one
    two.page.keyboard.press("Escape")
    two.page.locator(f"{two.block(amp)} .block-name").click(force=True)
    two.page.wait_for_selector(f"{two.block(amp)}.selected", state="attached")
    two.page.keyboard.press("Delete")
    one.page.wait_for_selector(one.block(amp), state="detached")
    for b in (one, two):
        assert b.page.js_errors == []  # type: ignore[attr-defined]


def test_preset_menu_bypass_and_remove(browser: Browser, stack: Stack, fresh_board: str) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)
    comp = board.add_by_click(COMPRESSOR, "Calf Mono Compressor")
    board.open_controls(comp)
    presets = api(stack.web_url, "GET", "/api/plugins/presets", params={"uri": COMPRESSOR})
    preset = presets[0]
    select = page.locator("[data-testid=preset-select]")
    wait_until(lambda: select.locator("option").count() == len(presets) + 1, what="the preset list")
    select.select_option(preset["uri"])
    wait_until(lambda: plugin(board.state(), comp).get("preset") == preset["uri"], what="preset")
    for symbol, value in plugin(board.state(), comp)["parameters"].items():
        knob = page.locator(f"[data-testid=knob][data-symbol='{symbol}']")
        if knob.count():
            wait_until(
                lambda k=knob, v=value: math.isclose(
                    float(k.get_attribute("aria-valuenow") or "nan"), v, rel_tol=1e-4, abs_tol=1e-6
                ),
                what=f"{symbol} = {value} on its knob",
            )

    page.click("[data-testid=bypass]")
    wait_until(lambda: plugin(board.state(), comp)["enabled"] is False, what="bypassed in session")
    page.wait_for_selector(f"{board.block(comp)}.bypassed")
    page.click("[data-testid=remove-plugin]")
    page.wait_for_selector(board.block(comp), state="detached")
    page.wait_for_selector("[data-testid=control-panel]", state="hidden")
    assert not [p for p in board.state()["pedalboard"]["plugins"] if p["instance_id"] == comp]
    assert page.js_errors == []  # type: ignore[attr-defined]


def touch_drag(
    page: Page, start: tuple[float, float], end: tuple[float, float], steps: int = 10
) -> None:
    """One finger from `start` to `end` (real touch events through the DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    send = cdp.send
    send(
        "Input.dispatchTouchEvent",
        {"type": "touchStart", "touchPoints": [{"x": start[0], "y": start[1]}]},
    )
    for i in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * i / steps
        y = start[1] + (end[1] - start[1]) * i / steps
        send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_phone_portrait_drawer_touch_wiring_and_bottom_sheet(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)

    def drawer_x() -> float:
        box = page.locator("[data-testid=plugin-browser]").bounding_box()
        assert box is not None
        return float(box["x"] + box["width"])

    assert drawer_x() <= 0  # the catalog is a closed drawer on a phone
    page.tap("[data-testid=toggle-browser]")
    wait_until(lambda: drawer_x() > 200, what="the drawer to open")
    board.search("Simple amplifier")
    before = set(board.block_ids())
    board.item(AMP).tap()
    amp = wait_until(lambda: set(board.block_ids()) - before, what="the tapped plugin").pop()  # type: ignore[attr-defined]
    wait_until(lambda: drawer_x() <= 0, what="the drawer to close after adding")

    # the first plugin came wired; tap its input cable to select it, tap its × to remove it
    cable = board.cable("system:capture_1", f"{amp}:input")
    page.wait_for_selector(cable, state="attached")
    page.touchscreen.tap(*board.cable_middle(cable))
    page.wait_for_selector(f"{cable}.selected", state="attached")
    page.touchscreen.tap(*board.center(f"{cable} [data-testid=cable-remove]"))
    page.wait_for_selector(cable, state="detached")

    def wired() -> set[tuple[str, str]]:
        return {(c["source"], c["target"]) for c in board.state()["pedalboard"]["connections"]}

    wait_until(lambda: ("system:capture_1", f"{amp}:input") not in wired(), what="cable gone")
    # and draw it again with a finger
    touch_drag(
        page, board.center(board.port("system:capture_1")), board.center(board.port(f"{amp}:input"))
    )
    page.wait_for_selector(cable, state="attached")

    # the controls open as a bottom sheet, full width
    page.locator(f"{board.block(amp)} [data-testid=block-open]").tap()
    page.wait_for_selector("[data-testid=control-panel]:not([hidden])")
    sheet = page.locator("[data-testid=control-panel]").bounding_box()
    assert sheet is not None
    assert sheet["width"] == 390
    assert sheet["y"] > 844 / 3
    context.close()


def session_call(stack: Stack, method: str, params: dict[str, Any]) -> Any:
    """Call the session over ZeroMQ directly (works while the web process is down)."""

    async def call() -> Any:
        async with RpcClient(stack.session_rpc, timeout=30.0) as client:
            return await client.call(method, params)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(call())).result(timeout=90)


def test_reconnects_and_resyncs_after_the_web_process_restarts(
    browser: Browser, stack: Stack, fresh_board: str
) -> None:
    page = new_page(browser)
    board = Board(page, stack.web_url).open()
    board.wait_board_name(fresh_board)

    stack.children["web"].stop()
    page.wait_for_selector("[data-testid=connection-status]:not([data-state=open])")
    # a change the page cannot hear about: it must come back with the fresh state on reconnect
    added = session_call(stack, "load_plugin", {"uri": AMP, "x": 100, "y": 100})
    stack.start_one("web")
    board.wait_live()
    page.wait_for_selector(board.block(added["instance_id"]))
    # and live events flow again
    page.click("[data-testid=board-name]")
    board.answer_dialog(f"{fresh_board}-renamed")
    board.wait_board_name(f"{fresh_board}-renamed")
    assert page.js_errors == []  # type: ignore[attr-defined]


STORE_SCRIPT = """async () => {
  const { Store } = await import("/store.js");
  const store = new Store();
  const ev = (seq, event, data) => ({ type: "event", seq, event, data });
  const out = [];
  out.push(store.apply(ev(1, "plugin_unloaded", { instance_id: "a" })));
  const plugin = { instance_id: "a", uri: "u", name: "A", ports: {}, parameters: { g: 0, h: 0 } };
  const empty = { id: "b", name: "B", plugins: [plugin], connections: [] };
  store.setState({ pedalboard: empty, seq: 10 });
  out.push(store.apply(ev(10, "parameter_changed", { instance_id: "a", symbol: "g", value: 1 })));
  out.push(store.apply(ev(13, "parameter_changed", { instance_id: "a", symbol: "g", value: 2 })));
  out.push(store.apply(ev(12, "parameter_changed", { instance_id: "a", symbol: "h", value: 3 })));
  out.push(store.plugin("a").parameters.g, store.plugin("a").parameters.h);
  const cable = { source: "a:out", target: "system:playback_1" };
  out.push(store.apply(ev(15, "connection_created", {})));
  out.push(store.apply(ev(16, "connection_created", cable)));
  const wired = { id: "b", name: "B", plugins: [plugin], connections: [cable] };
  store.setState({ pedalboard: wired, seq: 13 });
  out.push(store.apply(ev(14, "plugin_unloaded", { instance_id: "a" })));
  out.push(store.board.plugins.length, store.board.connections.length);
  return out;
}"""


def test_store_applies_the_events_after_its_state_and_resyncs_on_what_it_cannot_read(
    browser: Browser, stack: Stack
) -> None:
    """The hub coalesces a slow socket's values (a newer value takes an older one's place), so
    seq may jump or step back between two controls' values: neither is a reason to resync."""
    page = new_page(browser)
    page.goto(stack.web_url + "/")
    assert page.evaluate(STORE_SCRIPT) == [
        "stale",  # no state yet: nothing to patch
        "stale",  # already contained in the state
        "applied",  # 11 and 12 not seen yet: the hub coalesced them
        "applied",  # h's value was queued before g's newest one took an older slot
        2,
        3,
        "resync",  # a cable without ends: not understood
        "stale",  # waiting for the fresh state
        "applied",  # unloading a plugin also drops its cables
        0,
        0,
    ]


def test_mute_button_switches_processing_in_every_browser(browser: Browser, stack: Stack) -> None:
    one = Board(new_page(browser), stack.web_url).open()
    two = Board(new_page(browser), stack.web_url).open()
    mute = "[data-testid=processing]"
    try:
        one.page.click(mute)
        wait_until(lambda: one.state()["audio"].get("processing") is False, what="processing off")
        two.page.wait_for_selector(f"{mute}[data-state=off]")
        two.page.click(mute)
        wait_until(lambda: one.state()["audio"].get("processing") is True, what="processing on")
        one.page.wait_for_selector(f"{mute}[data-state=on]")
    finally:
        api(stack.web_url, "PUT", "/api/audio/processing", json={"enabled": True})
        for b in (one, two):
            b.page.close()
