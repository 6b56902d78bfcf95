"""A fake Gemini REST server for tests, fault injection and benchmarks.

It speaks just enough hand-written HTTP/1.1 over asyncio streams (keep-alive, ``Content-Length``
or chunked request bodies, ``Content-Length`` or chunked responses) that every byte it puts on
the wire is under the test's control. It listens only on ``127.0.0.1`` and runs its own event
loop in a background thread, so sync and async clients can both use it::

    with FakeGemini() as server:                       # or server.start() / server.stop()
        server.enqueue(rate_limited(retry_after=1), from_sample("text_basic"))
        httpx.post(f"{server.base_url}/v1beta/models/gemini-2.5-flash:generateContent", json=...)
        assert server.requests[0].json["contents"] == ...

As its own process (benchmarks): ``python -m tests.support.fake_gemini --port 0 --chunks 50
--latency-ms 0 --text-bytes 200`` prints ``READY http://127.0.0.1:PORT`` once listening and
serves the default responder until SIGTERM/SIGINT.

Scripting
---------
``server.enqueue(*items)`` queues items consumed one per request (FIFO). Each item is an
:class:`Action` or a responder ``Callable[[RecordedRequest], Action]`` (to answer from the
request). With the queue empty ``server.default`` answers (an Action or a responder; by default
a :class:`DefaultResponder`). ``server.latency_s`` is slept before every response.

Actions (factories return small frozen dataclasses; wire behaviour in brackets):

- ``json_response(body, status=200, headers=None)`` -- [status line, ``Content-Type:
  application/json; charset=UTF-8``, ``Content-Length``, body; dict/list bodies are encoded once,
  bytes are sent verbatim; the connection stays open for keep-alive].
- ``error(status, body=None, headers=None)`` -- same framing; ``body=None`` means a Google-shaped
  ``{"error": {"code", "message", "status"}}``. ``google_error(...)`` builds such bodies and
  ``rate_limited(retry_after=1, retry_delay="1s")`` is a 429 with a ``Retry-After`` header and a
  ``google.rpc.RetryInfo`` detail.
- ``sse(events, delay_s=0, status=200, headers=None, framing=b"\\r\\n\\r\\n", chunk_size=None)``
  -- [``Content-Type: text/event-stream``, ``Transfer-Encoding: chunked``, one HTTP chunk per
  event, then the terminating ``0\\r\\n\\r\\n`` chunk; the connection stays open]. dict/list
  events are sent as ``data: <json>`` + ``framing``; ``str`` events are a data payload framed the
  same way (``"{not json"``); ``bytes`` events are raw wire bytes sent as they are (write your own
  ``data:`` and ``\\n`` framing, or garbage). ``delay_s`` is slept between events;
  ``chunk_size=n`` splits every event into HTTP chunks of n bytes, each flushed on its own, so
  reads end mid-line, mid-CRLF and mid-UTF-8 character.
- ``cut_sse_mid_event(events, after=k, rst=False)`` -- [k whole events, then the first half of
  event k as a chunk, then FIN without the terminating chunk: httpx raises
  ``RemoteProtocolError``]. ``rst=True`` resets instead of FIN.
- ``cut_sse_between_events(events, after=k, terminate=False, rst=False)`` -- [k whole events,
  then FIN with no terminating chunk: ``RemoteProtocolError``]. ``terminate=True`` ends the
  chunked body cleanly instead, so only the missing ``finishReason`` betrays the cut.
- ``stall(after_headers=False, seconds=60.0, events=())`` -- [nothing, or a 200 SSE head (and
  ``events``) then sleep ``seconds`` and close: the client hits its read timeout]. Cancelled at
  once by ``stop()``.
- ``slow_headers(seconds, then=None)`` -- [sleep, then run ``then`` (an Action or responder;
  ``None`` = the default responder)].
- ``slow_body(seconds_per_chunk, body, chunk_size=16, status=200)`` -- [head with the full
  ``Content-Length``, then the body ``chunk_size`` bytes at a time with a sleep between pieces].
- ``reset()`` -- [read the request, set ``SO_LINGER`` 0 and close: the client gets a TCP RST,
  ``httpx.ReadError``].
- ``close_without_response()`` -- [read the request, FIN: ``RemoteProtocolError`` "Server
  disconnected without sending a response"].
- ``html_error(status=502, html=...)`` -- [an nginx-style ``text/html`` error page].
- ``empty_error(status=503)`` -- [status with ``Content-Length: 0``].
- ``truncated_json(status=200, body=None)`` -- [``Content-Length`` of the whole JSON body, half
  of it, then FIN: ``RemoteProtocolError``].
- ``malformed_json(status=200, body=...)`` -- [complete, well-framed body that is not JSON].
- ``wrong_shape_json(body={"candidates": "oops"}, status=200)`` -- [valid JSON, wrong shape].
- ``raw(data, close=True)`` -- [arbitrary bytes as the whole response: bad status lines,
  HTTP/1.0 close-delimited bodies, ...; then FIN unless ``close=False``].
- ``from_sample(name, status=None, delay_s=0.0)`` -- a recorded body from the samples dir:
  ``*.sse`` becomes ``sse(...)`` of its events, ``*.json`` becomes ``json_response`` (status from
  ``error.code`` for ``error_*`` files), read from ``tests/fixtures/gemini`` (each body has its
  provenance note beside it). ``load_sample_json(name)``,
  ``load_sample_events(name)`` and ``parse_sse(data)`` give the parsed contents.

A refused connection cannot be produced by a running server: ``unused_port()`` returns a
127.0.0.1 port with nothing listening on it.

Introspection: ``server.requests`` (list of :class:`RecordedRequest`), ``server.last_request``,
``server.pending`` (queued items left), ``server.open_connections``,
``server.total_connections`` (accepted since start or the last ``clear()``), ``server.errors``
(exceptions raised by actions/responders, each also answered with a 500), ``server.clear()``
(forgets requests, errors and queued items, zeroes ``total_connections``) and
``server.wait_until(predicate, timeout)`` (the server notices closed connections
asynchronously).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http
import logging
import re
import signal
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import parse_qsl, unquote

import orjson

__all__ = [
    "Action",
    "CloseWithoutResponse",
    "DefaultResponder",
    "Exchange",
    "FakeGemini",
    "Raw",
    "RecordedRequest",
    "Reset",
    "Respond",
    "Responder",
    "SlowBody",
    "SlowHeaders",
    "SseStream",
    "Stall",
    "TruncatedBody",
    "close_without_response",
    "cut_sse_between_events",
    "cut_sse_mid_event",
    "empty_error",
    "error",
    "from_sample",
    "google_error",
    "html_error",
    "json_response",
    "load_sample_events",
    "load_sample_json",
    "main",
    "malformed_json",
    "parse_sse",
    "rate_limited",
    "raw",
    "reset",
    "sample_path",
    "samples_dir",
    "slow_body",
    "slow_headers",
    "sse",
    "stall",
    "text_events",
    "text_response",
    "truncated_json",
    "unused_port",
    "wrong_shape_json",
]

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
JSON_CT = "application/json; charset=UTF-8"
SSE_CT = "text/event-stream"
CRLF2 = b"\r\n\r\n"
_HEAD_LIMIT = 1 << 20
_TERMINATOR = b"0\r\n\r\n"
_PATH_RE = re.compile(r"^/(?:v1beta|v1|v1alpha)/models/([^/:]+):([A-Za-z]+)/?$")

JsonBody: TypeAlias = "dict[str, Any] | list[Any] | bytes | str"
SseEvent: TypeAlias = "dict[str, Any] | list[Any] | bytes | str"
HeadersArg: TypeAlias = "Mapping[str, str] | Iterable[tuple[str, str]] | None"

_GOOGLE_STATUS = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "Request had invalid authentication credentials."),
    403: ("PERMISSION_DENIED", "The caller does not have permission."),
    404: ("NOT_FOUND", "Requested entity was not found."),
    408: ("DEADLINE_EXCEEDED", "Request timed out."),
    409: ("ABORTED", "The operation was aborted."),
    429: ("RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan."),
    499: ("CANCELLED", "The operation was cancelled."),
    500: ("INTERNAL", "An internal error has occurred. Please retry or report."),
    501: ("NOT_IMPLEMENTED", "Method not implemented."),
    502: ("UNAVAILABLE", "Bad gateway."),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "The request timed out. Please try again."),
}


# --------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it.

    ``path`` is the request target without the query string, exactly as sent; ``query`` the
    decoded query parameters (last value wins); ``headers`` has lower-cased names (repeated
    headers joined with ``", "``); ``json`` is the parsed body or ``None`` when it is not JSON.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any

    @property
    def model(self) -> str | None:
        """The ``{model}`` of ``/v1beta/models/{model}:{operation}``, else ``None``."""
        m = _PATH_RE.match(unquote(self.path))
        return m.group(1) if m else None

    @property
    def operation(self) -> str | None:
        """``generateContent`` / ``streamGenerateContent`` / ``countTokens`` / ... or ``None``."""
        m = _PATH_RE.match(unquote(self.path))
        return m.group(2) if m else None


class _BadRequestError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Wire helpers
# --------------------------------------------------------------------------------------------


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _norm_headers(headers: HeadersArg) -> tuple[tuple[str, str], ...]:
    if headers is None:
        return ()
    items = headers.items() if isinstance(headers, Mapping) else headers
    return tuple((str(k), str(v)) for k, v in items)


def _build_head(
    status: int,
    content_type: str | None,
    headers: tuple[tuple[str, str], ...],
    *,
    length: int | None,
    chunked: bool,
    close: bool,
) -> bytes:
    lines = [f"HTTP/1.1 {status} {_reason(status)}", "Server: fake-gemini"]
    names = {k.lower() for k, _ in headers}
    if content_type is not None and "content-type" not in names:
        lines.append(f"Content-Type: {content_type}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    elif length is not None:
        lines.append(f"Content-Length: {length}")
    lines.append("Connection: close" if close else "Connection: keep-alive")
    lines.extend(f"{k}: {v}" for k, v in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _encode_json(body: JsonBody) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return orjson.dumps(body)


def _frame_event(event: SseEvent, framing: bytes) -> bytes:
    if isinstance(event, bytes):
        return event
    payload = event.encode() if isinstance(event, str) else orjson.dumps(event)
    if b"\n" in payload:
        eol = framing[: len(framing) // 2] or b"\n"
        payload = (eol + b"data: ").join(payload.split(b"\n"))
    return b"data: " + payload + framing


def _frame_events(events: Iterable[SseEvent], framing: bytes) -> tuple[bytes, ...]:
    return tuple(_frame_event(e, framing) for e in events)


# --------------------------------------------------------------------------------------------
# Exchange + actions
# --------------------------------------------------------------------------------------------


class Exchange:
    """One request/response on a connection, handed to :meth:`Action.run`."""

    __slots__ = ("keep_alive", "request", "server", "started", "writer")

    def __init__(
        self,
        server: FakeGemini,
        request: RecordedRequest,
        writer: asyncio.StreamWriter,
        keep_alive: bool,
    ) -> None:
        self.server = server
        self.request = request
        self.writer = writer
        self.keep_alive = keep_alive
        self.started = False  # True once any response byte was written

    def write(self, data: bytes) -> None:
        if data:
            self.started = True
            self.writer.write(data)

    async def send(self, data: bytes) -> None:
        self.write(data)
        await self.writer.drain()

    def head(
        self,
        status: int,
        content_type: str | None,
        headers: tuple[tuple[str, str], ...] = (),
        *,
        length: int | None = None,
        chunked: bool = False,
    ) -> bytes:
        return _build_head(
            status,
            content_type,
            headers,
            length=length,
            chunked=chunked,
            close=not self.keep_alive,
        )

    def abort_with_rst(self) -> None:
        """Close with SO_LINGER 0 so the kernel sends RST instead of FIN."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    def resolve(self, item: Action | Responder | None) -> Action:
        """Turn a queued item (or ``None`` = the server default) into an Action."""
        return self.server._resolve(item, self.request)


class Action:
    """Base class of scripted answers. ``run`` returns True to keep the connection alive."""

    async def run(self, ex: Exchange) -> bool:
        raise NotImplementedError


def _heads(
    status: int,
    content_type: str | None,
    headers: tuple[tuple[str, str], ...],
    *,
    length: int | None,
    chunked: bool,
) -> tuple[bytes, bytes]:
    """Precomputed (close-after, keep-alive) heads, indexed by ``ex.keep_alive``."""
    return (
        _build_head(status, content_type, headers, length=length, chunked=chunked, close=True),
        _build_head(status, content_type, headers, length=length, chunked=chunked, close=False),
    )


@dataclass(frozen=True)
class Respond(Action):
    """A complete ``Content-Length`` response; the bytes are built once at construction."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = JSON_CT
    headers: tuple[tuple[str, str], ...] = ()
    _wire: tuple[bytes, bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        close, keep = _heads(
            self.status, self.content_type, self.headers, length=len(self.body), chunked=False
        )
        object.__setattr__(self, "_wire", (close + self.body, keep + self.body))

    async def run(self, ex: Exchange) -> bool:
        await ex.send(self._wire[ex.keep_alive])
        return ex.keep_alive


@dataclass(frozen=True)
class TruncatedBody(Action):
    """Announces ``len(body)`` as Content-Length, sends ``keep`` bytes (default half), FIN."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = JSON_CT
    headers: tuple[tuple[str, str], ...] = ()
    keep: int | None = None

    async def run(self, ex: Exchange) -> bool:
        keep = len(self.body) // 2 if self.keep is None else self.keep
        head = ex.head(self.status, self.content_type, self.headers, length=len(self.body))
        await ex.send(head + self.body[:keep])
        return False


@dataclass(frozen=True)
class SseStream(Action):
    """A chunked ``text/event-stream`` response, one HTTP chunk per (framed) event.

    ``cut_after=k`` stops after k whole events (plus half of event k with ``cut_mid_event``);
    a cut stream ends with FIN (RST with ``rst``) unless ``terminate`` is set, in which case the
    terminating chunk is sent and the connection kept. ``chunk_size`` splits each event into
    separately flushed HTTP chunks. ``delay_s`` is slept between events.
    """

    events: tuple[bytes, ...] = ()
    delay_s: float = 0.0
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    cut_after: int | None = None
    cut_mid_event: bool = False
    terminate: bool = False
    rst: bool = False
    chunk_size: int | None = None
    _heads: tuple[bytes, bytes] = field(init=False, repr=False, compare=False)
    _fast: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.cut_after is not None:
            limit = len(self.events) - 1 if self.cut_mid_event else len(self.events)
            if not 0 <= self.cut_after <= limit:
                raise ValueError(f"cut_after={self.cut_after} out of range for {limit} events")
        if self.chunk_size is not None and self.chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        object.__setattr__(
            self, "_heads", _heads(self.status, SSE_CT, self.headers, length=None, chunked=True)
        )
        pieces = self._pieces()
        body = b"".join(_chunk(p) for p in pieces if p)
        if self.cut_after is None or self.terminate:
            body += _TERMINATOR
        object.__setattr__(self, "_fast", body)

    def _pieces(self) -> list[bytes]:
        if self.cut_after is None:
            return list(self.events)
        pieces = list(self.events[: self.cut_after])
        if self.cut_mid_event:
            nxt = self.events[self.cut_after]
            pieces.append(nxt[: max(1, len(nxt) // 2)])
        return pieces

    async def run(self, ex: Exchange) -> bool:
        complete = self.cut_after is None or self.terminate
        head = self._heads[ex.keep_alive]
        if not self.delay_s and self.chunk_size is None:
            await ex.send(head + self._fast)
        else:
            await ex.send(head)
            for i, piece in enumerate(self._pieces()):
                if i and self.delay_s:
                    await asyncio.sleep(self.delay_s)
                if not piece:
                    continue
                step = self.chunk_size or len(piece)
                for j in range(0, len(piece), step):
                    await ex.send(_chunk(piece[j : j + step]))
            if complete:
                await ex.send(_TERMINATOR)
        if complete:
            return ex.keep_alive
        if self.rst:
            ex.abort_with_rst()
        return False


@dataclass(frozen=True)
class Stall(Action):
    """Sends nothing (or a 200 SSE head plus ``events``), sleeps ``seconds``, then FIN."""

    after_headers: bool = False
    seconds: float = 60.0
    events: tuple[bytes, ...] = ()

    async def run(self, ex: Exchange) -> bool:
        if self.after_headers or self.events:
            head = ex.head(200, SSE_CT, chunked=True)
            await ex.send(head + b"".join(_chunk(e) for e in self.events if e))
        await asyncio.sleep(self.seconds)
        return False


@dataclass(frozen=True)
class SlowHeaders(Action):
    """Sleeps ``seconds`` before anything is sent, then runs ``then`` (None = the default)."""

    seconds: float = 1.0
    then: Action | Callable[[RecordedRequest], Action] | None = None

    async def run(self, ex: Exchange) -> bool:
        await asyncio.sleep(self.seconds)
        return await ex.resolve(self.then).run(ex)


@dataclass(frozen=True)
class SlowBody(Action):
    """Full head at once, then the body ``chunk_size`` bytes at a time, sleeping in between."""

    seconds_per_chunk: float = 0.05
    body: bytes = b""
    chunk_size: int = 16
    status: int = 200
    content_type: str | None = JSON_CT
    headers: tuple[tuple[str, str], ...] = ()

    async def run(self, ex: Exchange) -> bool:
        await ex.send(ex.head(self.status, self.content_type, self.headers, length=len(self.body)))
        for i in range(0, len(self.body), self.chunk_size):
            if i:
                await asyncio.sleep(self.seconds_per_chunk)
            await ex.send(self.body[i : i + self.chunk_size])
        return ex.keep_alive


@dataclass(frozen=True)
class Reset(Action):
    """Closes the connection with SO_LINGER 0: the client sees a TCP reset."""

    async def run(self, ex: Exchange) -> bool:
        ex.abort_with_rst()
        return False


@dataclass(frozen=True)
class CloseWithoutResponse(Action):
    """Closes the connection (FIN) without sending a byte."""

    async def run(self, ex: Exchange) -> bool:
        return False


@dataclass(frozen=True)
class Raw(Action):
    """Writes ``data`` verbatim as the whole response, then FIN unless ``close`` is False."""

    data: bytes = b""
    close: bool = True

    async def run(self, ex: Exchange) -> bool:
        await ex.send(self.data)
        return ex.keep_alive and not self.close


Responder: TypeAlias = Callable[[RecordedRequest], Action]
ScriptItem: TypeAlias = "Action | Responder"


# --------------------------------------------------------------------------------------------
# Action factories
# --------------------------------------------------------------------------------------------


def google_error(
    status: int, message: str | None = None, *, details: Sequence[Any] | None = None
) -> dict[str, Any]:
    """A Google-shaped error body ``{"error": {"code", "message", "status"[, "details"]}}``."""
    name, default_message = _GOOGLE_STATUS.get(status, ("UNKNOWN", "Unknown error."))
    err: dict[str, Any] = {"code": status, "message": message or default_message, "status": name}
    if details is not None:
        err["details"] = list(details)
    return {"error": err}


def json_response(body: JsonBody, status: int = 200, headers: HeadersArg = None) -> Respond:
    """A complete JSON response (dict/list encoded once; bytes/str sent verbatim)."""
    return Respond(status, _encode_json(body), JSON_CT, _norm_headers(headers))


def error(status: int, body: JsonBody | None = None, headers: HeadersArg = None) -> Respond:
    """An error response; ``body=None`` gives the Google-shaped default for ``status``."""
    return json_response(google_error(status) if body is None else body, status, headers)


def rate_limited(
    retry_after: float | str | None = 1,
    retry_delay: str | None = "1s",
    message: str | None = None,
) -> Respond:
    """A 429 RESOURCE_EXHAUSTED with ``Retry-After`` and/or a ``RetryInfo.retryDelay`` detail."""
    details: list[dict[str, Any]] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}],
        }
    ]
    if retry_delay is not None:
        details.append(
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}
        )
    headers: dict[str, str] = {}
    if retry_after is not None:
        if isinstance(retry_after, float) and retry_after.is_integer():
            retry_after = int(retry_after)
        headers["Retry-After"] = str(retry_after)
    return error(429, google_error(429, message, details=details), headers)


def sse(
    events: Iterable[SseEvent],
    delay_s: float = 0.0,
    status: int = 200,
    headers: HeadersArg = None,
    *,
    framing: bytes = CRLF2,
    chunk_size: int | None = None,
) -> SseStream:
    """A complete SSE stream (see the module docstring for event types and framing)."""
    return SseStream(
        _frame_events(events, framing),
        delay_s,
        status,
        _norm_headers(headers),
        chunk_size=chunk_size,
    )


def cut_sse_mid_event(
    events: Iterable[SseEvent],
    after: int = 1,
    *,
    delay_s: float = 0.0,
    rst: bool = False,
    framing: bytes = CRLF2,
) -> SseStream:
    """``after`` whole events, half of the next one, then FIN (or RST), no terminating chunk."""
    return SseStream(
        _frame_events(events, framing), delay_s, cut_after=after, cut_mid_event=True, rst=rst
    )


def cut_sse_between_events(
    events: Iterable[SseEvent],
    after: int = 1,
    *,
    terminate: bool = False,
    delay_s: float = 0.0,
    rst: bool = False,
    framing: bytes = CRLF2,
) -> SseStream:
    """``after`` whole events then FIN (or RST); ``terminate=True`` ends the body cleanly."""
    return SseStream(
        _frame_events(events, framing), delay_s, cut_after=after, terminate=terminate, rst=rst
    )


def stall(
    after_headers: bool = False, seconds: float = 60.0, events: Iterable[SseEvent] = ()
) -> Stall:
    """Nothing (or SSE headers + ``events``), then ``seconds`` of silence, then FIN."""
    return Stall(after_headers, seconds, _frame_events(events, CRLF2))


def slow_headers(seconds: float, then: ScriptItem | None = None) -> SlowHeaders:
    """Wait ``seconds`` before the first byte, then answer with ``then`` (None = default)."""
    return SlowHeaders(seconds, then)


def slow_body(
    seconds_per_chunk: float,
    body: JsonBody,
    chunk_size: int = 16,
    status: int = 200,
    headers: HeadersArg = None,
) -> SlowBody:
    """Content-Length response whose body trickles out ``chunk_size`` bytes at a time."""
    return SlowBody(
        seconds_per_chunk, _encode_json(body), chunk_size, status, JSON_CT, _norm_headers(headers)
    )


def reset() -> Reset:
    """TCP reset (SO_LINGER 0) right after reading the request."""
    return Reset()


def close_without_response() -> CloseWithoutResponse:
    """FIN right after reading the request, no response bytes."""
    return CloseWithoutResponse()


_NGINX_HTML = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def html_error(status: int = 502, html: str | None = None, headers: HeadersArg = None) -> Respond:
    """A ``text/html`` error page (nginx style by default), as proxies send."""
    if html is None:
        html = _NGINX_HTML.format(status=status, reason=_reason(status))
    return Respond(status, html.encode(), "text/html", _norm_headers(headers))


def empty_error(status: int = 503, headers: HeadersArg = None) -> Respond:
    """``status`` with an empty body (``Content-Length: 0``, a JSON content type)."""
    return Respond(status, b"", JSON_CT, _norm_headers(headers))


def truncated_json(status: int = 200, body: JsonBody | None = None) -> TruncatedBody:
    """Announce the full JSON body length, send half of it, FIN."""
    data = _encode_json(text_response("Hello! How can I help you today?") if body is None else body)
    return TruncatedBody(status, data)


def malformed_json(
    status: int = 200, body: bytes = b'{"candidates": [{"content": {"parts": [{"text": "hi"}],}]'
) -> Respond:
    """A well-framed JSON-typed body that is not valid JSON."""
    return Respond(status, body, JSON_CT)


def wrong_shape_json(body: JsonBody | None = None, status: int = 200) -> Respond:
    """Valid JSON of the wrong shape (default ``{"candidates": "oops"}``)."""
    return json_response({"candidates": "oops"} if body is None else body, status)


def raw(data: bytes, close: bool = True) -> Raw:
    """Arbitrary response bytes, then FIN unless ``close=False``."""
    return Raw(data, close)


def unused_port() -> int:
    """A 127.0.0.1 port with nothing listening (bound, read, closed) for connect-refused tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
    return port


# --------------------------------------------------------------------------------------------
# Realistic bodies
# --------------------------------------------------------------------------------------------

_FILLER = (
    "Gemini streams text as deltas — naïve parsers split UTF-8 (café, 東京, ✓) across reads. "
    "The quick brown fox jumps over the lazy dog. "
)


def _text_of(n_bytes: int, prefix: str = "") -> str:
    """Deterministic text of exactly ``n_bytes`` UTF-8 bytes (never splits a character)."""
    out: list[str] = []
    size = 0
    for ch in prefix + _FILLER * (n_bytes // len(_FILLER) + 2):
        b = len(ch.encode())
        if size + b > n_bytes:
            break
        out.append(ch)
        size += b
    out.append("." * (n_bytes - size))
    return "".join(out)


def _tokens(text: str) -> int:
    return max(1, len(text.encode()) // 4) if text else 0


def _usage(prompt: int, candidates: int) -> dict[str, Any]:
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
    }


def text_response(
    text: str,
    *,
    model: str = "gemini-2.5-flash",
    finish_reason: str = "STOP",
    prompt_tokens: int = 9,
    response_id: str = "fake-response-0001",
) -> dict[str, Any]:
    """A generateContent body shaped like ``text_basic.json``."""
    return {
        "candidates": [
            {
                "content": {"parts": [{"text": text}], "role": "model"},
                "finishReason": finish_reason,
                "index": 0,
            }
        ],
        "usageMetadata": _usage(prompt_tokens, _tokens(text)),
        "modelVersion": model,
        "responseId": response_id,
    }


def text_events(
    texts: Sequence[str],
    *,
    model: str = "gemini-2.5-flash",
    finish_reason: str = "STOP",
    prompt_tokens: int = 9,
    response_id: str = "fake-stream-0001",
) -> list[dict[str, Any]]:
    """Stream events, one text delta each, cumulative usage, ``finishReason`` on the last."""
    events: list[dict[str, Any]] = []
    total = 0
    for i, text in enumerate(texts):
        total += _tokens(text)
        cand: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
        if i == len(texts) - 1:
            cand["finishReason"] = finish_reason
        events.append(
            {
                "candidates": [cand],
                "usageMetadata": _usage(prompt_tokens, total),
                "modelVersion": model,
                "responseId": response_id,
            }
        )
    return events


class DefaultResponder:
    """The built-in answer; responses are precomputed per (model, operation).

    - ``:generateContent`` → 200 JSON like ``text_basic.json`` whose text is ``self.text``
      (``text_bytes`` UTF-8 bytes, with some non-ASCII characters).
    - ``:streamGenerateContent?alt=sse`` → ``chunks`` SSE events; event i carries
      ``self.stream_texts[i]`` (``chunk_text`` if given, else ``text_bytes`` bytes starting with
      ``"[i] "``), cumulative ``usageMetadata``, ``finishReason: STOP`` on the last one;
      ``event_delay_s`` between events. Without ``alt=sse`` the same events as one JSON array.
    - ``:countTokens`` → ``{"totalTokens": count_tokens, "promptTokensDetails": [...]}``.
    - anything else → 404 NOT_FOUND (Google-shaped).
    """

    def __init__(
        self,
        *,
        text_bytes: int = 64,
        chunks: int = 3,
        chunk_text: str | None = None,
        count_tokens: int = 12,
        prompt_tokens: int = 9,
        event_delay_s: float = 0.0,
    ) -> None:
        if chunks < 1:
            raise ValueError("chunks must be >= 1")
        self.text = _text_of(text_bytes)
        self.stream_texts = [
            chunk_text if chunk_text is not None else _text_of(text_bytes, f"[{i}] ")
            for i in range(chunks)
        ]
        self.count_tokens = count_tokens
        self.prompt_tokens = prompt_tokens
        self.event_delay_s = event_delay_s
        self._cache: dict[tuple[str, str, bool], Action] = {}
        self._count = json_response(
            {
                "totalTokens": count_tokens,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": count_tokens}],
            }
        )

    @property
    def stream_text(self) -> str:
        """The concatenated text of the default stream."""
        return "".join(self.stream_texts)

    def __call__(self, request: RecordedRequest) -> Action:
        m = _PATH_RE.match(unquote(request.path))
        if request.method != "POST" or m is None:
            return error(404, google_error(404, f"fake_gemini: no route for {request.path}"))
        model, op = m.groups()
        alt = request.query.get("alt") == "sse"
        key = (model, op, alt)
        action = self._cache.get(key)
        if action is None:
            action = self._build(model, op, alt)
            self._cache[key] = action
        return action

    def _build(self, model: str, op: str, alt: bool) -> Action:
        if op == "generateContent":
            return json_response(
                text_response(self.text, model=model, prompt_tokens=self.prompt_tokens)
            )
        if op == "streamGenerateContent":
            events = text_events(self.stream_texts, model=model, prompt_tokens=self.prompt_tokens)
            return sse(events, self.event_delay_s) if alt else json_response(events)
        if op == "countTokens":
            return self._count
        message = f"Method {op} is not supported by fake_gemini for models/{model}."
        return error(404, google_error(404, message))


# --------------------------------------------------------------------------------------------
# Samples
# --------------------------------------------------------------------------------------------


def samples_dir() -> Path:
    """``tests/fixtures/gemini``: the recorded bodies copied into the repository."""
    return Path(__file__).resolve().parents[1] / "fixtures" / "gemini"


def sample_path(name: str) -> Path:
    """The sample file for ``name`` (``stream_text``, ``stream_text.sse``, ``text_basic`` ...)."""
    base = samples_dir()
    if name.endswith((".json", ".sse")):
        candidates = [base / name]
    else:
        candidates = [base / f"{name}.sse", base / f"{name}.json"]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(f"no Gemini sample {name!r} in {base} ")


def parse_sse(data: bytes) -> list[bytes]:
    """Data payloads of the SSE events in ``data`` (LF/CRLF/CR lines; multi-line data joined).

    An unterminated trailing event is kept (sample files may lack the final blank line).
    """
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    payloads: list[bytes] = []
    current: list[bytes] = []
    for line in [*text.split(b"\n"), b""]:
        if not line:
            if current:
                payloads.append(b"\n".join(current))
                current = []
            continue
        if line.startswith(b":"):
            continue
        name, _, value = line.partition(b":")
        if name == b"data":
            current.append(value[1:] if value.startswith(b" ") else value)
    return payloads


def load_sample_json(name: str) -> Any:
    """The parsed JSON of a ``.json`` sample."""
    path = sample_path(name if name.endswith(".json") else f"{name}.json")
    return orjson.loads(path.read_bytes())


def load_sample_events(name: str) -> list[Any]:
    """The parsed events of a ``.sse`` sample."""
    path = sample_path(name if name.endswith(".sse") else f"{name}.sse")
    return [orjson.loads(p) for p in parse_sse(path.read_bytes())]


def from_sample(
    name: str, *, status: int | None = None, delay_s: float = 0.0, headers: HeadersArg = None
) -> Action:
    """Replay a recorded body: ``.sse`` → ``sse(events)``, ``.json`` → ``json_response``.

    JSON bodies are sent byte for byte; the status defaults to ``error.code`` of ``error_*``
    samples (else the ``error_NNN`` in the name, else 200).
    """
    path = sample_path(name)
    data = path.read_bytes()
    if path.suffix == ".sse":
        return sse([p.decode() for p in parse_sse(data)], delay_s, status or 200, headers)
    if status is None:
        status = 200
        if path.stem.startswith("error_"):
            code = orjson.loads(data).get("error", {}).get("code")
            m = re.match(r"error_(\d{3})", path.stem)
            status = code if isinstance(code, int) else int(m.group(1)) if m else 500
    return json_response(data, status, headers)


# --------------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------------


class FakeGemini:
    """The server. Listens on 127.0.0.1 (``port=0``: ephemeral); see the module docstring."""

    def __init__(
        self,
        *,
        default: ScriptItem | None = None,
        latency_s: float = 0.0,
        port: int = 0,
        record: bool = True,
    ) -> None:
        self.default: ScriptItem = DefaultResponder() if default is None else default
        self.latency_s = latency_s
        self.record = record
        self._requested_port = port
        self._port: int | None = None
        self._queue: deque[ScriptItem] = deque()
        self._requests: list[RecordedRequest] = []
        self._errors: list[BaseException] = []
        self._open = 0
        self._total = 0
        self._conns: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._startup_error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeGemini:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeGemini is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def url(self, model: str = "gemini-2.5-flash", operation: str = "generateContent") -> str:
        """Full URL of ``models/{model}:{operation}`` (``?alt=sse`` added for streaming)."""
        suffix = "?alt=sse" if operation == "streamGenerateContent" else ""
        return f"{self.base_url}/v1beta/models/{model}:{operation}{suffix}"

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> FakeGemini:
        if self._thread is not None:
            raise RuntimeError("FakeGemini already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((HOST, self._requested_port))
            sock.listen(1024)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        self._startup_error = None
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(sock, ready), name=f"fake-gemini-{self._port}", daemon=True
        )
        self._thread.start()
        ready.wait(10)
        if self._startup_error is not None:
            self._thread.join(5)
            self._thread = None
            raise RuntimeError("FakeGemini failed to start") from self._startup_error
        return self

    def _run(self, sock: socket.socket, ready: threading.Event) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, sock=sock, limit=_HEAD_LIMIT, backlog=1024)
            )
        except BaseException as exc:
            self._startup_error = exc
            sock.close()
            loop.close()
            ready.set()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening, drop every connection (cancelling stalls), join the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        fut = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            fut.result(timeout)
        except Exception:
            logger.exception("fake_gemini: shutdown failed")
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread = None
        self._server = None

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._conns)
        for writer in list(self._conns.values()):
            writer.transport.abort()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)

    # -- scripting / introspection -----------------------------------------------------------

    def enqueue(self, *items: ScriptItem) -> None:
        """Queue actions/responders; each request consumes one (FIFO) before the default."""
        for item in items:
            if not isinstance(item, Action) and not callable(item):
                raise TypeError(f"not an Action or responder: {item!r}")
        self._queue.extend(items)

    @property
    def pending(self) -> int:
        """Queued items not consumed yet."""
        return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        if not self._requests:
            raise LookupError("no request recorded")
        return self._requests[-1]

    @property
    def errors(self) -> list[BaseException]:
        return list(self._errors)

    @property
    def open_connections(self) -> int:
        return self._open

    @property
    def total_connections(self) -> int:
        return self._total

    def clear(self) -> None:
        """Forget recorded requests, errors and queued items; zero ``total_connections``."""
        self._requests.clear()
        self._errors.clear()
        self._queue.clear()
        self._total = 0

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
        """Poll ``predicate`` until true or ``timeout``; returns its last value."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return predicate()
            time.sleep(0.002)
        return True

    def _resolve(self, item: ScriptItem | None, request: RecordedRequest) -> Action:
        current: Any = self.default if item is None else item
        for _ in range(8):
            if isinstance(current, Action):
                return current
            if not callable(current):
                break
            current = current(request)
        if isinstance(current, Action):
            return current
        raise TypeError(f"responder returned {current!r}, not an Action")

    def _next_action(self, request: RecordedRequest) -> Action:
        try:
            item: ScriptItem | None = self._queue.popleft()
        except IndexError:
            item = None
        return self._resolve(item, request)

    # -- connection handling -----------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns[task] = writer
        self._open += 1
        self._total += 1
        cancelled = False
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            cancelled = True
            raise
        except Exception as exc:  # pragma: no cover - defensive
            logger.exception("fake_gemini: connection handler crashed")
            self._errors.append(exc)
        finally:
            if cancelled or writer.transport.is_closing():
                writer.transport.abort()
            else:
                writer.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(writer.wait_closed(), 5)
            self._conns.pop(task, None)
            self._open -= 1

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                parsed = await _read_request(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            except _BadRequestError as exc:
                body = orjson.dumps(google_error(400, f"fake_gemini: bad request: {exc}"))
                head = _build_head(400, JSON_CT, (), length=len(body), chunked=False, close=True)
                with contextlib.suppress(ConnectionError):
                    writer.write(head + body)
                    await writer.drain()
                return
            if parsed is None:
                return
            request, keep_alive = parsed
            if self.record:
                self._requests.append(request)
            ex = Exchange(self, request, writer, keep_alive)
            try:
                if self.latency_s > 0:
                    await asyncio.sleep(self.latency_s)
                action = self._next_action(request)
                keep = await action.run(ex)
            except (ConnectionError, OSError):
                return  # the client went away mid-response
            except Exception as exc:
                logger.exception(
                    "fake_gemini: action failed for %s %s", request.method, request.path
                )
                self._errors.append(exc)
                if not ex.started and not writer.transport.is_closing():
                    body = orjson.dumps(google_error(500, f"fake_gemini: {exc!r}"))
                    head = _build_head(
                        500, JSON_CT, (), length=len(body), chunked=False, close=True
                    )
                    with contextlib.suppress(ConnectionError, OSError):
                        writer.write(head + body)
                        await writer.drain()
                return
            if not keep or writer.transport.is_closing():
                return


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise _BadRequestError("bad chunk size") from exc
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise _BadRequestError("bad chunk terminator")


async def _read_request(reader: asyncio.StreamReader) -> tuple[RecordedRequest, bool] | None:
    """Read one request; ``None`` on a clean EOF between requests."""
    try:
        head = await reader.readuntil(CRLF2)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise _BadRequestError("incomplete request head") from exc
    except asyncio.LimitOverrunError as exc:
        raise _BadRequestError("request head too large") from exc
    lines = head[:-4].lstrip(b"\r\n").split(b"\r\n")
    parts = lines[0].decode("latin-1").split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequestError(f"bad request line {lines[0][:100]!r}")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            raise _BadRequestError(f"bad header line {line[:100]!r}")
        key = name.decode("latin-1").strip().lower()
        val = value.decode("latin-1").strip()
        headers[key] = f"{headers[key]}, {val}" if key in headers else val
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    elif "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError as exc:
            raise _BadRequestError("bad Content-Length") from exc
        body = await reader.readexactly(length) if length else b""
    else:
        body = b""
    path, _, qs = target.partition("?")
    parsed: Any = None
    if body.lstrip()[:1] in (b"{", b"["):
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            parsed = None
    connection = headers.get("connection", "").lower()
    keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    request = RecordedRequest(
        method, path, dict(parse_qsl(qs, keep_blank_values=True)), headers, body, parsed
    )
    return request, keep_alive


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.fake_gemini",
        description="Fake Gemini REST server (127.0.0.1 only). Prints 'READY <base_url>'.",
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=3, help="SSE events per stream")
    parser.add_argument(
        "--text-bytes",
        type=int,
        default=64,
        help="text bytes of the JSON answer and of each SSE event",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="sleep before responses")
    parser.add_argument("--event-delay-ms", type=float, default=0.0, help="sleep between events")
    parser.add_argument("--count-tokens", type=int, default=12)
    parser.add_argument("--record", action="store_true", help="keep requests (memory grows)")
    args = parser.parse_args(argv)

    responder = DefaultResponder(
        text_bytes=args.text_bytes,
        chunks=args.chunks,
        count_tokens=args.count_tokens,
        event_delay_s=args.event_delay_ms / 1000,
    )
    server = FakeGemini(
        default=responder, latency_s=args.latency_ms / 1000, port=args.port, record=args.record
    )
    done = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    server.start()
    try:
        print(f"READY {server.base_url}", flush=True)
        while not done.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
