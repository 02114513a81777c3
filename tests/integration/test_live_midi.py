"""MIDI applied by the session on the real stack: a bound CC moves a real plugin's gain (read back
from the engine and measured as audio) and program change picks setlist songs.

The first test feeds the session's MIDI input (`/api/midi/input`); the second sends real MIDI from
a JACK MIDI client into the engine's `stompbox:midi_in` (the engine reports unmapped CCs and program
changes on monitored channels, the bridge turns them into events, the session applies them).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from stompbox.zmqservice import RpcClient
from tests.support.audio import AudioProbe
from tests.support.midi import MidiSender
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"
WAIT = 20.0
_names = itertools.count()


async def test_cc_is_heard_and_program_change_switches_songs(stack: Stack) -> None:
    async with (
        RpcClient(stack.bridge_rpc, timeout=30.0) as b,
        httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as api,
    ):
        await api.post("/api/setlist/leave")
        r = await api.post("/api/pedalboards", json={"name": f"midi board {time.time_ns()}"})
        assert r.status_code == 200, r.text
        r = await api.post("/api/pedalboard/plugins", json={"uri": AMP})
        iid = r.json()["instance_id"]
        for source, target in (
            ("system:capture_1", f"{iid}:input"),
            (f"{iid}:output", "system:playback_1"),
        ):  # the engine's outside ports (aliases effect_N:input/output) the probe uses
            r = await api.post(
                "/api/pedalboard/connections", json={"source": source, "target": target}
            )
            assert r.status_code == 200, r.text
        binding = {
            "target": "parameter",
            "channel": 1,
            "number": 11,
            "instance_id": iid,
            "symbol": "gain",
            "minimum": -20.0,
            "maximum": 0.0,
        }
        r = await api.post("/api/midi/bindings", json=binding)
        assert r.status_code == 200, r.text
        bad = await api.post("/api/midi/bindings", json={**binding, "channel": 99})
        assert bad.status_code == 422
        number = (await b.call("state"))["instances"][iid]["number"]
        levels = []
        with AudioProbe(stack.jack.name, name=f"midiprobe{next(_names)}") as probe:
            probe.feed(f"effect_{number}:input")
            probe.record(f"effect_{number}:output")
            for value in (0, 127):
                r = await api.post(
                    "/api/midi/input",
                    json={"kind": "cc", "channel": 1, "number": 11, "value": value},
                )
                assert r.json()["actions"] == 1
                got = await b.call(
                    "plugin",
                    {"method": "get_parameter", "params": {"instance_id": iid, "symbol": "gain"}},
                )
                assert got["value"] == pytest.approx(-20.0 if value == 0 else 0.0, abs=1e-3)
                (level,) = probe.measure_rms(settle=0.15)
                levels.append(level)
        assert levels[0] == pytest.approx(probe.input_rms * 0.1, rel=0.1)
        assert levels[1] == pytest.approx(probe.input_rms, rel=0.1)
        # unknown and malformed MIDI: ignored or refused, nothing changes
        r = await api.post("/api/midi/input", json={"kind": "sysex", "channel": 0, "number": 0})
        assert r.json()["actions"] == 0
        assert (await api.post("/api/midi/input", json={"kind": "cc"})).status_code == 422

        # program change 1 on channel 16 → the second song of the setlist
        board = (await api.post("/api/pedalboard/save")).json()
        other = (await api.post("/api/pedalboards", json={"name": f"pc {time.time_ns()}"})).json()
        entries = [{"board": board["id"]}, {"board": other["pedalboard"]["id"]}]
        setlist = (
            await api.post(
                "/api/setlists", json={"name": f"PC {time.time_ns()}", "entries": entries}
            )
        ).json()
        await api.post(f"/api/setlists/{setlist['id']}/go/0")
        await api.put("/api/midi/program-change", json={"channel": 15, "target": "setlist"})
        try:
            r = await api.post(
                "/api/midi/input", json={"kind": "program", "channel": 15, "number": 1}
            )
            assert r.json()["actions"] == 1
            assert (await api.get("/api/pedalboard")).json()["id"] == other["pedalboard"]["id"]
            assert (await api.get("/api/setlist")).json()["position"] == 1
            r = await api.post(
                "/api/midi/input", json={"kind": "program", "channel": 15, "number": 0}
            )
            assert (await api.get("/api/pedalboard")).json()["id"] == board["id"]
        finally:
            await api.put("/api/midi/program-change", json={"channel": 0, "target": "off"})
            await api.post("/api/setlist/leave")


# -- from a JACK MIDI client into the engine -------------------------------------------------


def _ws_url(web_url: str) -> str:
    return web_url.replace("http://", "ws://") + "/ws"


async def _until_changed(ws: ClientConnection, iid: str, value: float) -> dict[str, Any]:
    async with asyncio.timeout(WAIT):
        while True:
            m: dict[str, Any] = json.loads(await ws.recv())
            data = m.get("data") or {}
            if (
                m.get("event") == "parameter_changed"
                and data.get("instance_id") == iid
                and data.get("symbol") == "gain"
                and data.get("value") == pytest.approx(value, abs=1e-3)
            ):
                return m


async def _until(check: Callable[[], Awaitable[bool]], resend: Callable[[], None]) -> None:
    """Resend until `check()` holds (the session starts monitoring a channel shortly after a
    binding is made); fail after WAIT seconds."""
    async with asyncio.timeout(WAIT):
        while True:
            resend()
            for _ in range(5):
                await asyncio.sleep(0.1)
                if await check():
                    return


async def _gain(api: httpx.AsyncClient, b: RpcClient, iid: str) -> tuple[float, float]:
    """The gain as the engine reports it (through the bridge) and as the session holds it."""
    got = await b.call(
        "plugin", {"method": "get_parameter", "params": {"instance_id": iid, "symbol": "gain"}}
    )
    board = (await api.get("/api/pedalboard")).json()
    (plugin,) = [p for p in board["plugins"] if p["instance_id"] == iid]
    return float(got["value"]), float(plugin["parameters"]["gain"])


async def test_jack_midi_cc_and_pc_reach_every_client(stack: Stack) -> None:
    """A JACK MIDI client on `stompbox:midi_in`: a bound CC moves the amp's gain (engine and
    session read back, heard, `parameter_changed` on two sockets); PC switches setlist songs;
    a sysex flood and unknown messages change nothing and wedge nothing."""
    async with (
        RpcClient(stack.bridge_rpc, timeout=30.0) as b,
        httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as api,
        websockets.connect(_ws_url(stack.web_url)) as ws_a,
        websockets.connect(_ws_url(stack.web_url)) as ws_b,
    ):
        await api.post("/api/setlist/leave")
        await api.put("/api/midi/program-change", json={"channel": 0, "target": "off"})
        r = await api.post("/api/pedalboards", json={"name": f"jack midi {time.time_ns()}"})
        assert r.status_code == 200, r.text
        iid = (await api.post("/api/pedalboard/plugins", json={"uri": AMP})).json()["instance_id"]
        for source, target in (
            ("system:capture_1", f"{iid}:input"),
            (f"{iid}:output", "system:playback_1"),
        ):
            r = await api.post(
                "/api/pedalboard/connections", json={"source": source, "target": target}
            )
            assert r.status_code == 200, r.text
        binding = {
            "target": "parameter",
            "channel": 2,
            "number": 7,
            "instance_id": iid,
            "symbol": "gain",
            "minimum": -20.0,
            "maximum": 0.0,
        }
        assert (await api.post("/api/midi/bindings", json=binding)).status_code == 200
        number = (await b.call("state"))["instances"][iid]["number"]
        cc = 0xB0 | binding["channel"]
        levels = []
        with (
            MidiSender(stack.jack.name, name=f"midisrc{next(_names)}") as midi,
            AudioProbe(stack.jack.name, name=f"midiprobe{next(_names)}") as probe,
        ):
            midi.connect_to_engine()
            probe.feed(f"effect_{number}:input")
            probe.record(f"effect_{number}:output")
            for value, gain in ((0, -20.0), (127, 0.0)):
                message = bytes((cc, binding["number"], value))

                async def applied(gain: float = gain) -> bool:
                    engine, session = await _gain(api, b, iid)
                    return engine == pytest.approx(gain, abs=1e-3) and session == pytest.approx(
                        gain, abs=1e-3
                    )

                await _until(applied, lambda m=message: midi.send(m))
                await _until_changed(ws_a, iid, gain)
                await _until_changed(ws_b, iid, gain)
                (level,) = probe.measure_rms(settle=0.15)
                levels.append(level)
            assert levels[0] == pytest.approx(probe.input_rms * 0.1, rel=0.1)
            assert levels[1] == pytest.approx(probe.input_rms, rel=0.1)

            # a sysex flood and messages nobody knows: ignored, the engine and session go on
            flood = bytes((0xF0, *([0x11] * 1000), 0xF7))
            for _ in range(200):
                midi.send(flood)
            for junk in ((0xF4,), (0xF5, 1), (0xFD,), (0xF8,), (0xA2, 7, 9), (0xE2, 0, 64)):
                midi.send(bytes(junk))
            midi.send(bytes((cc, binding["number"], 0)))

            async def back_to_minimum() -> bool:
                return (await _gain(api, b, iid))[0] == pytest.approx(-20.0, abs=1e-3)

            await _until(back_to_minimum, lambda: None)
            assert (await api.get("/api/health")).json()["engine_connected"] is True

            # learn from the JACK client on a channel nothing was bound to (all are monitored)
            r = await api.post("/api/midi/learn", json={"binding": {**binding, "number": 0}})
            assert r.status_code == 200, r.text

            async def learned() -> bool:
                board = (await api.get("/api/midi/bindings")).json()["board"]
                return any(x["channel"] == 9 and x["number"] == 20 for x in board)

            await _until(learned, lambda: midi.send(bytes((0xB9, 20, 64))))

            # program change on channel 16 → setlist songs
            board = (await api.post("/api/pedalboard/save")).json()
            other = (
                await api.post("/api/pedalboards", json={"name": f"pc {time.time_ns()}"})
            ).json()
            entries = [{"board": board["id"]}, {"board": other["pedalboard"]["id"]}]
            setlist = (
                await api.post(
                    "/api/setlists", json={"name": f"JACK PC {time.time_ns()}", "entries": entries}
                )
            ).json()
            await api.post(f"/api/setlists/{setlist['id']}/go/0")
            await api.put("/api/midi/program-change", json={"channel": 15, "target": "setlist"})
            try:
                for program, want in ((1, other["pedalboard"]["id"]), (0, board["id"])):

                    async def switched(want: str = want, program: int = program) -> bool:
                        current = (await api.get("/api/pedalboard")).json()["id"]
                        position = (await api.get("/api/setlist")).json()["position"]
                        return bool(current == want and position == program)

                    await _until(switched, lambda p=program: midi.send(bytes((0xCF, p))))
            finally:
                await api.put("/api/midi/program-change", json={"channel": 0, "target": "off"})
                await api.post("/api/setlist/leave")


async def test_jack_midi_still_applies_after_an_engine_restart(
    stack_factory: Callable[..., Stack],
) -> None:
    """The new engine monitors nothing: the session asks it again for the bound channels."""
    stack = stack_factory("session")
    async with (
        RpcClient(stack.session_rpc, timeout=30.0) as c,
        RpcClient(stack.bridge_rpc, timeout=30.0) as b,
    ):
        await c.call("pedalboard.create", {"name": f"restart {time.time_ns()}"})
        await c.call("load_plugin", {"uri": AMP, "instance_id": "amp"})
        binding = {"target": "parameter", "channel": 3, "number": 9, "instance_id": "amp"}
        await c.call("midi.bind", {**binding, "symbol": "gain", "minimum": -20.0, "maximum": 0.0})

        async def gain_is(want: float) -> bool:
            got = await b.call(
                "plugin",
                {"method": "get_parameter", "params": {"instance_id": "amp", "symbol": "gain"}},
            )
            return bool(got["value"] == pytest.approx(want, abs=1e-3))

        for value, want in ((0, -20.0), (127, 0.0)):
            if value:  # the second CC goes to a new engine
                await asyncio.to_thread(stack.restart, "engine")
            with MidiSender(stack.jack.name, name=f"midirestart{next(_names)}") as midi:
                async with asyncio.timeout(WAIT):
                    while not (await b.call("state"))["engine_connected"]:
                        await asyncio.sleep(0.1)
                midi.connect_to_engine()
                await _until(
                    lambda want=want: gain_is(want), lambda v=value: midi.send(bytes((0xB3, 9, v)))
                )


async def test_jack_midi_notes_toggle_a_bypass_and_can_be_learned(stack: Stack) -> None:
    """Footswitches that send notes: a note bound to a bypass (toggle) switches the amp off and
    on again, read back and heard; a note can be learned like a CC."""
    async with (
        RpcClient(stack.bridge_rpc, timeout=30.0) as b,
        httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as api,
    ):
        await api.put("/api/midi/program-change", json={"channel": 0, "target": "off"})
        r = await api.post("/api/pedalboards", json={"name": f"midi notes {time.time_ns()}"})
        assert r.status_code == 200, r.text
        iid = (await api.post("/api/pedalboard/plugins", json={"uri": AMP})).json()["instance_id"]
        await api.put(f"/api/pedalboard/plugins/{iid}/parameters/gain", json={"value": -20.0})
        for source, target in (
            ("system:capture_1", f"{iid}:input"),
            (f"{iid}:output", "system:playback_1"),
        ):
            r = await api.post(
                "/api/pedalboard/connections", json={"source": source, "target": target}
            )
            assert r.status_code == 200, r.text
        binding = {
            "target": "bypass",
            "kind": "note",
            "channel": 4,
            "number": 60,
            "instance_id": iid,
            "mode": "toggle",
        }
        r = await api.post("/api/midi/bindings", json=binding)
        assert r.status_code == 200, r.text  # the channel is monitored once this returns
        number = (await b.call("state"))["instances"][iid]["number"]

        async def enabled() -> bool:
            board = (await api.get("/api/pedalboard")).json()
            (plugin,) = [p for p in board["plugins"] if p["instance_id"] == iid]
            return bool(plugin["enabled"])

        with (
            MidiSender(stack.jack.name, name=f"notesrc{next(_names)}") as midi,
            AudioProbe(stack.jack.name, name=f"noteprobe{next(_names)}") as probe,
        ):
            midi.connect_to_engine()
            probe.feed(f"effect_{number}:input")
            probe.record(f"effect_{number}:output")
            (level,) = probe.measure_rms(settle=0.15)
            assert level == pytest.approx(probe.input_rms * 0.1, rel=0.1)  # -20 dB, on
            for want_enabled, gain in ((False, 1.0), (True, 0.1)):
                midi.send(bytes((0x94, 60, 100)))  # press: one toggle (sent once, not resent)
                midi.send(bytes((0x84, 60, 0)))  # release: nothing for a toggle

                async def switched(want: bool = want_enabled) -> bool:
                    return await enabled() is want

                await _until(switched, lambda: None)
                (level,) = probe.measure_rms(settle=0.15)
                assert level == pytest.approx(probe.input_rms * gain, rel=0.1)
            assert await enabled() is True  # two presses: two toggles, no more

            # pitch bend (an expression pedal sending bends) drives the gain, 14 bits
            bend = {**binding, "target": "parameter", "kind": "bend", "number": 0}
            bend.update(symbol="gain", minimum=-20.0, maximum=0.0)
            del bend["mode"]
            r = await api.post("/api/midi/bindings", json=bend)
            assert r.status_code == 200, r.text
            for lsb, msb, gain_db in ((0x7F, 0x7F, 0.0), (0, 0, -20.0)):

                async def bent(want: float = gain_db) -> bool:
                    return (await _gain(api, b, iid))[0] == pytest.approx(want, abs=1e-3)

                await _until(bent, lambda m=bytes((0xE4, lsb, msb)): midi.send(m))
                (level,) = probe.measure_rms(settle=0.15)
                assert level == pytest.approx(probe.input_rms * 10 ** (gain_db / 20), rel=0.1)

            # learn a note (all channels are monitored while learning)
            learn = {"target": "bypass", "channel": 0, "number": 0, "instance_id": iid}
            r = await api.post("/api/midi/learn", json={"binding": learn})
            assert r.status_code == 200, r.text

            async def learned() -> bool:
                board = (await api.get("/api/midi/bindings")).json()["board"]
                return any(
                    x["kind"] == "note" and x["channel"] == 9 and x["number"] == 36 for x in board
                )

            await _until(learned, lambda: midi.send(bytes((0x99, 36, 90))))
