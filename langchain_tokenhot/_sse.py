"""Incremental Server-Sent Events decoder (pure; bytes in, event data out).

Gemini sends one `data: <json>` line per event, separated by CRLF blank lines, and ends the
stream by closing the connection. The decoder follows the SSE rules anyway (LF, CRLF or CR line
endings, several `data:` lines joined by LF, comment lines, other fields ignored) because
gateways re-frame streams, and frames may be split anywhere across network reads.
"""

from __future__ import annotations

_LF = b"\n"
_CR = b"\r"
_DATA = b"data: "


class SSEDecoder:
    """Feed it raw bytes as they arrive; it returns the `data` payload of each complete event."""

    __slots__ = ("_buf", "_cr_ended", "_data")

    def __init__(self) -> None:
        self._buf = b""
        self._cr_ended = False
        self._data: list[bytes] = []

    @property
    def pending(self) -> bool:
        """True when bytes of an unfinished event are buffered (a stream cut mid-event)."""
        return bool(self._data) or bool(self._buf.strip())

    def feed(self, chunk: bytes) -> list[bytes]:
        if self._cr_ended and chunk:
            # The last read ended with a CR: an LF now is the second half of that CRLF.
            self._cr_ended = False
            if chunk[0] == 10:
                chunk = chunk[1:]
        buf = self._buf + chunk if self._buf else chunk
        # splitlines() breaks bytes at LF, CRLF and CR (exactly SSE's line endings) in one pass,
        # without normalizing copies of the buffer; only the last line needs a look.
        lines = buf.splitlines()
        last = buf[-1:]
        if last == _LF:
            self._buf = b""
        elif last == _CR:
            self._buf = b""
            self._cr_ended = True
        else:
            self._buf = lines.pop() if lines else b""
        events: list[bytes] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    events.append(data[0] if len(data) == 1 else _LF.join(data))
                    data = self._data = []
            elif line.startswith(_DATA):
                data.append(line[6:])  # the usual `data: ` line, without partition()
            elif line[0] != 58:  # ":" starts a comment
                field, _, value = line.partition(b":")
                if field == b"data":
                    data.append(value[1:] if value[:1] == b" " else value)
        return events

    def flush(self) -> list[bytes]:
        """The event left open when the stream ended (its last line had no blank line after).

        The SSE spec drops such an event; the caller decides: a gateway that omits the final
        blank line still sends complete JSON, a stream cut mid-event does not.
        """
        buf, self._buf, self._cr_ended = self._buf.rstrip(b"\r"), b"", False
        if buf and not buf.startswith(b":"):
            field, _, value = buf.partition(b":")
            if field == b"data":
                self._data.append(value[1:] if value[:1] == b" " else value)
        data, self._data = self._data, []
        if not data:
            return []
        return [data[0] if len(data) == 1 else _LF.join(data)]
