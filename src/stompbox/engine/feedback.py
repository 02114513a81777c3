"""Feedback queue with mod-host's batching: coalesce per (instance, symbol), `data_finish`, re-arm.

Events accumulate while the stream is not armed; a batch sends the newest `output_set`/`param_set`
per (instance, symbol), the newest `patch_set` per (instance, property), the newest `cpu_load` and
`dsp_load` per instance, the newest `transport`, then the log messages in order, then
`data_finish`, and disarms until `output_data_ready`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Hashable

from stompbox.modhost.feedback import (
    AudioMonitorFb,
    CpuLoadFb,
    DataFinishFb,
    DspLoadFb,
    Feedback,
    OutputSetFb,
    ParamSetFb,
    PatchSetFb,
    TransportFb,
    encode_feedback,
)

log = logging.getLogger(__name__)

MAX_PENDING = 8192  # mod-host's event pool size


def _key(fb: Feedback) -> Hashable | None:
    if isinstance(fb, OutputSetFb):
        return ("output_set", fb.instance, fb.symbol)
    if isinstance(fb, ParamSetFb):
        return ("param_set", fb.instance, fb.symbol)
    if isinstance(fb, AudioMonitorFb):
        return ("audio_monitor", fb.index)
    if isinstance(fb, PatchSetFb):
        return ("patch_set", fb.instance, fb.property)
    if isinstance(fb, CpuLoadFb):
        return ("cpu_load",)
    if isinstance(fb, DspLoadFb):
        return ("dsp_load", fb.instance)
    if isinstance(fb, TransportFb):
        return ("transport",)
    return None


def _instance(fb: Feedback) -> int | None:
    value = getattr(fb, "instance", None)
    return value if isinstance(value, int) else None


class FeedbackQueue:
    """Bounded, coalescing queue plus the process-global `ready` flag (starts armed)."""

    def __init__(self, max_pending: int = MAX_PENDING) -> None:
        self._coalesced: OrderedDict[Hashable, Feedback] = OrderedDict()
        self._ordered: deque[Feedback] = deque(maxlen=max_pending)
        self._max = max_pending
        self.ready = True
        self.wake = asyncio.Event()
        self.sent_batches = 0
        self.dropped = 0

    def put(self, fb: Feedback) -> None:
        key = _key(fb)
        if key is None:
            if len(self._ordered) == self._max:
                self.dropped += 1
            self._ordered.append(fb)
        else:
            self._coalesced.pop(key, None)
            self._coalesced[key] = fb
            if len(self._coalesced) > self._max:
                self._coalesced.popitem(last=False)
                self.dropped += 1
        self.wake.set()

    def rearm(self) -> None:
        self.ready = True
        self.wake.set()

    def drop_instance(self, instance: int, symbol: str | None = None) -> None:
        """Discard pending events of one instance (optionally of one symbol)."""
        for key, fb in list(self._coalesced.items()):
            if _instance(fb) == instance and (
                symbol is None or getattr(fb, "symbol", None) == symbol
            ):
                del self._coalesced[key]

    def pending(self) -> int:
        return len(self._coalesced) + len(self._ordered)

    def take_batch(self) -> bytes | None:
        """The wire bytes of one batch ending in `data_finish` (and disarm), or None if empty."""
        if not self.pending():
            return None
        items = list(self._coalesced.values()) + list(self._ordered)
        self._coalesced.clear()
        self._ordered.clear()
        self.ready = False
        self.sent_batches += 1
        return b"".join(encode_feedback(fb) for fb in items) + encode_feedback(DataFinishFb())


class FeedbackPump:
    """Writes batches to the current feedback connection whenever armed and something is queued."""

    def __init__(self, queue: FeedbackQueue) -> None:
        self.queue = queue
        self._writer: asyncio.StreamWriter | None = None

    def attach(self, writer: asyncio.StreamWriter) -> None:
        old, self._writer = self._writer, writer
        if old is not None and old is not writer:
            old.close()
        self.queue.wake.set()

    def detach(self, writer: asyncio.StreamWriter) -> None:
        if self._writer is writer:
            self._writer = None

    @property
    def connected(self) -> bool:
        return self._writer is not None

    async def run(self) -> None:
        q = self.queue
        while True:
            await q.wake.wait()
            q.wake.clear()
            writer = self._writer
            if writer is None or not q.ready or writer.is_closing():
                continue
            data = q.take_batch()
            if data is None:
                continue
            writer.write(data)
            try:
                async with asyncio.timeout(5.0):
                    await writer.drain()
            except (TimeoutError, ConnectionError) as exc:
                log.info("feedback connection lost: %r", exc)
                self.detach(writer)
                writer.close()
