"""Incremental Server-Sent Events decoder (pure; bytes in, event data out).

Gemini sends one `data: <json>` line per event, separated by CRLF blank lines, and ends the
stream by closing the connection. The decoder follows the SSE rules anyway (LF, CRLF or CR line
endings, several `data:` lines joined by LF, comment lines, other fields ignored) because
gateways re-frame streams, and frames may be split anywhere across network reads.
"""

from __future__ import annotations

_LF = b"\n"
_CR = b"\r"


class SSEDecoder:
    """Feed it raw bytes as they arrive; it returns the `data` payload of each complete event."""

    __slots__ = ("_buf", "_data")

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[bytes] = []

    @property
    def pending(self) -> bool:
        """True when bytes of an unfinished event are buffered (a stream cut mid-event)."""
        return bool(self._data) or bool(self._buf.strip())

    def feed(self, chunk: bytes) -> list[bytes]:
        buf = self._buf + chunk if self._buf else chunk
        if _CR in buf:
            # A CR at the very end may be the first half of a CRLF split across reads.
            held = b""
            if buf.endswith(_CR):
                buf, held = buf[:-1], _CR
            buf = buf.replace(b"\r\n", _LF).replace(_CR, _LF) + held
        lines = buf.split(_LF)
        self._buf = lines.pop()
        events: list[bytes] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    events.append(data[0] if len(data) == 1 else _LF.join(data))
                    data = self._data = []
                continue
            if line[0] == 58:  # ":" starts a comment
                continue
            field, _, value = line.partition(b":")
            if field == b"data":
                data.append(value[1:] if value[:1] == b" " else value)
        return events

    def flush(self) -> list[bytes]:
        """The event left open when the stream ended (its last line had no blank line after).

        The SSE spec drops such an event; the caller decides: a gateway that omits the final
        blank line still sends complete JSON, a stream cut mid-event does not.
        """
        buf, self._buf = self._buf.rstrip(b"\r"), b""
        if buf and not buf.startswith(b":"):
            field, _, value = buf.partition(b":")
            if field == b"data":
                self._data.append(value[1:] if value[:1] == b" " else value)
        data, self._data = self._data, []
        if not data:
            return []
        return [data[0] if len(data) == 1 else _LF.join(data)]
