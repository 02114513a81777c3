"""The media library over REST on the real stack, and a file parameter of a real IR loader.

The native engine applies a file choice (`patch_set`): an uploaded IR changes what an IR loader
outputs (measured), and the board carries the choice through save/load. The jalv isolation engine
has no `patch_set` (it answers -902): the choice is stored with the board and the reply says it
was not applied, in words.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import struct
import time

import httpx
import pytest

from stompbox.zmqservice import RpcClient
from tests.support.audio import AudioProbe
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

IR_LOADER = "http://gareus.org/oss/lv2/zeroconvolv#CfgMono"
IR_PROPERTY = "http://gareus.org/oss/lv2/zeroconvolv#ir"
CONVO = "http://gareus.org/oss/lv2/convoLV2#Mono"
IMPULSE = "http://gareus.org/oss/lv2/convoLV2#impulse"
_names = itertools.count()


def wav(frames: int = 256, rate: int = 48000, peak: int = 32767) -> bytes:
    samples = struct.pack(f"<{frames}h", peak, *([0] * (frames - 1)))  # a scaled impulse
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    body += b"data" + struct.pack("<I", len(samples)) + samples
    return b"RIFF" + struct.pack("<I", len(body)) + body


async def test_media_upload_pick_and_refuse_delete_in_use(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as api:
        name = f"room-{time.time_ns()}.wav"
        r = await api.put(f"/api/media/{name}", content=wav())
        assert r.status_code == 200, r.text
        assert r.json()["kind"] == "audio"
        assert (stack.data_dir / "media" / name).is_file()
        for bad_name, data, codes in (
            ("liar.wav", b"RIFF\0\0\0\0WAVEnope", (422,)),
            ("model.nam", b"not json", (422,)),
            ("..%2Fescape.wav", wav(), (404, 405, 422)),  # never reaches a file either way
            ("x.exe", b"MZ", (422,)),
            ("big.wav", b"\0" * (2 * 1024 * 1024 + 1), (413, 422)),  # web or library limit
        ):
            try:
                r = await api.put(f"/api/media/{bad_name}", content=data)
            except httpx.TransportError:
                # the web's body limit answers 413 as soon as it reads Content-Length and may
                # close the connection before the client has written the body: refused too
                assert bad_name == "big.wav"
                continue
            assert r.status_code in codes, (bad_name, r.status_code, r.text)
        assert not (stack.data_dir / "escape.wav").exists()
        assert not (stack.data_dir / "media" / "big.wav").exists()
        listing = {f["name"]: f for f in (await api.get("/api/media")).json()}
        assert name in listing
        assert "liar.wav" not in listing

        r = await api.post("/api/pedalboards", json={"name": f"ir board {time.time_ns()}"})
        assert r.status_code == 200, r.text
        r = await api.post("/api/pedalboard/plugins", json={"uri": IR_LOADER})
        assert r.status_code == 200, r.text
        iid = r.json()["instance_id"]
        files = (await api.get("/api/plugins/files", params={"uri": IR_LOADER})).json()
        assert files[0]["property"] == IR_PROPERTY
        assert ".wav" in files[0]["extensions"]
        r = await api.put(
            f"/api/pedalboard/plugins/{iid}/files", json={"property": IR_PROPERTY, "name": name}
        )
        assert r.status_code == 200, r.text
        result = r.json()
        if os.environ.get("STOMPBOX_ENGINE_ISOLATION") == "true":  # jalv: stored, not applied
            assert "not supported by this engine" in result["reason"]
        else:
            assert result == {"applied": True, "reason": ""}  # the native engine's patch_set
        board = (await api.get("/api/pedalboard")).json()
        assert board["files"] == {iid: {IR_PROPERTY: name}}
        saved = (await api.post("/api/pedalboard/save")).json()
        r = await api.delete(f"/api/media/{name}")
        assert r.status_code == 409
        assert iid in r.json()["message"]
        await api.post("/api/pedalboards", json={"name": f"other {time.time_ns()}"})
        loaded = (await api.post(f"/api/pedalboards/{saved['id']}/load")).json()
        assert loaded["pedalboard"]["files"] == {iid: {IR_PROPERTY: name}}
        assert (await api.delete(f"/api/media/{name}")).status_code == 409  # still in a board
        assert (await api.delete("/api/media/nothere.wav")).status_code == 404


async def level(probe: AudioProbe, want: float, rel: float, timeout: float = 20.0) -> float:
    """The output level relative to the input once it is near `want` (the IR loads in the
    plugin's worker thread), or the last level read when `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        got = (await asyncio.to_thread(probe.measure_rms, 0.4, 0.3))[0] / probe.input_rms
        if abs(got - want) <= rel * want or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.1)


async def test_an_uploaded_ir_changes_the_output_and_survives_save_load(stack: Stack) -> None:
    async with (
        httpx.AsyncClient(base_url=stack.web_url, timeout=30.0) as api,
        RpcClient(stack.bridge_rpc, timeout=30.0) as b,
    ):
        stamp = time.time_ns()
        loud, quiet = f"loud-{stamp}.wav", f"quiet-{stamp}.wav"
        for name, peak in ((loud, 16384), (quiet, 4096)):  # taps 0.5 and 0.125
            r = await api.put(f"/api/media/{name}", content=wav(frames=64, peak=peak))
            assert r.status_code == 200, r.text
        r = await api.post("/api/pedalboards", json={"name": f"convo board {stamp}"})
        assert r.status_code == 200, r.text
        r = await api.post("/api/pedalboard/plugins", json={"uri": CONVO})
        assert r.status_code == 200, r.text
        iid = r.json()["instance_id"]
        for source, target in (
            ("system:capture_1", f"{iid}:in"),
            (f"{iid}:out", "system:playback_1"),
        ):
            r = await api.post(
                "/api/pedalboard/connections", json={"source": source, "target": target}
            )
            assert r.status_code == 200, r.text
        files = f"/api/pedalboard/plugins/{iid}/files"
        with AudioProbe(stack.jack.name, name=f"irprobe{next(_names)}", amplitude=0.1) as probe:
            number = (await b.call("state"))["instances"][iid]["number"]
            probe.feed(f"effect_{number}:in")  # the engine's outside ports, by their aliases
            probe.record(f"effect_{number}:out")
            r = await api.put(files, json={"property": IMPULSE, "name": loud})
            assert r.status_code == 200, r.text
            assert r.json() == {"applied": True, "reason": ""}
            first = await level(probe, 0.5, 0.5)
            assert 0.2 < first < 0.8, first  # clearly heard, near the tap's level
            r = await api.put(files, json={"property": IMPULSE, "name": quiet})
            assert r.json()["applied"] is True, r.text
            second = await level(probe, first / 4, 0.15)
            assert second == pytest.approx(first / 4, rel=0.15)  # the new file is what plays
            saved = (await api.post("/api/pedalboard/save")).json()
            r = await api.post("/api/pedalboards", json={"name": f"elsewhere {stamp}"})
            assert r.status_code == 200, r.text
            r = await api.post(f"/api/pedalboards/{saved['id']}/load")
            assert r.status_code == 200, r.text
            assert r.json()["pedalboard"]["files"] == {iid: {IMPULSE: quiet}}
            # a fresh instance: the session sends the board's file choice again
            number = (await b.call("state"))["instances"][iid]["number"]
            probe.disconnect_all()
            probe.feed(f"effect_{number}:in")
            probe.record(f"effect_{number}:out")
            again = await level(probe, second, 0.15)
        assert again == pytest.approx(second, rel=0.15)
