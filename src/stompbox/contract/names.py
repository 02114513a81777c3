"""The one rule for names users give things (pedalboards, presets): shown as labels, never paths."""

from __future__ import annotations

import unicodedata

from .errors import ValidationError

MAX_NAME = 100

# Device names that Windows (and Samba shares of a data dir) refuse as file names.
RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)


def check_name(name: str, what: str = "name") -> str:
    """Return `name` stripped, or raise ValidationError.

    Refused: empty, longer than MAX_NAME, control or format characters (NUL included), a path
    separator (`/`, `\\`), a leading `.` (`.`, `..`, hidden files) and reserved device names.
    Names are labels and never reach the file system, but a name that looks like a path is
    refused anyway so that no client can believe it wrote outside the data directory.
    """
    stripped = name.strip()
    if not stripped:
        raise ValidationError(f"{what} must not be empty")
    if len(stripped) > MAX_NAME:
        raise ValidationError(f"{what} longer than {MAX_NAME} characters")
    for ch in stripped:
        if ch == "\0" or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            raise ValidationError(f"{what} contains a control character {ch!r}")
    if "/" in stripped or "\\" in stripped:
        raise ValidationError(f"{what} must not contain '/' or '\\'", {"name": stripped})
    if stripped.startswith("."):
        raise ValidationError(f"{what} must not start with '.'", {"name": stripped})
    if stripped.split(".")[0].strip().casefold() in RESERVED:
        raise ValidationError(f"{what} {stripped!r} is a reserved device name")
    return stripped
