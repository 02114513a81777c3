"""MIDI applied by the session on the real stack: a bound CC moves a real plugin's gain (read back
from the engine and measured as audio) and program change picks setlist songs.

Neither engine has a JACK MIDI input yet (the native engine answers `monitor_midi_program` with
-902 and has no `midi_map`), so the messages enter at the session's MIDI input (`/api/midi/input`,
the path the bridge's `midi_control_change`/`midi_program_change` events take); a JACK MIDI
client → engine test waits for the engine's MIDI input port.
"""

from __future__ import annotations

import itertools
import time

import httpx
import pytest

from stompbox.zmqservice import RpcClient
from tests.support.audio import AudioProbe
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"
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
