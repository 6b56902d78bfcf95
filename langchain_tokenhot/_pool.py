"""Pooled httpx clients and their lifecycle: one per process for sync calls, one per event loop
for async calls, keyed by purpose (`"api"` for Gemini calls; downloads may keep their own).

Every pooled client of the package is made here, so process-model concerns (a forked child, a
finished event loop) are handled in one place.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import weakref
from collections.abc import Callable

import httpx

LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=20)
"""Many concurrent calls, few idle connections kept: httpcore's pool scans its idle connections
for every connection on each request (O(idle x total)), so 100 idle connections made a second
wave of 200 concurrent calls cost ~5 s of event-loop CPU against ~1.5 s with 20."""

_lock = threading.RLock()  # factories take it again for the SSL context
_ssl_context: ssl.SSLContext | None = None
_process_clients: dict[str, httpx.Client] = {}
_loop_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[str, httpx.AsyncClient]
] = weakref.WeakKeyDictionary()


def shared_ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once: loading the CA bundle takes ~0.1 s, which
    every new client (one per event loop) would otherwise pay again."""
    global _ssl_context
    if _ssl_context is None:
        with _lock:
            if _ssl_context is None:
                _ssl_context = httpx.create_ssl_context()
    return _ssl_context


def process_client(name: str, factory: Callable[[], httpx.Client]) -> httpx.Client:
    """The process-wide client for `name`, made by `factory` on first use."""
    client = _process_clients.get(name)
    if client is None:
        with _lock:
            client = _process_clients.get(name)
            if client is None:
                client = _process_clients[name] = factory()
    return client


def loop_client(name: str, factory: Callable[[], httpx.AsyncClient]) -> httpx.AsyncClient:
    """The running event loop's client for `name`, made by `factory` on first use.

    Connections belong to the loop that opened them, so each loop gets clients of its own.
    """
    loop = asyncio.get_running_loop()
    clients = _loop_clients.get(loop)
    if clients is None:
        clients = _loop_clients[loop] = {}
    client = clients.get(name)
    if client is None:
        client = clients[name] = factory()
    return client


def _api_client() -> httpx.Client:
    return httpx.Client(limits=LIMITS, follow_redirects=False, verify=shared_ssl_context())


def _api_async_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(limits=LIMITS, follow_redirects=False, verify=shared_ssl_context())


def shared_client() -> httpx.Client:
    """The process-wide pooled client for Gemini calls (created on first use)."""
    return process_client("api", _api_client)


def shared_async_client() -> httpx.AsyncClient:
    """The running event loop's pooled client for Gemini calls."""
    return loop_client("api", _api_async_client)
