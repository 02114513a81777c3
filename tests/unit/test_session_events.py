"""The session's board events are one tagged union: what it publishes decodes back by type."""

from __future__ import annotations

from pathlib import Path

from stompbox.contract.events import EventName, event_name
from stompbox.contract.session import (
    ConnectionCreatedData,
    ConnectionRemovedData,
    InstanceData,
    ParameterChangedData,
    PluginBypassedData,
    PluginLoadedData,
    PluginMovedData,
)
from stompbox.contract.session_events import SESSION_EVENTS, SessionEvent
from stompbox.session.fake_bridge import AMP

from .test_session_support import make_session

NOT_IN_THE_UNION_YET = {EventName.ENGINE_STATUS.value, EventName.BOARD_PENDING.value}
"""Published by name with a Struct that is also an RPC result (see session_events.py)."""


def test_every_member_is_tagged_with_its_event_name() -> None:
    names = {e.value for e in EventName}
    assert set(SESSION_EVENTS.types) <= names
    for name, cls in SESSION_EVENTS.types.items():
        assert cls.__struct_config__.tag == name


async def test_what_the_session_publishes_decodes_by_type(tmp_path: Path) -> None:
    m, _, events = await make_session(tmp_path)
    iid = (await m.load_plugin(AMP)).instance_id
    await m.set_parameter(iid, "gain", -3.0)
    await m.connect(f"{iid}:out", "system:playback_1")
    await m.bypass_plugin(iid, True)
    await m.move_plugin(iid, 10.0, 20.0)
    await m.unload_plugin(iid)
    decoded: list[SessionEvent] = []
    for _, name, data in events.events:
        if name in NOT_IN_THE_UNION_YET:
            continue
        event = SESSION_EVENTS.decode(name, data)
        assert event is not None, f"{name} is not in the SessionEvent union"
        assert event_name(event) == name
        decoded.append(event)
    seen = []
    for event in decoded:
        match event:
            case PluginLoadedData(instance_id=i) | InstanceData(instance_id=i):
                seen.append((event_name(event), i))
            case ParameterChangedData(symbol="gain", value=v):
                seen.append(("gain", v))
            case ConnectionCreatedData(target=t) | ConnectionRemovedData(target=t):
                seen.append((event_name(event), t))
            case PluginBypassedData(bypassed=b):
                seen.append(("bypassed", b))
            case PluginMovedData(x=x, y=y):
                seen.append(("moved", (x, y)))
    assert seen == [
        ("plugin_loaded", iid),
        ("gain", -3.0),
        ("connection_created", "system:playback_1"),
        ("bypassed", True),
        ("moved", (10.0, 20.0)),
        ("connection_removed", "system:playback_1"),
        ("plugin_unloaded", iid),
    ]
