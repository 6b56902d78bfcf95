"""Incremental stream decoders (pure; bytes in, the JSON text of each event out).

Gemini sends one `data: <json>` line per event, separated by CRLF blank lines, and ends the
stream by closing the connection. Gateways re-frame it: new-api writes `data: <json>\n\n`
(LF only), OpenAI-style relays end with `data: [DONE]`, proxies add `: keep-alive` comments, and
some fall back to Google's framing without `alt=sse`, one JSON array of the events. So:

* `SSEDecoder` follows the SSE rules (LF, CRLF or CR line endings, several `data:` lines joined
  by LF, comments and other fields ignored) and drops the `[DONE]` sentinel;
* `JSONArrayDecoder` yields each element of a top-level JSON array as soon as it is complete;
* `StreamDecoder` picks one of the two from the first byte of the body.

All share one interface: `feed(chunk) -> list[bytes]`, `flush() -> list[bytes]` at the end of
the body, `pending`. Frames may be split anywhere across network reads.
"""

from __future__ import annotations

import re

_LF = b"\n"
_CR = b"\r"
_DONE = b"[DONE]"


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
                    event = data[0] if len(data) == 1 else _LF.join(data)
                    if event != _DONE:  # OpenAI-style terminator, not an event
                        events.append(event)
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
        event = data[0] if len(data) == 1 else _LF.join(data)
        return [] if event == _DONE else [event]


_SPECIAL = re.compile(rb'[\[\]{}",\\]')
_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_WHITESPACE = b" \t\r\n"


class JSONArrayDecoder:
    """Feed it the bytes of a JSON array; it returns each element's JSON once complete.

    Only the structure is scanned (brackets, braces, strings and their escapes, commas); the
    elements themselves are parsed by the caller, as SSE payloads are.
    """

    __slots__ = ("_buf", "_closed", "_depth", "_in_string", "_skip", "_start")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._depth = 0  # 0: before the array, 1: between its elements, >1: inside one
        self._in_string = False
        self._skip = -1  # index of a byte escaped by a backslash
        self._start = -1  # index where the current element starts
        self._closed = False

    @property
    def pending(self) -> bool:
        """True when part of an element is buffered (a body cut mid-element)."""
        return bool(self._element().strip(_WHITESPACE)) if self._start >= 0 else False

    def _element(self) -> bytes:
        return bytes(self._buf[self._start :])

    def feed(self, chunk: bytes) -> list[bytes]:
        if self._closed:
            return []
        buf = self._buf
        scan_from = len(buf)
        buf += chunk
        events: list[bytes] = []
        for match in _SPECIAL.finditer(buf, scan_from):
            i = match.start()
            if i == self._skip:
                continue
            char = buf[i]
            if self._in_string:
                if char == 92:  # backslash: the next byte is escaped
                    self._skip = i + 1
                elif char == 34:
                    self._in_string = False
                continue
            if char == 34:
                self._in_string = True
            elif char in _OPEN:
                self._depth += 1
                if self._depth == 1:
                    self._start = i + 1
            elif self._depth == 1 and (char == 44 or char == 93):  # "," or the closing "]"
                element = bytes(buf[self._start : i]).strip(_WHITESPACE)
                if element:
                    events.append(element)
                self._start = i + 1
                if char == 93:
                    self._depth = 0
                    self._closed = True
                    self._start = -1
                    break
            elif char in _CLOSE:
                self._depth -= 1
        self._compact()
        return events

    def _compact(self) -> None:
        # Keep only the unfinished element; indices move with it.
        cut = self._start if self._start >= 0 else len(self._buf)
        if cut > 0:
            del self._buf[:cut]
            if self._start >= 0:
                self._start = 0
            self._skip -= cut

    def flush(self) -> list[bytes]:
        """The element left open when the body ended (the caller reports it as a cut)."""
        element = self._element().strip(_WHITESPACE) if self._start >= 0 else b""
        self._buf = bytearray()
        self._start = -1
        return [element] if element else []


class StreamDecoder:
    """Decodes a stream body in whichever framing it arrives: SSE or a JSON array of events.

    The first non-blank byte decides (`[`: an array, else SSE). A lone JSON object is not a
    stream: read as SSE it yields no event, so the caller reports a stream without its end.
    """

    __slots__ = ("_head", "_inner")

    def __init__(self) -> None:
        self._inner: SSEDecoder | JSONArrayDecoder | None = None
        self._head = b""

    @property
    def pending(self) -> bool:
        return self._inner.pending if self._inner is not None else bool(self._head.strip())

    def feed(self, chunk: bytes) -> list[bytes]:
        inner = self._inner
        if inner is None:
            head = self._head + chunk
            text = head.lstrip(_WHITESPACE + b"\xef\xbb\xbf")
            if not text:
                self._head = head
                return []
            self._head = b""
            inner = self._inner = JSONArrayDecoder() if text[:1] == b"[" else SSEDecoder()
            chunk = text
        return inner.feed(chunk)

    def flush(self) -> list[bytes]:
        return self._inner.flush() if self._inner is not None else []
