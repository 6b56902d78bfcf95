"""Shared pieces of the reliability suite (fault injection, time bounds, secrets, large inputs).

Everything runs against `FakeGemini` on 127.0.0.1, started and stopped by each test. Backoff is
real but tiny: `INITIAL_BACKOFF`, `MAX_BACKOFF` and `MAX_RETRY_DELAY` are scaled down so a case
with retries takes a fraction of a second, while the waits still happen (the server stamps the
arrival time of every attempt and the gaps between attempts are asserted).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from langchain_tokenhot import ChatTokenhotGemini, TokenhotError, _retry
from tests.support.fake_gemini import FakeGemini, RecordedRequest

SECRET = "AIzaSyRELIABILITY-secret_0123456789abcdefXYZ"
"""Shaped like a real Google key, so the key-pattern scans would also catch it."""

TIMEOUT = 0.2
"""`timeout` of the models in the fault suite (seconds per attempt)."""
INITIAL_BACKOFF = 0.04
MAX_BACKOFF = 0.12
MAX_RETRY_DELAY = 0.15
SLACK = 1.0
"""Allowance on top of every computed time bound (a busy 2-core CI machine)."""
HANG_LIMIT = 15.0
"""A call still running after this long is a hang: the test fails instead of blocking."""


def call_bound(max_retries: int, timeout: float = TIMEOUT) -> float:
    """The documented worst case of one call: every attempt times out, every wait is capped."""
    return (max_retries + 1) * timeout + max_retries * _retry.MAX_RETRY_DELAY


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


class Waits(list[float]):
    """The backoff delays the transport chose, in order (one per retry)."""


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> Waits:
    """Scaled-down backoff constants; records every delay the transport actually sleeps."""
    monkeypatch.setattr(_retry, "INITIAL_BACKOFF", INITIAL_BACKOFF)
    monkeypatch.setattr(_retry, "MAX_BACKOFF", MAX_BACKOFF)
    monkeypatch.setattr(_retry, "MAX_RETRY_DELAY", MAX_RETRY_DELAY)
    waits = Waits()
    real = _retry.backoff_delay

    def recording(attempt: int, error: TokenhotError) -> float:
        delay = real(attempt, error)
        waits.append(delay)
        return delay

    monkeypatch.setattr(_retry, "backoff_delay", recording)
    return waits


class Stamps:
    """Wraps script items so the server notes when each request arrived (`time.monotonic`)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def wrap(self, item: Any) -> Any:
        def responder(request: RecordedRequest) -> Any:
            self.times.append(time.monotonic())
            return item

        return responder

    @property
    def gaps(self) -> list[float]:
        return [b - a for a, b in zip(self.times, self.times[1:], strict=False)]


def make(server_or_url: FakeGemini | str, **kw: Any) -> ChatTokenhotGemini:
    base_url = server_or_url if isinstance(server_or_url, str) else server_or_url.base_url
    kw.setdefault("timeout", TIMEOUT)
    return ChatTokenhotGemini(
        model=kw.pop("model", "gemini-2.5-flash"), api_key=SECRET, base_url=base_url, **kw
    )


def pool_connections(client: httpx.Client | httpx.AsyncClient) -> list[Any]:
    """The httpcore connections held by an httpx client's pool (test-only introspection);
    the package's shared clients spread them over several pools (`_pool.SHARD_LIMITS`)."""
    transport: Any = client._transport  # type: ignore[union-attr]
    pools = (
        [s.transport._pool for s in transport.shards]
        if hasattr(transport, "shards")
        else [transport._pool]
    )
    return [connection for pool in pools for connection in pool.connections]


def busy_connections(client: httpx.Client | httpx.AsyncClient, port: int) -> list[Any]:
    """Connections to 127.0.0.1:`port` still checked out of the pool (a leaked response)."""
    busy = []
    for conn in pool_connections(client):
        origin = conn._origin
        if origin.port == port and not (conn.is_idle() or conn.is_closed()):
            busy.append(conn)
    return busy


def assert_released(server: FakeGemini, client: httpx.Client | httpx.AsyncClient) -> None:
    """No connection of this server is still in use on either side.

    Client side: nothing is checked out of the pool. Server side: at most one connection is
    open (the idle keep-alive one the pool may keep).
    """
    assert busy_connections(client, server.port) == []
    assert server.wait_until(lambda: server.open_connections <= 1, timeout=3.0), (
        f"{server.open_connections} connections still open at the server"
    )
