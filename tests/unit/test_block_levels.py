"""Per-block meters without processes: the bridge's stack of engine meter slots follows the
board (pops only from the top), peaks fold per block; the session adds hold and clip."""

from __future__ import annotations

from typing import Any

import msgspec

from stompbox.bridge.instances import InstanceTable
from stompbox.bridge.levels import BlockMeters, to_db
from stompbox.contract.live import BlockLevel, BlockLevels, LevelsEnable
from stompbox.contract.model import Pedalboard, PluginInstance
from stompbox.contract.plugin import Direction, PluginInfo, PortInfo, PortType
from stompbox.modhost import commands as mh
from stompbox.modhost.feedback import AudioMonitorFb
from stompbox.session.block_meters import HOLD, BlockMeterService


class FakeEngine:
    connected = True

    def __init__(self) -> None:
        self.stack: list[str] = []

    async def request(self, cmd: mh.Command) -> None:
        assert isinstance(cmd, mh.MonitorAudioLevels)
        if cmd.enable:
            self.stack.append(cmd.port)
        else:
            assert self.stack[-1] == cmd.port  # mod-host: off only for the newest
            self.stack.pop()


def gain(name: str) -> PluginInfo:
    audio, inp, out = PortType.AUDIO, Direction.INPUT, Direction.OUTPUT
    ports = [
        PortInfo(index=0, symbol="in", name="in", type=audio, direction=inp),
        PortInfo(index=1, symbol="out", name="out", type=audio, direction=out),
        PortInfo(index=2, symbol="g", name="g", type=PortType.CONTROL, direction=inp),
    ]
    return PluginInfo(uri=f"urn:{name}", name=name, ports=ports)


def add(table: InstanceTable, iid: str) -> None:
    table.reserve(iid)
    table.commit(iid, gain(iid))


async def test_slots_follow_the_board_and_pop_only_from_the_top() -> None:
    engine, table, sent = FakeEngine(), InstanceTable(), []
    meters = BlockMeters(engine, table, sent.append)  # type: ignore[arg-type]
    add(table, "a")
    add(table, "b")
    await meters.enable(LevelsEnable(True))
    await meters._reconcile()
    assert engine.stack == ["effect_0:in", "effect_0:out", "effect_1:in", "effect_1:out"]
    table.release("a")  # the bottom block goes: everything above it is pushed again
    await meters._reconcile()
    assert engine.stack == ["effect_1:in", "effect_1:out"]
    assert [s[1] for s in meters.slots] == ["b", "b"]
    meters.on_feedback(AudioMonitorFb(0, 0.5))
    meters.on_feedback(AudioMonitorFb(1, 0.25))
    meters.on_feedback(AudioMonitorFb(1, 1.0))  # the window's maximum counts
    meters.on_feedback(AudioMonitorFb(7, 1.0))  # no such slot: ignored
    meters._report()
    assert isinstance(sent[-1], BlockLevels)
    (block,) = sent[-1].blocks
    assert (block.instance_id, block.input_db, block.output_db) == ("b", to_db(0.5), 0.0)
    meters._report()  # silent once after a loud window: reported (the bars fall) …
    meters._report()  # … then no more events while silent
    assert len(sent) == 2
    await meters.enable(LevelsEnable(False))
    await meters._reconcile()
    assert engine.stack == []


class Events:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def publish(self, event: str, data: Any = None) -> None:
        self.sent.append((event, data))

    def seq(self) -> int:
        return len(self.sent)


def test_session_holds_peaks_and_flags_clip_for_board_blocks_only() -> None:
    from stompbox.session.state import SessionState

    st = SessionState(None, Events())  # type: ignore[arg-type]
    amp = PluginInstance(instance_id="amp", uri="u", name="amp")
    st.board = Pedalboard(id="x", name="x", plugins=[amp])
    svc = BlockMeterService(st)
    svc.active = True
    data = {
        "blocks": [
            {"instance_id": "amp", "input_db": -12.0, "output_db": 3.0},
            {"instance_id": "stompbox-meter", "input_db": 0.0, "output_db": 0.0},
        ]
    }
    r = svc.on_levels(msgspec.convert(data, BlockLevels), now=10.0)
    assert r is not None
    (m,) = r.blocks
    assert (m.input_db, m.output_db, m.input_clip, m.output_clip) == (-12.0, 3.0, False, True)
    low = BlockLevels([BlockLevel("amp", -30.0, -20.0)])
    m = svc.on_levels(low, now=10.0 + HOLD / 2).blocks[0]  # type: ignore[union-attr]
    assert (m.output_db, m.output_hold_db, m.output_clip) == (-20.0, 3.0, True)
    m = svc.on_levels(low, now=10.0 + 2 * HOLD).blocks[0]  # type: ignore[union-attr]
    assert (m.output_hold_db, m.output_clip) == (-20.0, False)
    svc.active = False
    assert svc.on_levels(low) is None
