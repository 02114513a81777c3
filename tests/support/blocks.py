"""BlockProbe: an AudioProbe that also keeps, per input, the quietest JACK period it recorded.

A dropout (a gap, a click to silence) shows as one period whose RMS falls far below the signal's:
`reset_blocks()`, do the change, then read `min_block_rms()`.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

from .audio import AudioProbe


class BlockProbe(AudioProbe):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._block_lock = threading.Lock()
        self._mins: list[float] = []
        self._blocks = 0
        self._block_reset = False
        super().__init__(*args, **kwargs)

    def _process(self, frames: int) -> None:
        super()._process(frames)
        with self._block_lock:
            if self._block_reset or len(self._mins) != len(self.inputs):
                self._mins = [math.inf] * len(self.inputs)
                self._blocks = 0
                self._block_reset = False
            for i, port in enumerate(self.inputs):
                data = port.get_array()
                rms = float(np.sqrt(np.dot(data, data) / max(frames, 1)))
                if rms < self._mins[i]:
                    self._mins[i] = rms
            self._blocks += 1

    def reset_blocks(self) -> None:
        with self._block_lock:
            self._block_reset = True

    def min_block_rms(self) -> tuple[list[float], int]:
        """(quietest period's RMS per input, periods seen) since `reset_blocks()`."""
        with self._block_lock:
            return list(self._mins), self._blocks
