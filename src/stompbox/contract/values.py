"""The one rule for control values, on the port's metadata: refuse what a client gets wrong,
shape what a file holds.

Decided semantics, used by the session, the bridge, the fake bridge and board loads alike:

- `check_value` is for values a client sends (a knob, the REST API, the bridge's RPC): a value
  that is not a finite number, lies outside [minimum, maximum], is not 0/1 (or min/max) on a
  toggle, not whole on an integer port, or not a scale point of an enumeration is refused with a
  ValidationError that says why. Nothing is clamped silently: what the client sees is what plays.
- `shape_value` is for values read back from storage (a saved board, a preset made with another
  version of the plugin): clamped into range, toggles and integers snapped, enumerations moved to
  the nearest scale point, so an old file still loads. Only a non-finite value is refused.

The engine clamps as mod-host does only because mod-host does; by then every value is in range.
"""

from __future__ import annotations

import math

from .errors import ValidationError
from .plugin import PortInfo


def _range(port: PortInfo) -> tuple[float | None, float | None]:
    lo, hi = port.minimum, port.maximum
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return lo, hi


def check_value(port: PortInfo, value: object, where: str = "") -> float:
    """`value` as a float for control input `port`, or ValidationError (see the module doc)."""
    where = where or port.symbol
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"value of {where} must be a number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValidationError(
            f"value of {where} must be a finite number, got {v}", {"symbol": port.symbol}
        )
    lo, hi = _range(port)
    if lo is not None and hi is not None:
        eps = 1e-9 * max(1.0, abs(hi - lo))
        if v < lo - eps or v > hi + eps:
            raise ValidationError(
                f"value {v:g} of {where} out of range [{lo:g}, {hi:g}]",
                {"symbol": port.symbol, "min": lo, "max": hi},
            )
        v = min(max(v, lo), hi)
    if port.toggled and v not in {0.0, 1.0, lo, hi}:
        raise ValidationError(f"{where} is a toggle: value must be 0 or 1, got {v:g}")
    if port.integer and v != round(v):
        raise ValidationError(f"{where} takes whole numbers, got {v:g}")
    if port.enumeration and port.scale_points and v not in {sp.value for sp in port.scale_points}:
        labels = ", ".join(f"{sp.value:g}={sp.label}" for sp in port.scale_points)
        raise ValidationError(f"{where} takes one of {labels}; got {v:g}")
    return v


def shape_value(port: PortInfo, value: float) -> float:
    """A stored `value` made valid for `port`: finite, clamped to [min, max], toggles as 0/1,
    integers rounded, enumerations snapped to the nearest scale point."""
    if not math.isfinite(value):
        raise ValidationError(
            f"value for {port.symbol!r} must be a finite number, got {value!r}",
            {"symbol": port.symbol},
        )
    v = float(value)
    lo, hi = _range(port)
    if port.toggled:
        mid = 0.5 if lo is None or hi is None else (lo + hi) / 2
        v = (hi if hi is not None else 1.0) if v >= mid else (lo if lo is not None else 0.0)
    elif port.enumeration and port.scale_points:
        v = min(port.scale_points, key=lambda sp: abs(sp.value - v)).value
    elif port.integer:
        v = float(math.floor(v + 0.5))
    if lo is not None and v < lo:
        v = lo
    if hi is not None and v > hi:
        v = hi
    return v
