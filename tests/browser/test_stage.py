"""The stage view and tuner in real Chromium on a phone: one tap away, big controls, synced."""

from __future__ import annotations

import asyncio
import math
import struct
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from stompbox.zmqservice import RpcClient
from tests.support.jack_helper import JackHelper
from tests.support.stack import Stack

from .pages import AMP, DC_REMOVER, api, launch, wait_until

IR_LOADER = "http://gareus.org/oss/lv2/zeroconvolv#CfgMono"


def impulse_wav(frames: int = 256, rate: int = 48000) -> bytes:
    samples = struct.pack(f"<{frames}h", 32767, *([0] * (frames - 1)))
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    body += b"data" + struct.pack("<I", len(samples)) + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


pytestmark = pytest.mark.timeout(240)

PORTRAIT = {"width": 390, "height": 844}
LANDSCAPE = {"width": 844, "height": 390}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = launch(pw)
        try:
            yield b
        finally:
            b.close()


def phone(browser: Browser, viewport: dict[str, int]) -> Page:
    context = browser.new_context(viewport=viewport, has_touch=True, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    page.set_default_timeout(20_000)
    return page


def state(url: str) -> dict[str, Any]:
    return api(url, "GET", "/api/state")  # type: ignore[no-any-return]


def plugin(url: str, instance_id: str) -> dict[str, Any]:
    return next(p for p in state(url)["pedalboard"]["plugins"] if p["instance_id"] == instance_id)


def within_width(page: Page, selector: str, width: int) -> bool:
    """Every visible element matching `selector` lies inside the viewport's width."""
    found = page.locator(selector)
    boxes = [found.nth(i).bounding_box() for i in range(found.count())]
    shown = [b for b in boxes if b is not None]
    return bool(shown) and all(b["x"] >= 0 and b["x"] + b["width"] <= width + 1 for b in shown)


def test_stage_view_on_a_phone(stack: Stack, browser: Browser) -> None:
    url = stack.web_url
    api(url, "POST", "/api/setlist/leave")  # the shared stack may follow another test's setlist
    api(url, "POST", "/api/pedalboards", json={"name": f"stage-{uuid.uuid4().hex[:8]}"})
    api(url, "POST", "/api/pedalboard/plugins", json={"uri": AMP})
    api(url, "POST", "/api/pedalboard/plugins", json={"uri": DC_REMOVER})
    amp = next(p for p in state(url)["pedalboard"]["plugins"] if p["uri"] == AMP)["instance_id"]
    gain = f"/api/pedalboard/plugins/{amp}/parameters/gain"
    for n, value in enumerate((-6.0, 3.0)):
        api(url, "PUT", gain, json={"value": value})
        api(url, "POST", "/api/snapshots", json={"name": f"Verse {n + 1}"})
    page = phone(browser, PORTRAIT)
    other = phone(browser, LANDSCAPE)
    try:
        for p in (page, other):
            p.goto(url + "/")
            p.wait_for_selector("[data-testid=connection-status][data-state=open]")
        page.tap("[data-testid=open-stage]")  # one tap away
        page.wait_for_selector("[data-testid=stage]:not([hidden])")
        other.goto(url + "/#stage")  # a bookmarkable stage view
        other.wait_for_selector("[data-testid=stage]:not([hidden])")
        snaps = page.locator("[data-testid=stage-snapshot]")
        assert snaps.count() == 2
        for p, width in ((page, PORTRAIT["width"]), (other, LANDSCAPE["width"])):
            p.wait_for_selector("[data-testid=stage-snapshot]")  # (this page's list may lag)
            box = p.locator("[data-testid=stage-snapshot]").first.bounding_box()
            assert box is not None
            assert box["height"] >= 48  # big enough for a foot-tapping thumb
            assert within_width(p, "[data-testid=stage] button", width)
        # recall snapshot 1: the engine value changes, both phones mark it
        page.tap("[data-testid=stage-snapshot][data-index='0']")
        wait_until(lambda: plugin(url, amp)["parameters"]["gain"] == -6.0, what="recall")
        other.wait_for_selector("[data-testid=stage-snapshot][data-index='0'][aria-pressed=true]")
        # footswitch: bypass the amp from one phone, the other sees it
        page.tap(f"[data-testid=stage-footswitch][data-instance-id='{amp}']")
        wait_until(lambda: not plugin(url, amp)["enabled"], what="bypass")
        other.wait_for_selector(
            f"[data-testid=stage-footswitch][data-instance-id='{amp}'][aria-pressed=false]"
        )
        # choose footswitches: hide the DC remover's switch
        page.tap("[data-testid=stage-choose]")
        dc = next(p for p in state(url)["pedalboard"]["plugins"] if p["uri"] == DC_REMOVER)
        page.locator(
            f"[data-testid=stage-choice][data-instance-id='{dc['instance_id']}']"
        ).uncheck()
        page.tap("[data-testid=stage-choose]")
        assert page.locator("[data-testid=stage-footswitch]").count() == 1
        # the choice is the board's (saved with it), not the device's: the other phone follows
        wait_until(lambda: state(url)["pedalboard"]["footswitches"] == [amp], what="saved")
        wait_until(
            lambda: other.locator("[data-testid=stage-footswitch]").count() == 1, what="other"
        )
        # next / previous walk the snapshots when no setlist is active
        page.tap("[data-testid=stage-next]")
        wait_until(lambda: plugin(url, amp)["parameters"]["gain"] == 3.0, what="next")
        page.tap("[data-testid=stage-prev]")
        wait_until(lambda: plugin(url, amp)["parameters"]["gain"] == -6.0, what="previous")
        # save a snapshot from the stage view
        page.tap("[data-testid=stage-save-snapshot]")
        page.fill("[data-testid=dialog-input]", "Chorus")
        page.locator(
            f"[data-testid=snapshot-plugin][data-instance-id='{dc['instance_id']}']"
        ).uncheck()  # this snapshot leaves the DC remover alone
        page.tap("[data-testid=dialog-ok]")
        other.wait_for_selector("[data-testid=stage-snapshot][data-index='2']")
        chorus = api(url, "GET", "/api/snapshots")["snapshots"][2]
        assert chorus["name"] == "Chorus"
        assert set(chorus["parameters"]) == {amp}
        # mute, then unmute
        page.tap("[data-testid=stage-mute]")
        wait_until(lambda: state(url)["audio"].get("processing") is False, what="mute")
        other.wait_for_selector("[data-testid=stage-mute][data-state=off]")
        page.tap("[data-testid=stage-mute]")
        wait_until(lambda: state(url)["audio"].get("processing") is not False, what="unmute")
        # the tuner: on from the stage view, every client shows it running
        page.tap("[data-testid=stage-tuner]")
        page.wait_for_selector("[data-testid=stage] [data-testid=tuner][data-active=true]")
        other.wait_for_selector(
            "[data-testid=stage] [data-testid=tuner][data-active=true]", state="attached"
        )
        assert api(url, "GET", "/api/tuner")["active"] is True
        page.tap("[data-testid=stage] [data-testid=tuner-toggle]")
        wait_until(lambda: api(url, "GET", "/api/tuner")["active"] is False, what="tuner off")
        # a setlist from the stage view: this board as song 1, then follow it
        page.tap("[data-testid=stage-setlist-add]")
        page.fill("[data-testid=dialog-input]", f"Gig {uuid.uuid4().hex[:6]}")
        page.tap("[data-testid=dialog-ok]")
        wait_until(lambda: api(url, "GET", "/api/setlist").get("position") == 0, what="setlist")
        page.wait_for_selector("[data-testid=stage-song]:has-text('1/1')")
        page.tap("[data-testid=stage-setlist-edit]")  # a note for the song
        page.fill("[data-testid=setlist-note]", "capo 2")
        page.tap("[data-testid=setlist-save]")
        page.wait_for_selector("[data-testid=stage-song]:has-text('capo 2')")
        other.wait_for_selector("[data-testid=stage-song]:has-text('capo 2')")
        page.select_option("[data-testid=stage-setlist]", "")
        wait_until(lambda: api(url, "GET", "/api/setlist").get("id") is None, what="left")
        # the editor is one tap back
        page.tap("[data-testid=stage-close]")
        page.wait_for_selector("[data-testid=stage]", state="hidden")
        page.wait_for_selector("[data-testid=open-tuner]")
        assert not page.js_errors  # type: ignore[attr-defined]
        assert not other.js_errors  # type: ignore[attr-defined]
    finally:
        page.context.close()
        other.context.close()


def _engine_number(stack: Stack, instance_id: str) -> int:
    async def ask() -> int:
        async with RpcClient(stack.bridge_rpc, timeout=30.0) as bridge:
            return int((await bridge.call("state"))["instances"][instance_id]["number"])

    with ThreadPoolExecutor(1) as pool:  # this thread runs Playwright's event loop
        return pool.submit(asyncio.run, ask()).result()


def test_midi_learn_moves_a_knob_in_every_browser(stack: Stack, browser: Browser) -> None:
    """Learn from a real JACK MIDI client (in a process of its own: this one runs Playwright),
    then the pedal moves the knob in the other browser and the sound."""
    url = stack.web_url
    api(url, "POST", "/api/pedalboards", json={"name": f"learn-{uuid.uuid4().hex[:8]}"})
    amp = api(url, "POST", "/api/pedalboard/plugins", json={"uri": AMP})["instance_id"]
    for source, target in (
        ("system:capture_1", f"{amp}:input"),
        (f"{amp}:output", "system:playback_1"),
    ):
        api(url, "POST", "/api/pedalboard/connections", json={"source": source, "target": target})
    number = _engine_number(stack, amp)
    contexts = [browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(2)]
    a, b = (c.new_page() for c in contexts)
    try:
        with JackHelper(stack.jack.name, name=f"learnsrc{uuid.uuid4().hex[:6]}") as jack:
            jack.feed(f"effect_{number}:input")
            jack.record(f"effect_{number}:output")
            for p in (a, b):
                p.set_default_timeout(20_000)
                p.goto(url + "/")
                p.wait_for_selector("[data-testid=connection-status][data-state=open]")
            a.click("[data-testid=open-midi]")
            a.wait_for_selector("[data-testid=midi-dialog]")
            a.select_option("[data-testid=midi-target]", "parameter")
            a.select_option("[data-testid=midi-plugin]", amp)
            a.select_option("[data-testid=midi-symbol]", "gain")
            a.fill("[data-testid=midi-minimum]", "-30")
            a.fill("[data-testid=midi-maximum]", "6")
            a.click("[data-testid=midi-learn]")
            a.wait_for_selector("[data-testid=midi-status][data-learning=true]")

            # "move a control now": CC 21 on channel 3 from the JACK client into the engine
            def learned() -> bool:
                jack.midi(bytes((0xB2, 21, 64)))
                return a.locator("[data-testid=midi-binding][data-number='21']").count() > 0

            wait_until(learned, what="the binding learned from JACK MIDI")
            a.wait_for_selector("[data-testid=midi-status][data-learning=false]", state="attached")
            bindings = api(url, "GET", "/api/midi/bindings")["board"]
            assert [(x["channel"], x["number"], x["symbol"]) for x in bindings] == [(2, 21, "gain")]
            # the pedal moves: the knob follows in the other browser, which never touched MIDI
            b.locator(f"[data-testid=block][data-instance-id='{amp}'] .block-name").dblclick(
                force=True
            )
            field = b.locator(
                "[data-testid=control-panel] [data-testid=param-input][data-symbol=gain]"
            )
            sine = jack.input_rms()
            for value, shown, gain_db in ((127, "6", 6.0), (0, "-30", -30.0)):

                def moved(value: int = value, shown: str = shown) -> bool:
                    jack.midi(bytes((0xB2, 21, value)))
                    return field.input_value() == shown

                wait_until(moved, what=f"gain {shown} dB in browser B")
                assert plugin(url, amp)["parameters"]["gain"] == gain_db
                assert jack.rms() == pytest.approx(sine * 10 ** (gain_db / 20), rel=0.1)
            # Level on: the block's own meter shows its input and output peaks (dBFS)
            b.click("[data-testid=open-meter]")
            meter = b.locator(
                f"[data-testid=block][data-instance-id='{amp}'] [data-testid=block-meter]"
            )
            peak = 20 * math.log10(sine * math.sqrt(2))  # the sine's peak, -12.04 dBFS

            def shows(side: str, want: float) -> bool:
                got = meter.get_attribute(f"data-{side}-db")
                return got is not None and abs(float(got) - want) <= 1.0

            wait_until(lambda: shows("input", peak) and shows("output", peak - 30), what="meter")
            assert meter.get_attribute("data-output-clip") == "false"
            # the stage view shows the same output level under the block's footswitch
            b.click("[data-testid=open-stage]")
            bar = b.locator(
                f"[data-testid=stage-footswitch][data-instance-id='{amp}'] .stage-level-bar"
            )
            wait_until(lambda: bar.evaluate("e => e.getBoundingClientRect().width") > 0, what="bar")
            b.click("[data-testid=stage-close]")
            b.click("[data-testid=open-meter]")
            block = f"[data-testid=block][data-instance-id='{amp}']"
            a.wait_for_selector(
                f"{block} [data-testid=block-meter][data-active=false]", state="attached"
            )
        # delete it from the dialog; typed CC works too
        a.click("[data-testid=midi-delete]")
        a.wait_for_selector("[data-testid=midi-binding]", state="detached")
        a.select_option("[data-testid=midi-target]", "mute")
        a.fill("[data-testid=midi-number]", "64")
        a.click("[data-testid=midi-add]")
        a.wait_for_selector("[data-testid=midi-binding][data-number='64']")
        a.click("[data-testid=midi-close]")
        for binding in api(url, "GET", "/api/midi/bindings")["global"]:
            api(url, "DELETE", f"/api/midi/bindings/{binding['id']}")
    finally:
        for c in contexts:
            c.close()


def test_file_picker_offers_matching_media(stack: Stack, browser: Browser) -> None:
    url = stack.web_url
    api(url, "POST", "/api/pedalboards", json={"name": f"files-{uuid.uuid4().hex[:8]}"})
    ir = api(url, "POST", "/api/pedalboard/plugins", json={"uri": IR_LOADER})["instance_id"]
    name = f"cab-{uuid.uuid4().hex[:6]}.wav"
    api(url, "PUT", f"/api/media/{name}", content=impulse_wav())
    api(url, "PUT", "/api/media/amp-model.nam", content=b'{"version": "0.5"}')
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    try:
        page.set_default_timeout(20_000)
        page.goto(url + "/")
        page.wait_for_selector("[data-testid=connection-status][data-state=open]")
        page.locator(f"[data-testid=block][data-instance-id='{ir}'] .block-name").dblclick(
            force=True
        )
        select = page.locator("[data-testid=file-params] [data-testid=file-select]")
        select.wait_for()
        options = select.locator("option").all_text_contents()
        assert name in options
        assert "amp-model.nam" not in options  # filtered by the parameter's types
        select.select_option(name)
        wait_until(lambda: api(url, "GET", "/api/pedalboard")["files"].get(ir), what="file stored")
        page.click("[data-testid=open-meter]")  # the board's output level in the top bar
        page.wait_for_selector("[data-testid=open-meter][data-state=on]")
        assert api(url, "GET", "/api/meter")["active"] is True
        page.click("[data-testid=open-meter]")
        page.wait_for_selector("[data-testid=open-meter][data-state=off]")
        note = page.locator("[data-testid=file-note]")
        wait_until(
            lambda: "not supported" in note.text_content() or not note.text_content(),
            what="the engine's answer",
        )
    finally:
        page.context.close()
