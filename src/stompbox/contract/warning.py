"""A warning the session reports: in its state, its statistics and its `session_warning` event."""

from __future__ import annotations

import msgspec


class SessionWarningData(msgspec.Struct, frozen=True):
    """`session_warning`: something the user should know (autosave failing, a board set aside,
    drift repaired, what a load had to leave pending)."""

    kind: str
    message: str
