"""Cancellation and concurrency: a cancelled or timed-out call gives its connection back.

httpcore 1.0 leaks pool connections when a cancellation lands while it sets a connection up or
closes a finished response (encode/httpcore#658, #830, #1093); the transport runs each async
exchange in its own task so that never happens. These tests cancel calls at chosen and at
random moments and check the pool afterwards (nothing checked out, the server sees at most the
idle keep-alive connection) and that the next call works.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import pytest

from langchain_tokenhot import TokenhotError, TokenhotServerError, _retry
from langchain_tokenhot._pool import shared_async_client, shared_client
from tests.reliability.conftest import assert_released, busy_connections, make, pool_connections
from tests.support.fake_gemini import (
    DefaultResponder,
    FakeGemini,
    error,
    rate_limited,
    slow_body,
    sse,
    stall,
    text_events,
    text_response,
)

EVENTS = text_events([f"{i} " for i in range(40)])


async def _released_soon(server: FakeGemini, timeout: float = 2.0) -> None:
    """The abandoned exchange unwinds in the background within milliseconds."""
    client = shared_async_client()
    deadline = time.monotonic() + timeout
    while busy_connections(client, server.port) and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    assert busy_connections(client, server.port) == []


async def _cancel_after(coro: Any, delay: float) -> BaseException | Any:
    task = asyncio.ensure_future(coro)
    await asyncio.sleep(delay)
    task.cancel()
    try:
        return await task
    except BaseException as exc:  # CancelledError is what we expect
        return exc


async def _healthy_call(server: FakeGemini) -> None:
    server.clear()
    server.default = DefaultResponder()
    assert (await make(server, timeout=5).ainvoke("again")).text


@pytest.mark.parametrize("warm", [False, True], ids=["new-connection", "reused-connection"])
@pytest.mark.parametrize(
    "fault",
    ["stall-before-headers", "slow-body", "sse-stall-before-event", "sse-mid-stream"],
)
async def test_cancelled_call_releases_its_connection(
    server: FakeGemini, warm: bool, fault: str
) -> None:
    llm = make(server, timeout=None)  # only the cancellation ends these calls
    if warm:
        assert (await llm.ainvoke("warm up")).text
    actions = {
        "stall-before-headers": stall(seconds=0.3),
        "slow-body": slow_body(0.02, text_response("x" * 400), chunk_size=8),
        "sse-stall-before-event": stall(after_headers=True, seconds=0.3),
        "sse-mid-stream": sse(EVENTS, delay_s=0.02),
    }
    server.default = actions[fault]

    async def call() -> Any:
        if fault.startswith("sse"):
            return [c async for c in llm.astream("hi")]
        return await llm.ainvoke("hi")

    outcome = await _cancel_after(call(), 0.1)
    assert isinstance(outcome, asyncio.CancelledError)
    await _released_soon(server)
    await _healthy_call(server)
    assert_released(server, shared_async_client())


async def test_breaking_out_of_astream_releases_the_connection(server: FakeGemini) -> None:
    server.default = sse(EVENTS, delay_s=0.01)
    llm = make(server, timeout=5)
    stream = llm.astream("hi")
    got = [chunk async for chunk in _take(stream, 3)]
    await stream.aclose()  # type: ignore[attr-defined]
    assert len(got) == 3
    await _released_soon(server)
    await _healthy_call(server)
    assert server.total_connections <= 1  # the closed stream's connection was not reused


async def _take(stream: Any, n: int) -> Any:
    i = 0
    async for chunk in stream:
        yield chunk
        i += 1
        if i == n:
            return


async def test_cancel_during_backoff(server: FakeGemini, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancelled while sleeping before a retry: nothing is in flight, nothing is held."""
    monkeypatch.setattr(_retry, "MAX_RETRY_DELAY", 5.0)
    server.default = rate_limited(retry_after=5, retry_delay=None)
    outcome = await _cancel_after(make(server, max_retries=3).ainvoke("hi"), 0.15)
    assert isinstance(outcome, asyncio.CancelledError)
    assert len(server.requests) == 1
    await _healthy_call(server)
    assert_released(server, shared_async_client())


@pytest.mark.parametrize("kind", ["invoke", "stream"])
async def test_random_cancellation_points_never_leak(server: FakeGemini, kind: str) -> None:
    """Cancel at random moments: during connect, send, headers, body, close, backoff."""
    rng = random.Random(7)
    server.latency_s = 0.002
    server.default = DefaultResponder(chunks=4, event_delay_s=0.001)
    llm = make(server, timeout=None)

    async def call() -> Any:
        if kind == "stream":
            return [c async for c in llm.astream("hi")]
        return await llm.ainvoke("hi")

    outcomes: dict[str, int] = {}
    for _ in range(50):
        outcome = await _cancel_after(call(), rng.uniform(0.0, 0.008))
        name = type(outcome).__name__ if isinstance(outcome, BaseException) else "ok"
        outcomes[name] = outcomes.get(name, 0) + 1
        await _released_soon(server)
    assert outcomes.get("CancelledError", 0) > 15, outcomes
    assert set(outcomes) <= {"CancelledError", "ok"}, outcomes
    await _healthy_call(server)


@pytest.mark.parametrize("kind", ["invoke", "stream"])
async def test_random_deadlines_never_leak_async(server: FakeGemini, kind: str) -> None:
    """Timeouts so short that the attempt deadline fires at every possible step."""
    rng = random.Random(11)
    server.latency_s = 0.002
    outcomes: dict[str, int] = {}
    for _ in range(50):
        llm = make(server, timeout=rng.uniform(0.0005, 0.008), max_retries=0)
        try:
            if kind == "stream":
                [c async for c in llm.astream("hi")]
            else:
                await llm.ainvoke("hi")
            name = "ok"
        except TokenhotError as exc:
            name = type(exc).__name__
        outcomes[name] = outcomes.get(name, 0) + 1
        await _released_soon(server)
    assert set(outcomes) <= {"ok", "TokenhotTimeoutError"}, outcomes
    # How many of 50 deadlines fire depends on the machine's speed (10-25 seen); what matters is
    # that many did and none leaked.
    assert outcomes.get("TokenhotTimeoutError", 0) >= 5, outcomes
    await _healthy_call(server)


@pytest.mark.parametrize("kind", ["invoke", "stream"])
def test_random_deadlines_never_leak_sync(server: FakeGemini, kind: str) -> None:
    """The sync watchdog cuts sockets at the deadline, never a connection back in the pool."""
    rng = random.Random(13)
    server.latency_s = 0.002
    outcomes: dict[str, int] = {}
    client = shared_client()
    for _ in range(60):
        llm = make(server, timeout=rng.uniform(0.0005, 0.008), max_retries=0)
        try:
            if kind == "stream":
                list(llm.stream("hi"))
            else:
                llm.invoke("hi")
            name = "ok"
        except TokenhotError as exc:
            name = type(exc).__name__
        outcomes[name] = outcomes.get(name, 0) + 1
        assert busy_connections(client, server.port) == []
    assert set(outcomes) <= {"ok", "TokenhotTimeoutError"}, outcomes
    # How many of 50 deadlines fire depends on the machine's speed (10-25 seen); what matters is
    # that many did and none leaked.
    assert outcomes.get("TokenhotTimeoutError", 0) >= 5, outcomes
    # A pooled connection the watchdog might have shut down by mistake would fail this call.
    server.default = DefaultResponder()
    for _ in range(5):
        assert make(server, timeout=5, max_retries=0).invoke("again").text
    assert_released(server, client)


async def test_200_concurrent_calls_against_a_failing_server(server: FakeGemini) -> None:
    server.default = error(503)
    llm = make(server, max_retries=1, timeout=10)
    start = time.monotonic()
    results = await asyncio.gather(
        *(llm.ainvoke(f"q{i}") for i in range(200)), return_exceptions=True
    )
    elapsed = time.monotonic() - start
    assert all(type(r) is TokenhotServerError for r in results), {type(r) for r in results}
    assert len(server.requests) == 400  # every call: one attempt and one retry
    client = shared_async_client()
    assert busy_connections(client, server.port) == []
    # The idle ones stay pooled for reuse (`_pool.SHARD_LIMITS`); none leaked as busy (above).
    assert elapsed < 8, f"200 failing calls took {elapsed:.1f} s"

    server.clear()
    server.default = DefaultResponder()
    assert (await llm.ainvoke("healthy")).text
    assert server.total_connections == 0  # served on an idle pooled connection
    print(f"\n200 concurrent failing calls: {elapsed:.2f} s")


async def test_200_concurrent_calls_cancelled_mid_flight(server: FakeGemini) -> None:
    """All 200 requests are at the server, waiting for an answer, when they are cancelled."""
    server.default = stall(seconds=1.0)
    llm = make(server, timeout=None)
    tasks = [asyncio.ensure_future(llm.ainvoke(f"q{i}")) for i in range(200)]
    deadline = time.monotonic() + 10
    while len(server.requests) < 200 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert len(server.requests) == 200
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    await _released_soon(server, timeout=5)
    assert pool_connections(shared_async_client()) == []  # every one was closed, not pooled
    assert server.wait_until(lambda: server.open_connections == 0, timeout=10), (
        server.open_connections
    )
    await _healthy_call(server)
