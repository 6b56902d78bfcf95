"""HTTP transport: URLs, auth headers, attempts, deadlines, SSE streaming (pooled clients are
`_pool`'s, media downloads `_download`'s).

The only module that touches httpx. Guarantees (documented in docs/reliability.md):

* One pooled `httpx.Client` per process and one `httpx.AsyncClient` per event loop, shared by
  every model configuration (timeouts and headers are per request), unless the user injects
  their own clients.
* Whether and when a failed attempt is retried is decided by `_retry.Attempts`, the one home
  of that policy (retryable errors, backoff, Retry-After, "never retry after the first
  streamed event"); this module runs the attempts and enforces their deadline.
* `timeout` is a deadline for each whole attempt (a stream's: until its first event), not
  just for each network read, so a call takes at most
  `(max_retries + 1) * timeout + max_retries * MAX_RETRY_DELAY`.
* Async exchanges run in tasks of their own, so a caller's cancellation (or our deadline)
  never lands inside httpcore where it would leak a pool connection.
* The API key lives only in request headers: it is scrubbed from error messages and bodies,
  httpx exceptions (whose requests carry the headers) are not chained, and nothing is logged
  with headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import itertools
import math
import socket
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Iterator, Mapping
from typing import Any, NamedTuple, NoReturn

import httpx
import orjson

from ._download import DEFAULT_MEDIA_POLICY, MediaURLPolicy, adownload, download
from ._errors import (
    Secrets,
    error_from_event,
    error_from_exception,
    error_from_first_event,
    error_from_response,
    scrubbed_text,
)
from ._exceptions import (
    TokenhotError,
    TokenhotResponseError,
)
from ._media import Downloaded
from ._pool import after_fork_in_child, shared_async_client, shared_client
from ._retry import Attempts
from ._sse import StreamDecoder

OnHeaders = Callable[[Mapping[str, str]], None]
"""Called once with the headers of the successful response (the served tier, for one)."""


def normalize_base_url(base_url: str) -> str:
    """Tolerate a trailing `/`, `/v1beta` or `/v1beta/models` on the configured base URL."""
    url = base_url.strip().rstrip("/")
    for suffix in ("/models", "/v1beta", "/v1"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url


def _raise(error: TokenhotError) -> NoReturn:
    raise error from None


def _json_body(response_bytes: bytes, *, model: str | None, secret: Secrets = None) -> Any:
    try:
        return orjson.loads(response_bytes)
    except orjson.JSONDecodeError:
        pass
    # Raised outside the `except`: nothing of the failed parse is chained to our error.
    snippet = scrubbed_text(response_bytes, secret, 200)
    _raise(
        TokenhotResponseError(
            f"the server answered 200 but the body is not JSON: {snippet!r}",
            status_code=200,
            body=scrubbed_text(response_bytes, secret, 10_000),
            model=model,
        )
    )


# --------------------------------------------------------------------------------------------
# Per-attempt deadlines
# --------------------------------------------------------------------------------------------
#
# httpx's timeouts bound each network operation (connect, one read, one write), not an attempt:
# a server that trickles a byte every few seconds never trips a read timeout. `timeout` is
# documented as what one attempt may take, so each attempt also gets a deadline: async
# attempts are cancelled when it passes, sync attempts have their socket shut down by a
# watchdog thread (the blocked read then fails at once). A stream's deadline covers the
# attempt up to its first event; after that only the per-read timeout applies, since a long
# answer legitimately streams for longer than `timeout`.


class _DeadlineExceededError(Exception):
    """Internal: the attempt's deadline passed (mapped to `TokenhotTimeoutError`)."""


def _shutdown(sock: Any) -> None:
    # `socket.socket.shutdown` directly: on an SSLSocket the override would also drop its SSL
    # object under the reading thread. Shutdown (unlike close) wakes a thread blocked in recv.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _SyncDeadline:
    """The deadline of one sync attempt, enforced by `_WATCHDOG`."""

    __slots__ = ("_drop_trace", "_lock", "_sock", "_watched", "at", "done", "expired", "seconds")

    def __init__(self, seconds: float | None, *, pooled: bool = False) -> None:
        """`pooled`: the request goes through our own pooled client, which never follows a
        redirect; httpx sends a redirect with the same extensions, and the next hop's new
        connection must still be learned through the trace hook."""
        self._drop_trace = pooled
        self.seconds = seconds
        self.at = time.monotonic() + seconds if seconds is not None else math.inf
        self.expired = False
        self.done = seconds is None
        self._sock: Any = None
        self._lock = threading.Lock()
        self._watched = _WATCHDOG.watch(self) if seconds is not None else None

    @property
    def extensions(self) -> dict[str, Any] | None:
        """httpx request extensions: a trace hook that learns the socket of a new connection."""
        return None if self.done else {"trace": self._trace}

    def _trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self._attach_stream(info.get("return_value"))
        elif event == "http11.receive_response_headers.started":
            # httpcore reads the hook from the request's extensions afresh at each step; the
            # steps after this one need none (`attach` learns a reused connection's socket
            # from the response), and each traced step costs ~1 us of httpcore's. Only on our
            # pooled clients: a redirect (your own client may follow them) reuses the dict.
            request = info.get("request")
            if request is not None and self._drop_trace:
                request.extensions.pop("trace", None)
            if self.passed():
                # The request took the whole budget to send (a reused connection, whose socket
                # the watchdog does not know yet): give up before waiting for an answer.
                raise _DeadlineExceededError

    def attach(self, response: httpx.Response) -> None:
        """Learn the socket from a response (covers reused keep-alive connections)."""
        self._attach_stream(response.extensions.get("network_stream"))

    def _attach_stream(self, stream: Any) -> None:
        get = getattr(stream, "get_extra_info", None)
        sock = get("socket") if get is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            if self.done:
                return
            self._sock = sock
            if self.expired:
                _shutdown(sock)

    def expire(self) -> None:
        """Called by the watchdog at the deadline."""
        with self._lock:
            if self.done:
                return
            self.expired = True
            if self._sock is not None:
                _shutdown(self._sock)

    def disarm(self) -> None:
        """The attempt is over (or reached its first event): never touch its socket again."""
        with self._lock:
            self.done = True
            self._sock = None
        if self._watched is not None:
            _WATCHDOG.forget(self._watched)
            self._watched = None

    def passed(self) -> bool:
        return self.expired or time.monotonic() >= self.at

    def check(self) -> None:
        if not self.done and (self.expired or time.monotonic() >= self.at):  # passed(), inline
            raise _DeadlineExceededError


class _Watchdog:
    """One daemon thread that expires sync deadlines (started on first use, and after fork).

    The heap holds `(when, key)` only; the deadlines themselves are in `_active` until their
    attempt disarms them. A finished attempt's heap entry lingers until the thread reaches it
    or the heap is compacted, but as a tuple of a float and an int, which the garbage collector
    does not track; the finished deadline itself (with its lock and socket reference) is freed
    at once, instead of living on for up to 1,024 calls and into older GC generations.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int]] = []
        self._active: dict[int, _SyncDeadline] = {}
        self._keys = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: _SyncDeadline) -> int:
        """Expire `deadline` at its time unless `forget` is called first; returns its key."""
        with self._cond:
            key = next(self._keys)
            self._active[key] = deadline
            if len(self._heap) > 1024 + 2 * len(self._active):
                # Entries of finished attempts linger until their time; drop them in bulk.
                active = self._active
                self._heap = [entry for entry in self._heap if entry[1] in active]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (deadline.at, key))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="langchain-tokenhot-deadlines", daemon=True
                )
                self._thread.start()
            if self._heap[0][1] == key:
                # Wake the thread only when its next wake-up moves earlier: a notify per call
                # hands the GIL to the watchdog and back (~100 us of CPU per request).
                self._cond.notify()
        return key

    def forget(self, key: int) -> None:
        """The attempt is over: its deadline is never expired."""
        with self._cond:
            self._active.pop(key, None)

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    while self._heap and self._heap[0][1] not in self._active:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._cond.wait()
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        deadline = self._active.pop(heapq.heappop(self._heap)[1])
                        break
                    self._cond.wait(wait)
            deadline.expire()


_WATCHDOG = _Watchdog()
after_fork_in_child(lambda: _Watchdog.__init__(_WATCHDOG))  # a child: no thread, no deadlines


class _AbandonedError(Exception):
    """Internal: raised inside an abandoned exchange at the next safe point of httpcore."""


_BACKGROUND: set[asyncio.Task[Any]] = set()
"""Abandoned exchanges still unwinding (strong references, so they are not collected)."""


def _wake(waiter: asyncio.Future[None], _: object) -> None:
    """Wakes `_AsyncExchange.result` (called by the task when done, or by the deadline timer)."""
    if not waiter.done():
        waiter.set_result(None)


# Trace events before which an abandoned exchange stops (httpcore then closes the connection).
_STOP_AT = frozenset(
    f"{prefix}.{step}.started"
    for prefix in ("http11", "http2")
    for step in (
        "send_request_headers",
        "send_request_body",
        "receive_response_headers",
        "receive_response_body",
    )
)


class _AsyncExchange:
    """One async request/response, run in a task of its own.

    httpcore 1.0 leaks a pool connection (it stays "active" forever) when a cancellation lands
    while it sets a connection up or while it closes a finished response (encode/httpcore#658,
    #830, #1093). So a caller's cancellation, or our deadline, never reaches httpcore directly:
    the caller waits on this task, and on giving up *abandons* it. An abandoned exchange is
    cancelled only where that is safe (in the middle of the HTTP exchange, or while it waits on
    our own queue); otherwise it is stopped at the next step boundary (a trace hook raises), so
    httpcore always runs its ordinary error path and closes the connection.

    `streaming=False`: the task's result is the `httpx.Response`, its body read (or what
    `consume` returns).
    `streaming=True`: items go through a small queue: `("status", code, headers, body)` for a
    non-2xx answer, or `("open", headers)` then `("chunk", bytes)`... for a 2xx one, and finally
    `("end",)` once the response is closed, or `("error", httpx.HTTPError)`.
    """

    __slots__ = ("_abandoned", "_at_own_await", "_phase", "_queue", "task")

    def __init__(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        *,
        streaming: bool = False,
        consume: Any = None,
        **kwargs: Any,
    ) -> None:
        self._abandoned = False
        self._at_own_await = False
        self._phase = ""
        self._queue: asyncio.Queue[tuple[Any, ...]] | None = (
            asyncio.Queue(maxsize=8) if streaming else None
        )
        kwargs["extensions"] = {"trace": self._trace}
        run: Coroutine[Any, Any, Any]
        if streaming:
            run = self._pump(client, method, url, kwargs)
        elif consume is not None:
            run = self._once(client, method, url, kwargs, consume)
        else:
            # httpx's own `send` as the task, the request built here: no frame or context
            # manager of ours, nor `client.request`'s, per in-flight call (memory per call).
            run = client.send(client.build_request(method, url, **kwargs))
        self.task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(run)
        _BACKGROUND.add(self.task)
        self.task.add_done_callback(_finished)

    async def _trace(self, event: str, info: Mapping[str, Any]) -> None:
        self._phase = event
        if self._abandoned and event in _STOP_AT:
            raise _AbandonedError

    async def _once(
        self, client: httpx.AsyncClient, method: str, url: str, kwargs: Any, consume: Any
    ) -> Any:
        async with client.stream(method, url, **kwargs) as response:
            return await consume(response)

    async def _pump(self, client: httpx.AsyncClient, method: str, url: str, kwargs: Any) -> None:
        try:
            async with client.stream(method, url, **kwargs) as response:
                if response.status_code >= 300:
                    body = await response.aread()
                    await self._put(("status", response.status_code, response.headers, body))
                else:
                    await self._put(("open", response.headers))
                    async for chunk in response.aiter_bytes():
                        await self._put(("chunk", chunk))
            await self._put(("end",))
        except httpx.HTTPError as exc:
            await self._put(("error", exc))

    async def _put(self, item: tuple[Any, ...]) -> None:
        if self._abandoned:
            raise _AbandonedError
        assert self._queue is not None
        self._at_own_await = True
        try:
            await self._queue.put(item)
        finally:
            self._at_own_await = False

    async def result(self, seconds: float | None) -> Any:
        """The outcome of a one-shot exchange (re-raises its exception)."""
        task = self.task
        if not task.done():
            # A future of our own, woken by the task or the deadline, instead of
            # `asyncio.wait`: no set, closure or two more coroutine frames per call in flight
            # (memory per in-flight call). Cancelling the caller cancels this future only,
            # never the task.
            waiter = task.get_loop().create_future()
            wake = functools.partial(_wake, waiter)
            task.add_done_callback(wake)
            timer = None if seconds is None else task.get_loop().call_later(seconds, wake, None)
            try:
                await waiter
            except asyncio.CancelledError:
                self.abandon()
                raise
            finally:
                if timer is not None:
                    timer.cancel()
                task.remove_done_callback(wake)
            if not task.done():
                self.abandon()
                raise _DeadlineExceededError
        return task.result()

    async def next(self, seconds: float | None) -> tuple[Any, ...]:
        """The next item of a streaming exchange (`_DeadlineExceededError` after `seconds`)."""
        assert self._queue is not None
        if not self._queue.empty():
            return self._queue.get_nowait()
        getter = asyncio.ensure_future(self._queue.get())
        try:
            done, _ = await asyncio.wait(
                {getter, self.task}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            if not getter.done():
                getter.cancel()
        if getter in done:
            return getter.result()
        if not self._queue.empty():
            return self._queue.get_nowait()
        if self.task.done():
            # Ended without a final item: abandoned or failed in an unexpected way.
            exc = self.task.exception() if not self.task.cancelled() else None
            if exc is not None and not isinstance(exc, _AbandonedError):
                raise exc
            return ("error", httpx.ReadError("the response stream ended unexpectedly"))
        raise _DeadlineExceededError

    def abandon(self) -> None:
        """Stop the exchange and release its connection, without cancelling httpcore unsafely."""
        if self._abandoned or self.task.done():
            self._abandoned = True
            return
        self._abandoned = True
        phase = self._phase
        in_exchange = (
            "." in phase
            and phase.split(".", 1)[0] in ("http11", "http2")
            and (".response_closed." not in phase)
        )
        if self._at_own_await or in_exchange:
            self.task.cancel()


def _finished(task: asyncio.Task[Any]) -> None:
    _BACKGROUND.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: an abandoned exchange's error is nobody's concern


# --------------------------------------------------------------------------------------------
# Transport
# --------------------------------------------------------------------------------------------


class Reply(NamedTuple):
    """What the server answered to one attempt: status, headers and the whole body."""

    status: int
    headers: httpx.Headers
    content: bytes


class Transport:
    """Sends requests for one model configuration. Cheap to build; holds no connections.

    Every call runs the same driver: attempts until one succeeds, with `Attempts` (`_retry`)
    deciding after each failure whether to wait and try again or to raise. The sync and async
    drivers are line for line the same but for their I/O calls (and, for streams, `async for`
    where async generators have no `yield from`). Seams: `request`/`arequest` return the
    reply's status, headers and body for any method; `_decoder` is the one place that chooses
    a stream's decoder from the response headers.
    """

    __slots__ = (
        "_async_client",
        "_client",
        "_headers",
        "_secret",
        "base_url",
        "deadline",
        "max_retries",
        "timeout",
    )

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        secret: Secrets,
        timeout: float | None,
        max_retries: int,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self._headers = dict(headers)
        self._secret = secret
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 30.0) if timeout else None)
        self.deadline = float(timeout) if timeout is not None else None
        """Seconds one attempt may take in all (None: unbounded)."""
        self.max_retries = max(0, max_retries)
        self._client = http_client
        self._async_client = http_async_client

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def url(self, model: str, method: str) -> str:
        return f"{self.base_url}/v1beta/models/{model}:{method}"

    @property
    def client(self) -> httpx.Client:
        return self._client or shared_client()

    @property
    def async_client(self) -> httpx.AsyncClient:
        return self._async_client or shared_async_client()

    def _attempts(self, model: str | None) -> Attempts:
        return Attempts(max_retries=self.max_retries, deadline=self.deadline, model=model)

    # -- one-shot requests ---------------------------------------------------------------------

    # The public entries are plain functions handing back the driver's result (sync) or its
    # coroutine (async): one frame of ours per call in flight, not two (memory per call).

    def request(self, method: str, url: str, body: bytes | None, *, model: str | None) -> Reply:
        """The first 2xx reply to `method url`, retried per `Attempts`; else the typed error."""
        return self._request(method, url, body, model, None, False)  # type: ignore[no-any-return]

    def arequest(
        self, method: str, url: str, body: bytes | None, *, model: str | None
    ) -> Coroutine[Any, Any, Reply]:
        """The first 2xx reply to `method url`, retried per `Attempts`; else the typed error."""
        return self._arequest(method, url, body, model, None, False)

    def post_json(
        self, model: str, method: str, body: bytes, *, on_headers: OnHeaders | None = None
    ) -> Any:
        """POST `body` to the model's `:method`; the JSON of the first 2xx reply (whose
        headers go to `on_headers`)."""
        return self._request("POST", self.url(model, method), body, model, on_headers, True)

    def apost_json(
        self, model: str, method: str, body: bytes, *, on_headers: OnHeaders | None = None
    ) -> Coroutine[Any, Any, Any]:
        """POST `body` to the model's `:method`; the JSON of the first 2xx reply (whose
        headers go to `on_headers`)."""
        return self._arequest("POST", self.url(model, method), body, model, on_headers, True)

    def get_json(self, path: str) -> Any:
        """GET `{base_url}{path}` as JSON, retried and mapped like every other request."""
        return self._request("GET", self.base_url + path, None, None, None, True)

    def aget_json(self, path: str) -> Coroutine[Any, Any, Any]:
        """GET `{base_url}{path}` as JSON, retried and mapped like every other request."""
        return self._arequest("GET", self.base_url + path, None, None, None, True)

    def _request(
        self,
        method: str,
        url: str,
        body: bytes | None,
        model: str | None,
        on_headers: OnHeaders | None,
        as_json: bool,
    ) -> Any:
        attempts = self._attempts(model)
        while True:
            client = self.client  # outside the deadline: the first use builds the pool
            deadline = _SyncDeadline(attempts.deadline, pooled=self._client is None)
            try:
                # `client.stream()` without its context-manager frames (one call's worth).
                response = client.send(
                    client.build_request(
                        method,
                        url,
                        content=body,
                        headers=self._headers,
                        timeout=self.timeout,
                        extensions=deadline.extensions,
                    ),
                    stream=True,
                )
                try:
                    deadline.attach(response)
                    content = _read_sync(response, deadline)
                finally:
                    response.close()
                    # The connection is back in the pool, maybe already serving another call:
                    # the watchdog must never shut it down from here on (parsing the body and
                    # `on_headers` below run outside the deadline).
                    deadline.disarm()
            except httpx.HTTPError as exc:
                error = _exchange_error(exc, deadline, attempts)
            except _DeadlineExceededError:
                error = attempts.deadline_error()
            else:
                if response.status_code < 300:
                    return self._reply(response, content, model, on_headers, as_json)
                error = self._error(response.status_code, response.headers, content, model)
            finally:
                deadline.disarm()
            # Outside the `except`: the typed error raised here chains nothing of httpx's.
            time.sleep(attempts.failed(error))

    async def _arequest(
        self,
        method: str,
        url: str,
        body: bytes | None,
        model: str | None,
        on_headers: OnHeaders | None,
        as_json: bool,
    ) -> Any:
        attempts = self._attempts(model)
        while True:
            exchange = _AsyncExchange(
                self.async_client,
                method,
                url,
                content=body,
                headers=self._headers,
                timeout=self.timeout,
            )
            try:
                response: httpx.Response = await exchange.result(attempts.deadline)
            except httpx.HTTPError as exc:
                error = error_from_exception(exc, model=model)
            except _DeadlineExceededError:
                error = attempts.deadline_error()
            else:
                if response.status_code < 300:
                    return self._reply(response, response.content, model, on_headers, as_json)
                error = self._error(response.status_code, response.headers, response.content, model)
            await asyncio.sleep(attempts.failed(error))

    def _reply(
        self,
        response: httpx.Response,
        content: bytes,
        model: str | None,
        on_headers: OnHeaders | None,
        as_json: bool,
    ) -> Any:
        """What a 2xx attempt gives the caller: the `Reply`, or (`as_json`) the body's JSON,
        the headers handed to `on_headers` first. A body that is not JSON is not retried."""
        if not as_json:
            return Reply(response.status_code, response.headers, content)
        if on_headers is not None:
            on_headers(response.headers)
        return _json_body(content, model=model, secret=self._secret)

    def _error(
        self, status_code: int, headers: Mapping[str, str], body: bytes, model: str | None
    ) -> TokenhotError:
        return error_from_response(status_code, headers, body, model=model, secret=self._secret)

    # -- SSE streams ---------------------------------------------------------------------------

    def stream(
        self, model: str, body: bytes, *, on_headers: OnHeaders | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield each event of `:streamGenerateContent?alt=sse` as parsed JSON.

        Retried per `Attempts` only while nothing has been yielded; closing the generator closes
        the response and returns its connection to the pool. The headers of a 2xx response go
        to `on_headers` before its first event.
        """
        url = self.url(model, "streamGenerateContent") + "?alt=sse"
        attempts = self._attempts(model)
        while True:
            try:
                yield from self._stream_attempt(url, body, attempts, on_headers)
                return
            except TokenhotError as exc:
                error = exc
            time.sleep(attempts.failed(error))

    async def astream(
        self, model: str, body: bytes, *, on_headers: OnHeaders | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield each event of `:streamGenerateContent?alt=sse` as parsed JSON.

        Retried per `Attempts` only while nothing has been yielded; closing the generator (or
        cancelling the task iterating it) releases the connection. The headers of a 2xx
        response go to `on_headers` before its first event.
        """
        url = self.url(model, "streamGenerateContent") + "?alt=sse"
        attempts = self._attempts(model)
        while True:
            try:
                async with contextlib.aclosing(
                    self._astream_attempt(url, body, attempts, on_headers)
                ) as events:
                    async for event in events:
                        yield event
                return
            except TokenhotError as exc:
                error = exc
            await asyncio.sleep(attempts.failed(error))

    def _decoder(self, headers: httpx.Headers) -> StreamDecoder:
        """The decoder of a 2xx stream's body (the one place that chooses it): SSE, or the
        JSON array some gateways answer with, told apart by the body's first byte."""
        return StreamDecoder()

    def _stream_attempt(
        self, url: str, body: bytes, attempts: Attempts, on_headers: OnHeaders | None
    ) -> Iterator[dict[str, Any]]:
        """One sync attempt of a stream: its events, then (raised) the error that ended it."""
        client = self.client  # outside the deadline: the first use builds the pool
        deadline = _SyncDeadline(attempts.deadline, pooled=self._client is None)
        try:
            with client.stream(
                "POST",
                url,
                content=body,
                headers=self._headers,
                timeout=self.timeout,
                extensions=deadline.extensions,
            ) as response:
                deadline.attach(response)
                if response.status_code >= 300:
                    content = _read_sync(response, deadline)
                    error = self._error(
                        response.status_code, response.headers, content, attempts.model
                    )
                else:
                    if on_headers is not None:
                        on_headers(response.headers)
                    decoder = self._decoder(response.headers)
                    feed, event, model = decoder.feed, self._event, attempts.model
                    chunks = response.iter_bytes()
                    for chunk in chunks:
                        deadline.check()
                        ready = feed(chunk)
                        if ready:
                            first = event(ready[0], model, first=True)
                            # The deadline covers the wait for the first event only.
                            deadline.disarm()
                            attempts.delivered()
                            yield first
                            for data in ready[1:]:
                                yield event(data, model)
                            break
                    loads = orjson.loads
                    if (framing := decoder.framing) is not None:
                        feed = framing.feed  # the framing is known: skip the dispatch
                    for chunk in chunks:  # after the first event (if any): no deadline
                        for data in feed(chunk):
                            # `_event` inlined for the common case (a plain JSON object).
                            try:
                                parsed = loads(data)
                            except orjson.JSONDecodeError:
                                parsed = None
                            yield (
                                parsed
                                if type(parsed) is dict and "error" not in parsed
                                else event(data, model)  # raises the typed error
                            )
                    for data in decoder.flush():
                        last = event(data, model, final=True, first=not attempts.streamed)
                        deadline.disarm()
                        attempts.delivered()
                        yield last
                    return
        except httpx.HTTPError as exc:
            error = _exchange_error(exc, deadline, attempts)
        except _DeadlineExceededError:
            error = attempts.deadline_error()
        finally:
            deadline.disarm()
        _raise(error)

    async def _astream_attempt(
        self, url: str, body: bytes, attempts: Attempts, on_headers: OnHeaders | None
    ) -> AsyncGenerator[dict[str, Any], None]:
        """One async attempt of a stream: its events, then (raised) the error that ended it."""
        exchange = _AsyncExchange(
            self.async_client,
            "POST",
            url,
            streaming=True,
            content=body,
            headers=self._headers,
            timeout=self.timeout,
        )
        # The deadline covers the attempt up to its first event; then only each read is
        # bounded (by httpx's read timeout, inside the exchange).
        until = time.monotonic() + attempts.deadline if attempts.deadline is not None else None
        decoder = StreamDecoder()
        try:
            while True:
                left = None if attempts.streamed or until is None else until - time.monotonic()
                item = await exchange.next(left)
                kind = item[0]
                if kind == "chunk":
                    for data in decoder.feed(item[1]):
                        event = self._event(data, attempts.model, first=not attempts.streamed)
                        attempts.delivered()
                        yield event
                elif kind == "open":
                    if on_headers is not None:
                        on_headers(item[1])
                    decoder = self._decoder(item[1])
                elif kind == "end":
                    for data in decoder.flush():
                        event = self._event(
                            data, attempts.model, final=True, first=not attempts.streamed
                        )
                        attempts.delivered()
                        yield event
                    return
                elif kind == "status":
                    error = self._error(item[1], item[2], item[3], attempts.model)
                    break
                else:
                    error = error_from_exception(item[1], model=attempts.model)
                    break
        except _DeadlineExceededError:
            error = attempts.deadline_error()
        finally:
            # Early close, cancellation, a bad event: the connection goes, safely.
            exchange.abandon()
        _raise(error)

    def _event(
        self, data: bytes, model: str | None, *, final: bool = False, first: bool = False
    ) -> dict[str, Any]:
        """One SSE payload as an event; an error event or a malformed one is raised, typed."""
        try:
            event = orjson.loads(data)
        except orjson.JSONDecodeError:
            event = _NOT_JSON
        if type(event) is dict and "error" not in event:
            return event  # the common case, first
        if event is _NOT_JSON:
            what = "the stream ended in the middle of an event" if final else "an event is not JSON"
            snippet = scrubbed_text(data, self._secret, 200)
            _raise(TokenhotResponseError(f"{what}: {snippet!r}", status_code=200, model=model))
        if not isinstance(event, dict):
            _raise(
                TokenhotResponseError(
                    f"a stream event is not a JSON object: {type(event).__name__}",
                    status_code=200,
                    model=model,
                )
            )
        make = error_from_first_event if first else error_from_event
        _raise(make(event, model=model, secret=self._secret))

    # -- media downloads ---------------------------------------------------------------------

    def fetch(self, url: str, policy: MediaURLPolicy = DEFAULT_MEDIA_POLICY) -> Downloaded:
        """Download a media URL to inline it (see `_download`: policy, redirects, size cap)."""
        return download(url, policy, timeout=self.timeout, deadline=self.deadline)

    async def afetch(self, url: str, policy: MediaURLPolicy = DEFAULT_MEDIA_POLICY) -> Downloaded:
        return await adownload(url, policy, timeout=self.timeout, deadline=self.deadline)


_NOT_JSON = object()


def _exchange_error(
    exc: httpx.HTTPError, deadline: _SyncDeadline, attempts: Attempts
) -> TokenhotError:
    # A watchdog shutdown surfaces as a read error or an early EOF: report the deadline.
    if deadline.expired:
        return attempts.deadline_error()
    return error_from_exception(exc, model=attempts.model)


def _read_sync(response: httpx.Response, deadline: _SyncDeadline) -> bytes:
    """The whole body, checking the attempt's deadline between reads."""
    chunks = []
    for chunk in response.iter_bytes():
        deadline.check()
        chunks.append(chunk)
    return b"".join(chunks)
