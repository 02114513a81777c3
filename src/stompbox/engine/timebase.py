"""The host transport of the native engine: tempo, beats per bar and rolling (mod-host's
`set_bpm`, `set_bpb`, `transport`), kept by the C core and given to plugins as time:Position."""

from __future__ import annotations

from stompbox.modhost.errors import ErrorCode
from stompbox.modhost.feedback import TransportFb

from .feedback import FeedbackQueue
from .native import Event, NativeEngine

MIN_BPM, MAX_BPM = 20.0, 300.0
MIN_BPB, MAX_BPB = 1.0, 16.0


class Timebase:
    """A mixin of `NativeCore`: the C core is JACK's timebase master with this tempo."""

    native: NativeEngine
    feedback: FeedbackQueue

    def set_bpm(self, bpm: float) -> int:
        if not MIN_BPM <= bpm <= MAX_BPM:
            return ErrorCode.JACK_VALUE_OUT_OF_RANGE
        self.native.set_tempo(bpm, self.native.tempo[1])
        return 0

    def set_bpb(self, bpb: float) -> int:
        if not MIN_BPB <= bpb <= MAX_BPB:
            return ErrorCode.JACK_VALUE_OUT_OF_RANGE
        self.native.set_tempo(self.native.tempo[0], bpb)
        return 0

    def transport(self, rolling: bool, bpb: float, bpm: float) -> int:
        """Like mod-host: always 0; a tempo out of range keeps the old one."""
        old_bpm, old_bpb = self.native.tempo
        bpm = bpm if MIN_BPM <= bpm <= MAX_BPM else old_bpm
        bpb = bpb if MIN_BPB <= bpb <= MAX_BPB else old_bpb
        self.native.transport(rolling, bpb, bpm)
        return 0

    def transport_event(self, ev: Event) -> None:
        """The process thread saw the transport change (or was asked to report it)."""
        self.feedback.put(TransportFb(ev.a != 0, float(ev.lo), float(ev.value)))
