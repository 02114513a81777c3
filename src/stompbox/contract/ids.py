"""The one rule for instance ids and JACK buffer sizes, checked alike by session and bridge."""

from __future__ import annotations

import re

from .errors import ValidationError

INSTANCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
RESERVED_INSTANCE_IDS = frozenset({"system"})  # `system:capture_1` names the sound card's ports

MIN_BUFFER, MAX_BUFFER = 16, 8192
BUFFER_SIZES = frozenset(2**n for n in range(4, 14))  # 16 … 8192 frames


def check_instance_id(instance_id: str) -> str:
    """Return `instance_id`, or raise ValidationError: 1-64 of letters, digits, `_` and `-`,
    starting with a letter or digit, and not a reserved name such as `system`."""
    if not INSTANCE_ID.fullmatch(instance_id) or instance_id in RESERVED_INSTANCE_IDS:
        raise ValidationError(
            f"invalid instance id {instance_id!r}: use 1-64 letters, digits, '_' or '-', "
            "starting with a letter or digit (and not 'system')",
            {"instance_id": instance_id},
        )
    return instance_id


def check_buffer_size(size: int) -> int:
    """Return `size`, or raise ValidationError: a JACK period is a power of two in 16..8192."""
    if size not in BUFFER_SIZES:
        raise ValidationError(
            f"buffer size must be a power of two from {MIN_BUFFER} to {MAX_BUFFER}, got {size}",
            {"size": size},
        )
    return size
