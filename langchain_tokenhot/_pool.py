"""Pooled httpx clients and their lifecycle: one per process for sync calls, one per event loop
for async calls, keyed by purpose (`"api"` for Gemini calls; downloads may keep their own).

Every pooled client of the package is made here, so the process model is handled in one place:

* **Fork**: a forked child (`os.fork`, multiprocessing `fork`/`forkserver`, gunicorn
  `--preload`, celery prefork) starts with no clients, a fresh lock, and runs the hooks given to
  `after_fork_in_child` (the sync deadline watchdog renews its thread there). The parent's
  clients are dropped unused, not closed: their sockets are the parent's too (a keep-alive
  connection used by two processes is how their answers crossed), and the child's copies of the
  descriptors are released when the dropped clients are collected. A `spawn` child unpickles its
  models and builds clients of its own on first use.
* **Event loops**: a loop's clients are closed while the loop still runs its shutdown
  (`loop.shutdown_asyncgens()`, which `asyncio.run` and `asyncio.Runner` call before closing
  it), so one `asyncio.run(...)` per request does not grow file descriptors. A loop closed
  without that shutdown (`loop.close()` alone) can no longer run the close; its clients are
  dropped when the next loop makes its first client, and their sockets close when collected.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import os
import ssl
import threading
import urllib.request
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from typing import Any

import httpx

SHARDS = 64
SHARD_LIMITS = httpx.Limits(max_connections=16, max_keepalive_connections=16, keepalive_expiry=30.0)
"""Pool sizing. Each pooled client spreads its connections over up to `SHARDS` httpcore pools
of 16 connections, all kept alive, so up to 1,024 concurrent calls (sync threads, or async calls
in flight) reuse their connections instead of opening new ones. Before, one pool kept 20 idle:
640 calls on 32 threads opened 359 connections, and two waves of 1,000 async calls opened 1,980,
each a TLS handshake against HTTPS.

Why shards and not one pool keeping 1,000: on every request event httpcore's pool walks all its
connections once per idle connection (O(idle x total)) and probes each idle socket; two waves
of 1,000 calls on one pool keeping 1,000 idle cost 32 s of CPU per wave, against 3 s with 20
idle. A shard's walk stays within 16 x 16. A request goes to the shard with the fewest calls in
flight (the first one on ties, so a sequential caller keeps reusing one connection); a new
shard is made only when every existing one is busy.

`keepalive_expiry` 30 s instead of httpx's 5 s: bursts a few seconds apart (a batch, a slow
answer) keep their connections. A connection the server closed in the meantime is seen as
readable and discarded before reuse; one closed in the race is a connection error, retried."""

PoolKey = str | tuple[str, ...]
"""What a pooled client is kept under: its purpose, and whatever settings it was built with."""

_lock = threading.RLock()  # factories take it again for the SSL context
_ssl_context: ssl.SSLContext | None = None
_process_clients: dict[PoolKey, httpx.Client] = {}
_after_fork_hooks: list[Callable[[], None]] = []


class _LoopClients:
    """The clients of one event loop, and the async generator that closes them at its shutdown.

    The loop tracks the generator once it is started inside the loop, and `shutdown_asyncgens()`
    closes it there, which runs `_closer`'s `finally` while the loop can still await
    `aclose()`. Entries are held in `_loop_clients` by the loop itself (a strong key), because
    the clients' connections reference their loop anyway: a weak key could never be collected.
    """

    __slots__ = ("clients", "closer", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.clients: dict[PoolKey, httpx.AsyncClient] = {}
        self.closer = self._closer()

    def start(self) -> None:
        # Run the generator to its `yield` now, synchronously (nothing before it awaits):
        # calling `__anext__` registers it with the running loop's async-generator hooks.
        step = self.closer.__anext__()
        with contextlib.suppress(StopIteration):
            step.send(None)

    async def _closer(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            if _loop_clients.get(self.loop) is self:
                del _loop_clients[self.loop]
            clients, self.clients = list(self.clients.values()), {}
            for client in clients:
                with contextlib.suppress(Exception):
                    await client.aclose()

    def drop(self) -> None:
        """Forget the clients of a loop that closed without its shutdown; never awaits."""
        self.clients = {}
        # Finish the generator here: left to the garbage collector, the closed loop's
        # finalizer hook would try to schedule it and fail.
        step = self.closer.aclose()
        with contextlib.suppress(StopIteration, RuntimeError):
            step.send(None)


_loop_clients: dict[asyncio.AbstractEventLoop, _LoopClients] = {}


def after_fork_in_child(hook: Callable[[], None]) -> None:
    """Run `hook` in every forked child, after the pooled clients were dropped.

    For process-wide state of other modules that must not cross a fork (threads, locks)."""
    _after_fork_hooks.append(hook)


def _reset_in_child() -> None:
    global _lock
    _lock = threading.RLock()  # another thread may have held it at the fork
    _process_clients.clear()
    # Not closed: the sockets are shared with the parent, which may still be using them.
    entries = list(_loop_clients.values())
    _loop_clients.clear()
    for entry in entries:
        entry.drop()
    for hook in _after_fork_hooks:
        hook()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_reset_in_child)


def shared_ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once: loading the CA bundle takes ~0.1 s, which
    every new client (one per event loop) would otherwise pay again."""
    global _ssl_context
    if _ssl_context is None:
        with _lock:
            if _ssl_context is None:
                _ssl_context = httpx.create_ssl_context()
    return _ssl_context


def no_cookie_jar() -> http.cookiejar.CookieJar:
    """A cookie jar that stores nothing, for every pooled client.

    A pooled client serves every model of the process whatever its key (or media host), and
    httpx keeps the cookies an answer sets and sends them with the next request: a session
    cookie set by an answer to tenant A's call would go out with tenant B's. Nothing here needs
    cookies (the key is in a header), so none are kept.
    """
    return http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def process_client(name: PoolKey, factory: Callable[[], httpx.Client]) -> httpx.Client:
    """The process-wide client for `name`, made by `factory` on first use."""
    client = _process_clients.get(name)
    if client is None:
        with _lock:
            client = _process_clients.get(name)
            if client is None:
                client = _process_clients[name] = factory()
    return client


def loop_client(name: PoolKey, factory: Callable[[], httpx.AsyncClient]) -> httpx.AsyncClient:
    """The running event loop's client for `name`, made by `factory` on first use.

    Connections belong to the loop that opened them, so each loop gets clients of its own,
    closed at the loop's shutdown (see the module docstring).
    """
    loop = asyncio.get_running_loop()
    entry = _loop_clients.get(loop)
    if entry is None:
        entry = _new_loop_entry(loop)
    client = entry.clients.get(name)
    if client is None:
        client = entry.clients[name] = factory()
    return client


def _new_loop_entry(loop: asyncio.AbstractEventLoop) -> _LoopClients:
    # A new loop is rare (once per asyncio.run), so sweeping closed loops here costs nothing
    # on the per-call path.
    with _lock:
        closed = [entry for entry in list(_loop_clients.values()) if entry.loop.is_closed()]
        for old in closed:
            del _loop_clients[old.loop]
        entry = _loop_clients[loop] = _LoopClients(loop)
    for old in closed:
        old.drop()
    entry.start()
    return entry


class _Shard:
    __slots__ = ("in_flight", "transport")

    def __init__(self, transport: Any) -> None:
        self.transport = transport
        self.in_flight = 0


def _pick(shards: list[_Shard], new_transport: Callable[[], Any]) -> _Shard:
    """The shard for the next request (see `SHARD_LIMITS`), its count taken."""
    shard = None
    for candidate in shards:  # the first idle one, else the least busy (no key calls)
        if not candidate.in_flight:
            shard = candidate
            break
        if shard is None or candidate.in_flight < shard.in_flight:
            shard = candidate
    if shard is None or (shard.in_flight and len(shards) < SHARDS):
        shard = _Shard(new_transport())
        shards.append(shard)
    shard.in_flight += 1
    return shard


class _ShardedTransport(httpx.BaseTransport):
    """Sync calls spread over connection pools (see `SHARD_LIMITS`)."""

    def __init__(self) -> None:
        self.shards: list[_Shard] = []
        self._lock = threading.Lock()  # threads share the counts

    @staticmethod
    def _new_transport() -> httpx.HTTPTransport:
        return httpx.HTTPTransport(verify=shared_ssl_context(), limits=SHARD_LIMITS)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            shard = _pick(self.shards, self._new_transport)
        try:
            response: httpx.Response = shard.transport.handle_request(request)
        except BaseException:
            self._release(shard)
            raise
        response.stream = _ShardStream(response.stream, self, shard)
        return response

    def _release(self, shard: _Shard) -> None:
        with self._lock:
            shard.in_flight -= 1

    def close(self) -> None:
        for shard in self.shards:
            shard.transport.close()


class _ShardStream(httpx.SyncByteStream):
    """A response body that gives its shard's count back when closed."""

    __slots__ = ("_owner", "_shard", "_stream")

    def __init__(self, stream: Any, owner: _ShardedTransport, shard: _Shard) -> None:
        self._stream = stream
        self._owner = owner
        self._shard: _Shard | None = shard

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._stream)

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            shard, self._shard = self._shard, None
            if shard is not None:
                self._owner._release(shard)


class _AsyncShardedTransport(httpx.AsyncBaseTransport):
    """One event loop's async calls spread over connection pools (see `SHARD_LIMITS`). One
    thread runs a loop, so the counts need no lock."""

    def __init__(self) -> None:
        self.shards: list[_Shard] = []

    @staticmethod
    def _new_transport() -> httpx.AsyncHTTPTransport:
        return httpx.AsyncHTTPTransport(verify=shared_ssl_context(), limits=SHARD_LIMITS)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        shard = _pick(self.shards, self._new_transport)
        try:
            response: httpx.Response = await shard.transport.handle_async_request(request)
        except BaseException:
            shard.in_flight -= 1
            raise
        response.stream = _AsyncShardStream(response.stream, shard)
        return response

    async def aclose(self) -> None:
        for shard in self.shards:
            await shard.transport.aclose()


class _AsyncShardStream(httpx.AsyncByteStream):
    """A response body that gives its shard's count back when closed."""

    __slots__ = ("_shard", "_stream")

    def __init__(self, stream: Any, shard: _Shard) -> None:
        self._stream = stream
        self._shard: _Shard | None = shard

    def __aiter__(self) -> AsyncIterator[bytes]:
        # The inner iterator itself, not a generator around it: no extra step per chunk.
        return self._stream.__aiter__()  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            shard, self._shard = self._shard, None
            if shard is not None:
                shard.in_flight -= 1


PROXY_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=20)
"""With a proxy configured in the environment (`HTTPS_PROXY`, `ALL_PROXY`, ...), the shared
clients are plain httpx clients, as before sharding: httpx applies environment proxies (and
`NO_PROXY`) only to clients it builds the transport of, and all calls go through the proxy's
one pool anyway."""


def _environment_proxy() -> bool:
    # The same source httpx reads its environment proxies from.
    proxies = urllib.request.getproxies()
    return any(scheme in proxies for scheme in ("http", "https", "all"))


def _api_client() -> httpx.Client:
    if _environment_proxy():
        return httpx.Client(
            limits=PROXY_LIMITS,
            follow_redirects=False,
            verify=shared_ssl_context(),
            cookies=no_cookie_jar(),
        )
    return httpx.Client(
        transport=_ShardedTransport(), follow_redirects=False, cookies=no_cookie_jar()
    )


def _api_async_client() -> httpx.AsyncClient:
    if _environment_proxy():
        return httpx.AsyncClient(
            limits=PROXY_LIMITS,
            follow_redirects=False,
            verify=shared_ssl_context(),
            cookies=no_cookie_jar(),
        )
    return httpx.AsyncClient(
        transport=_AsyncShardedTransport(), follow_redirects=False, cookies=no_cookie_jar()
    )


def shared_client() -> httpx.Client:
    """The process-wide pooled client for Gemini calls (created on first use)."""
    return process_client("api", _api_client)


def shared_async_client() -> httpx.AsyncClient:
    """The running event loop's pooled client for Gemini calls."""
    return loop_client("api", _api_async_client)
