"""The media library over REST on the real stack, and a file parameter of a real IR loader.

The jalv engine has no `patch_set` (it answers -902): the choice is stored with the board and the
reply says it was not applied, in words. An engine with file parameters applies it.
"""

from __future__ import annotations

import struct
import time

import httpx
import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.integration

IR_LOADER = "http://gareus.org/oss/lv2/zeroconvolv#CfgMono"
IR_PROPERTY = "http://gareus.org/oss/lv2/zeroconvolv#ir"


def wav(frames: int = 256, rate: int = 48000) -> bytes:
    samples = struct.pack(f"<{frames}h", 32767, *([0] * (frames - 1)))  # a unit impulse
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
            ("big.wav", b"\0" * (2 * 1024 * 1024 + 1), (422,)),
        ):
            r = await api.put(f"/api/media/{bad_name}", content=data)
            assert r.status_code in codes, (bad_name, r.status_code, r.text)
        assert not (stack.data_dir / "escape.wav").exists()
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
        if not result["applied"]:  # the jalv engine: stored, not applied, and it says why
            assert "not supported by this engine" in result["reason"]
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
