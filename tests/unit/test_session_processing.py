"""engine.processing on the session with the fake bridge: bridge call, engine_status, state."""

from __future__ import annotations

from pathlib import Path

from stompbox.contract import bridge_api as B
from stompbox.contract.params import Processing

from .test_session_support import make_session


async def test_processing_reaches_the_bridge_and_is_reported(tmp_path: Path) -> None:
    m, bridge, events = await make_session(tmp_path)
    assert m.control.engine_status().processing is True

    status = await m.set_processing(False)
    assert status.processing is False
    assert (B.AUDIO_PROCESSING, Processing(False)) in bridge.calls
    assert events.of("engine_status")[-1]["processing"] is False
    assert m.control.dump().audio["processing"] is False

    status = await m.set_processing(True)
    assert status.processing is True
    assert events.of("engine_status")[-1]["processing"] is True
    assert m.control.dump().audio["processing"] is True
