"""How long a call can take: the per-attempt deadline, the retry cap, and the documented bound.

`docs/reliability.md` promises that a call takes at most
`(max_retries + 1) * timeout + max_retries * MAX_RETRY_DELAY`: each attempt is cut at `timeout`
however the server behaves (silent, trickling, slow headers), and no wait between attempts
exceeds `MAX_RETRY_DELAY`, whatever Retry-After or RetryInfo says.
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC
from pathlib import Path

import pytest

from langchain_tokenhot import (
    ChatTokenhotGemini,
    TokenhotRateLimitError,
    TokenhotServerError,
    TokenhotTimeoutError,
    _errors,
    _retry,
)
from langchain_tokenhot._errors import error_from_response
from langchain_tokenhot._retry import backoff_delay
from tests.reliability.conftest import SLACK, Stamps, call_bound, make
from tests.support.fake_gemini import (
    DefaultResponder,
    FakeGemini,
    error,
    rate_limited,
    slow_body,
    sse,
    text_events,
    text_response,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def test_shipped_constants_match_the_documentation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real values, not the suite's scaled-down ones
    text = DOC.read_text()
    assert _retry.MAX_RETRY_DELAY == 60.0
    assert "60 s" in text and "MAX_RETRY_DELAY" in text
    assert f"{_retry.INITIAL_BACKOFF:g} s" in text
    assert f"{_retry.MAX_BACKOFF:g} s" in text
    assert "(max_retries + 1) * timeout + max_retries * MAX_RETRY_DELAY" in text
    assert _retry.MAX_BACKOFF <= _retry.MAX_RETRY_DELAY
    default_timeout = ChatTokenhotGemini.model_fields["timeout"].default
    assert f"{default_timeout:g} s" in text
    for status in sorted(_errors.RETRYABLE_STATUS):
        assert str(status) in text


@pytest.mark.parametrize(
    "retry_after",
    [0.0, 0.3, 59.9, 60.0, 61.0, 3600.0, 86400.0 * 365, math.inf],
)
def test_no_wait_exceeds_the_cap(monkeypatch: pytest.MonkeyPatch, retry_after: float) -> None:
    monkeypatch.undo()
    err = TokenhotRateLimitError("x", retry_after=retry_after)
    for attempt in range(12):
        assert 0.0 <= backoff_delay(attempt, err) <= _retry.MAX_RETRY_DELAY
    plain = TokenhotServerError("x")
    for attempt in range(64):
        assert 0.0 < backoff_delay(attempt, plain) <= _retry.MAX_BACKOFF


@pytest.mark.parametrize(
    ("headers", "details", "expected"),
    [
        ({"retry-after": "7"}, [], 7.0),
        ({"retry-after": "1.5"}, [], 1.5),
        ({"retry-after": "-3"}, [], 0.0),
        ({"retry-after": "nan"}, [], None),
        ({"retry-after": "soon"}, [], None),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, [], 0.0),
        ({}, [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s"}], 30.0),
        ({}, [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.5s"}], 0.5),
        ({}, [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": 12}], 12.0),
        ({}, [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "x"}], None),
        ({}, [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": None}], None),
        ({}, [{"@type": "type.googleapis.com/google.rpc.RetryInfo"}], None),
        ({}, ["RetryInfo", 5, None], None),
    ],
)
def test_server_delay_hints_are_read_leniently(
    headers: dict[str, str], details: list[object], expected: float | None
) -> None:
    """A hint we cannot read falls back to the computed backoff; it never raises."""
    import orjson

    body = orjson.dumps({"error": {"code": 429, "message": "quota", "details": details}})
    err = error_from_response(429, headers, body)
    assert isinstance(err, TokenhotRateLimitError)
    assert err.retry_after == expected


def test_retry_after_in_the_future_as_http_date() -> None:
    from datetime import datetime, timedelta
    from email.utils import format_datetime

    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    err = error_from_response(429, {"retry-after": when}, b"")
    assert err.retry_after is not None and 25 <= err.retry_after <= 31


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_huge_retry_delay_is_capped_and_waited(server: FakeGemini, flavour: str) -> None:
    """A day-long RetryInfo becomes one MAX_RETRY_DELAY wait, measured at the server."""
    stamps = Stamps()
    server.enqueue(stamps.wrap(rate_limited(retry_after=None, retry_delay="86400s")))
    server.default = stamps.wrap(DefaultResponder())
    llm = make(server, max_retries=1, timeout=5)
    start = time.monotonic()
    if flavour == "sync":
        await asyncio.to_thread(llm.invoke, "hi")
    else:
        await llm.ainvoke("hi")
    elapsed = time.monotonic() - start
    assert len(stamps.times) == 2
    assert stamps.gaps[0] >= _retry.MAX_RETRY_DELAY - 0.01
    assert elapsed < _retry.MAX_RETRY_DELAY + SLACK


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize(
    "fault",
    ["trickling-body", "trickling-sse-before-first-event", "retry-after-storm"],
)
async def test_worst_case_stays_within_the_documented_bound(
    server: FakeGemini, flavour: str, fault: str
) -> None:
    """Every attempt fails as slowly as the server can make it: still within the bound."""
    retries = 1
    if fault == "trickling-body":
        # 2 s per attempt if we only had httpx's per-read timeout.
        server.default = slow_body(0.04, text_response("y" * 800), chunk_size=16)
        kind, expected = "invoke", TokenhotTimeoutError
    elif fault == "trickling-sse-before-first-event":
        server.default = sse([b": still thinking\n\n"] * 50 + text_events(["a"]), delay_s=0.04)
        kind, expected = "stream", TokenhotTimeoutError
    else:
        server.default = rate_limited(retry_after=3600, retry_delay=None)
        kind, expected = "invoke", TokenhotRateLimitError
    llm = make(server, max_retries=retries)

    def run_sync() -> None:
        if kind == "invoke":
            llm.invoke("hi")
        else:
            list(llm.stream("hi"))

    async def run_async() -> None:
        if kind == "invoke":
            await llm.ainvoke("hi")
        else:
            [c async for c in llm.astream("hi")]

    start = time.monotonic()
    with pytest.raises(expected):
        if flavour == "sync":
            await asyncio.to_thread(run_sync)
        else:
            await run_async()
    elapsed = time.monotonic() - start
    assert len(server.requests) == retries + 1
    assert elapsed <= call_bound(retries) + SLACK, f"{elapsed:.2f} s"
    if fault != "retry-after-storm":
        # Each attempt really waited for its deadline (the bound is not met by giving up early).
        assert elapsed >= (retries + 1) * llm.timeout * 0.9  # type: ignore[operator]


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_no_timeout_means_no_deadline(server: FakeGemini, flavour: str) -> None:
    """timeout=None: a slow but steady answer is waited for, however long it takes."""
    server.default = slow_body(0.02, text_response("z" * 100), chunk_size=16)
    llm = make(server, timeout=None, max_retries=0)
    if flavour == "sync":
        msg = await asyncio.to_thread(llm.invoke, "hi")
    else:
        msg = await llm.ainvoke("hi")
    assert msg.text == "z" * 100


async def test_backoff_grows_between_attempts(server: FakeGemini) -> None:
    """Without a server hint the waits grow exponentially (jittered), seen from the server."""
    stamps = Stamps()
    for _ in range(4):
        server.enqueue(stamps.wrap(error(503)))
    server.default = stamps.wrap(DefaultResponder())
    await make(server, max_retries=4, timeout=5).ainvoke("hi")
    assert len(stamps.gaps) == 4
    for i, gap in enumerate(stamps.gaps):
        ceiling = min(_retry.INITIAL_BACKOFF * 2**i, _retry.MAX_BACKOFF)
        assert gap >= ceiling / 2 - 0.01
    assert stamps.gaps[2] > stamps.gaps[0]
