"""The seed's Session Control Service: audio status and settings, engine status, state dump."""

from __future__ import annotations

import copy
import time
from typing import Any

import msgspec

from stompbox.contract import bridge_api as B
from stompbox.contract.bridge import (
    AudioStatus,
    BufferSize,
    CpuLoadData,
    DspLoadData,
    Empty,
    JackPortType,
    ListPorts,
    PortDirection,
    PortEntry,
    Processing,
)
from stompbox.contract.errors import ValidationError
from stompbox.contract.events import EventName
from stompbox.contract.ids import check_buffer_size
from stompbox.contract.session import AudioStatusData, EngineStatus, SessionState as StateDump

from .state import SessionState
from .storage import Storage

AUDIO_STATUS_INTERVAL = 0.25
"""Minimum seconds between two `audio_status` events (at most 4 per second)."""


class SessionControl:
    """Reads and changes the audio system through the bridge; reports engine and session state."""

    def __init__(self, state: SessionState, storage: Storage, device: str = "") -> None:
        self.state = state
        self.storage = storage
        self.audio: dict[str, Any] = {"device": device} if device else {}
        self.replays = 0
        self.reason = ""
        self._last_audio_event = float("-inf")

    async def audio_status(self) -> AudioStatus:
        result = await self.state.bridge.call(B.AUDIO_STATUS, Empty())
        self.audio.update(msgspec.structs.asdict(result))
        return result

    async def set_buffer_size(self, size: int) -> AudioStatus:
        check_buffer_size(size)
        result = await self.state.bridge.call(B.AUDIO_SET_BUFFER_SIZE, BufferSize(size))
        self.audio["buffer_size"] = size
        return result

    async def list_ports(self, type_: str | None, direction: str | None) -> list[PortEntry]:
        if type_ not in (None, "audio", "midi"):
            raise ValidationError(f"type must be 'audio' or 'midi', got {type_!r}")
        if direction not in (None, "input", "output"):
            raise ValidationError(f"direction must be 'input' or 'output', got {direction!r}")
        query = ListPorts(
            None if type_ is None else JackPortType(type_),
            None if direction is None else PortDirection(direction),
        )
        return await self.state.bridge.list_ports(query)

    @property
    def processing(self) -> bool:
        return bool(self.audio.get("processing", True))

    async def set_processing(self, enabled: bool) -> EngineStatus:
        """Turn global processing on/off in the engine (via the bridge); publish engine_status.

        The caller holds the session lock. Engine reconnects turn it back on (the bridge does);
        `audio_status` then reads it back.
        """
        await self.state.bridge.call(B.AUDIO_PROCESSING, Processing(enabled))
        self.audio["processing"] = enabled
        self.publish_engine_status()
        return self.engine_status()

    def engine_status(self) -> EngineStatus:
        st = self.state
        return EngineStatus(
            connected=st.engine_connected,
            bridge_connected=st.bridge_connected,
            instances=len(st.engine.instances),
            replays=self.replays,
            reason=self.reason,
            processing=self.processing,
        )

    def publish_engine_status(self) -> None:
        self.state.publish(EventName.ENGINE_STATUS, self.engine_status())

    def on_cpu_load(self, load: CpuLoadData, now: float | None = None) -> bool:
        """Record the bridge's cpu_load; publish `audio_status` at most every 0.25 s."""
        status = AudioStatusData(load.avg, load.max, load.xruns)
        self.audio.update(dsp_load=status.avg, dsp_load_max=status.max, xruns=status.xruns)
        now = time.monotonic() if now is None else now
        if now - self._last_audio_event < AUDIO_STATUS_INTERVAL:
            return False
        self._last_audio_event = now
        self.state.publish_event(status)
        return True

    def on_dsp_load(self, load: DspLoadData) -> bool:
        """Pass one plugin's DSP time on as `dsp_load` when it runs on the current board."""
        if self.state.find(load.instance_id) is None:
            return False
        self.state.publish_event(load)
        return True

    def dump(self) -> StateDump:
        """The model and the seq of the last event it contains (sync: no event can slip between)."""
        st = self.state
        return StateDump(
            pedalboard=copy.deepcopy(st.board),
            seq=st.events.seq,
            engine_connected=st.engine_connected,
            audio=dict(self.audio),
            saved=self.storage.ids(),
            modified=st.modified,
            crashed=sorted(i for i in st.crashed if st.find(i) is not None),
            warnings=list(st.warnings),
        )
