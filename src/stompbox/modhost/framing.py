"""Split a byte stream into NUL-terminated mod-host messages, whatever the chunking."""

from __future__ import annotations

from .errors import ProtocolError

MAX_MESSAGE = 1024 * 1024
"""Largest message (without its NUL) the framer accepts before raising ProtocolError."""


class NulFramer:
    """Sans-IO framer: `feed()` bytes as they arrive, get back every complete message.

    Messages are returned without their NUL terminator. A message longer than `max_message`
    bytes raises `ProtocolError`; the framer then resets (drops everything buffered and any
    message of the same chunk), so the caller may continue or close the connection.
    """

    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self._buf = bytearray()
        self._max = max_message

    def feed(self, data: bytes) -> list[bytes]:
        """Add `data` to the stream; return the messages it completed, in order."""
        start_scan = len(self._buf)
        self._buf += data
        messages: list[bytes] = []
        begin = 0
        nul = self._buf.find(b"\0", start_scan)
        while nul >= 0:
            if nul - begin > self._max:
                self._reset_and_raise(nul - begin)
            messages.append(bytes(self._buf[begin:nul]))
            begin = nul + 1
            nul = self._buf.find(b"\0", begin)
        if begin:
            del self._buf[:begin]
        if len(self._buf) > self._max:
            self._reset_and_raise(len(self._buf))
        return messages

    def pending(self) -> bytes:
        """The unterminated tail buffered so far."""
        return bytes(self._buf)

    def take_pending(self) -> bytes:
        """Return the unterminated tail and clear it (e.g. a lone command without NUL at EOF)."""
        tail = bytes(self._buf)
        self._buf.clear()
        return tail

    def _reset_and_raise(self, size: int) -> None:
        self._buf.clear()
        raise ProtocolError(f"message of {size} bytes exceeds the {self._max}-byte limit")
