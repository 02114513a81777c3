"""A board file with surprises, on the real stack: an instance id named twice runs as two
plugins under two ids (never one the model does not know), and a connection the engine refuses
stays in the board and its file as pending."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from stompbox.zmqservice import RpcClient
from tests.support.calls import ready_plugin
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


async def test_a_repeated_id_and_a_refused_cable_in_a_board_file(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory("session")
    async with (
        RpcClient(stack.session_rpc, timeout=60.0) as session,
        RpcClient(stack.bridge_rpc, timeout=30.0) as bridge,
    ):
        await session.call("pedalboard.create", {"name": "Odd file"})
        iid = await ready_plugin(session)
        await session.call("connect", {"source": f"{iid}:output", "target": "system:playback_1"})
        await session.call("pedalboard.save")
        await session.call("pedalboard.create", {"name": "Elsewhere"})
        path = stack.data_dir / "pedalboards" / "odd-file.json"
        doc = json.loads(path.read_text())
        doc["plugins"].append(dict(doc["plugins"][0]))
        refused = {"source": f"{iid}:output", "target": "system:playback_99"}
        doc["connections"].append(refused)
        path.write_text(json.dumps(doc))

        loaded = await session.call("pedalboard.load", {"id": "odd-file"})
        board = loaded["pedalboard"]
        ids = [p["instance_id"] for p in board["plugins"]]
        assert ids == [iid, f"{iid}_2"]
        engine = await bridge.call("state")
        assert set(engine["instances"]) == set(ids)  # no plugin the model does not know
        assert board["pending_connections"] == [refused]
        pairs = {(p["source"], p["target"]) for p in await bridge.call("list_connections")}
        assert (f"{iid}:output", "system:playback_1") in pairs

        await session.call("pedalboard.save")
        saved = json.loads(path.read_text())
        assert refused in saved["pending_connections"]
        assert [p["instance_id"] for p in saved["plugins"]] == ids
