"""The fault table: every fault the fake server can inject × sync/async × invoke/stream.

Each case scripts the server (a queue of faulty answers, then healthy ones, or a faulty default)
and states the outcome: success or the typed error, how many attempts the server must see, and
the minimum wait before each retry. For every case and mode the test also checks that

* the call ends within the documented bound `(max_retries + 1) * timeout + max_retries *
  MAX_RETRY_DELAY` (plus slack), and never hangs;
* the server saw exactly the expected attempts, spaced by at least the expected backoff
  (arrival times are stamped by the server), and the transport chose those waits;
* no connection is left checked out of the pool or open at the server (one idle keep-alive
  connection allowed), and a normal call right after succeeds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from langchain_tokenhot import (
    TokenhotAuthenticationError,
    TokenhotConnectionError,
    TokenhotError,
    TokenhotInvalidRequestError,
    TokenhotNotFoundError,
    TokenhotPermissionDeniedError,
    TokenhotRateLimitError,
    TokenhotResponseError,
    TokenhotServerError,
    TokenhotTimeoutError,
    _retry,
)
from langchain_tokenhot._pool import shared_async_client, shared_client
from tests.reliability.conftest import (
    HANG_LIMIT,
    SECRET,
    SLACK,
    Stamps,
    Waits,
    assert_released,
    call_bound,
    make,
)
from tests.support.fake_gemini import (
    DefaultResponder,
    FakeGemini,
    close_without_response,
    cut_sse_between_events,
    cut_sse_mid_event,
    empty_error,
    error,
    from_sample,
    google_error,
    html_error,
    json_response,
    malformed_json,
    rate_limited,
    raw,
    reset,
    slow_body,
    slow_headers,
    sse,
    stall,
    text_events,
    text_response,
    truncated_json,
    unused_port,
    wrong_shape_json,
)

EVENTS = text_events(["The ", "quick ", "fox."])
OPENAI_ERROR = {
    "error": {"message": "upstream overloaded (request id: x1)", "type": "new_api_error"}
}
OPENAI_AUTH_ERROR = {
    "error": {"message": "invalid token", "type": "new_api_error", "code": "invalid_token"}
}
STALL_S = 0.35
"""How long stalling faults stay silent: longer than TIMEOUT, short enough to let the server
close its side soon after the client gave up."""

# A body that trickles out in 0.04 s steps for ~1 s: no single read takes `timeout`, the whole
# answer does.
SLOW = text_response("x" * 300)


def late(seconds: float) -> Any:
    """Silence for `seconds`, then a healthy answer."""
    return slow_headers(seconds, then=DefaultResponder())


@dataclass(frozen=True)
class Case:
    id: str
    script: Callable[[], Sequence[Any]] = list
    """Faulty answers queued in order; healthy answers follow unless `default` is set."""
    default: Callable[[], Any] | None = None
    """The answer once the script is used up (None: the healthy default responder)."""
    expect: type[TokenhotError] | None = None
    """None: the call succeeds."""
    attempts: int = 1
    max_retries: int = 2
    kinds: tuple[str, ...] = ("invoke", "stream")
    hints: tuple[float | None, ...] = ()
    """Per retry: the delay the server asked for (None: computed backoff). Default: all None."""
    match: str | None = None
    refused: bool = False


CASES: list[Case] = [
    # -- retried, then success ----------------------------------------------------------------
    Case("429-retry-after", lambda: [rate_limited(retry_after=1, retry_delay=None)],
         attempts=2, hints=(1.0,)),
    Case("429-retryinfo", lambda: [rate_limited(retry_after=None, retry_delay="0.1s")],
         attempts=2, hints=(0.1,)),
    Case("429-retryinfo-huge-is-capped",
         lambda: [rate_limited(retry_after=None, retry_delay="86400s")],
         attempts=2, hints=(86400.0,)),
    Case("429-retry-after-wins-over-retryinfo",
         lambda: [rate_limited(retry_after="0.1", retry_delay="86400s")],
         attempts=2, hints=(0.1,)),
    Case("429-retry-after-http-date-in-the-past",
         lambda: [error(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})],
         attempts=2, hints=(0.0,)),
    Case("429-retry-after-unparseable", lambda: [error(429, headers={"Retry-After": "soon"})],
         attempts=2),
    Case("5xx-burst", lambda: [error(500), error(502), error(503), error(504)],
         attempts=5, max_retries=4),
    Case("408", lambda: [error(408)], attempts=2),
    Case("html-502", lambda: [html_error(502)], attempts=2),
    Case("html-504-then-empty-503", lambda: [html_error(504), empty_error(503)], attempts=3),
    Case("openai-shaped-503", lambda: [error(503, OPENAI_ERROR)], attempts=2),
    Case("reseller-wrapped-503", lambda: [from_sample("error_reseller_wrapped_503")],
         attempts=2),
    Case("reset", lambda: [reset()], attempts=2),
    Case("close-without-response", lambda: [close_without_response()], attempts=2),
    Case("garbage-status-line", lambda: [raw(b"NOT-HTTP garbage\r\n\r\n")], attempts=2),
    Case("truncated-json", lambda: [truncated_json()], attempts=2),
    Case("slow-headers-past-timeout", lambda: [late(STALL_S)], attempts=2),
    Case("slow-headers-within-timeout", lambda: [late(0.05)], attempts=1),
    Case("stall-before-headers", lambda: [stall(seconds=STALL_S)], attempts=2),
    Case("slow-body-past-timeout", lambda: [slow_body(0.04, SLOW, chunk_size=16)],
         attempts=2, kinds=("invoke",)),
    Case("sse-stall-before-first-event", lambda: [stall(after_headers=True, seconds=STALL_S)],
         attempts=2, kinds=("stream",)),
    Case("sse-keepalive-trickle-before-first-event",
         lambda: [sse([b": keep-alive\n\n"] * 25 + list(EVENTS), delay_s=0.04)],
         attempts=2, kinds=("stream",)),
    Case("sse-cut-before-first-event", lambda: [cut_sse_between_events(EVENTS, after=0)],
         attempts=2, kinds=("stream",)),
    Case("sse-cut-inside-first-event", lambda: [cut_sse_mid_event(EVENTS, after=0)],
         attempts=2, kinds=("stream",)),
    Case("sse-last-event-without-blank-line",
         lambda: [sse([*EVENTS[:-1], b"data: " + _json(EVENTS[-1])])],
         attempts=1, kinds=("stream",)),
    Case("sse-split-every-3-bytes", lambda: [sse(EVENTS, chunk_size=3)],
         attempts=1, kinds=("stream",)),
    Case("sse-error-event-first-then-ok", lambda: [sse([google_error(503, "overloaded")])],
         attempts=2, kinds=("stream",)),
    Case("sse-rate-limit-event-first-then-ok", lambda: [sse([google_error(429)])],
         attempts=2, kinds=("stream",)),
    # -- retries used up ----------------------------------------------------------------------
    Case("429-exhausted", default=lambda: rate_limited(retry_after="0.05", retry_delay=None),
         expect=TokenhotRateLimitError, attempts=3, hints=(0.05, 0.05)),
    Case("503-exhausted", default=lambda: error(503), expect=TokenhotServerError, attempts=3),
    Case("html-502-no-retries", default=lambda: html_error(502), expect=TokenhotServerError,
         attempts=1, max_retries=0),
    Case("reset-exhausted", default=reset, expect=TokenhotConnectionError, attempts=2,
         max_retries=1),
    Case("stall-exhausted", default=lambda: stall(seconds=STALL_S),
         expect=TokenhotTimeoutError, attempts=2, max_retries=1),
    Case("slow-body-exhausted", default=lambda: slow_body(0.04, SLOW, chunk_size=16),
         expect=TokenhotTimeoutError, attempts=2, max_retries=1, kinds=("invoke",)),
    Case("sse-stall-exhausted", default=lambda: stall(after_headers=True, seconds=STALL_S),
         expect=TokenhotTimeoutError, attempts=2, max_retries=1, kinds=("stream",)),
    Case("refused", expect=TokenhotConnectionError, attempts=3, refused=True),
    # -- never retried ------------------------------------------------------------------------
    Case("400", default=lambda: error(400), expect=TokenhotInvalidRequestError),
    Case("400-api-key-invalid", default=lambda: from_sample("error_400_api_key_invalid"),
         expect=TokenhotAuthenticationError),
    Case("401", default=lambda: error(401), expect=TokenhotAuthenticationError),
    Case("401-openai-shaped", default=lambda: error(401, OPENAI_AUTH_ERROR),
         expect=TokenhotAuthenticationError),
    Case("403", default=lambda: error(403), expect=TokenhotPermissionDeniedError),
    Case("404", default=lambda: error(404), expect=TokenhotNotFoundError),
    Case("413-html", default=lambda: html_error(413), expect=TokenhotInvalidRequestError),
    Case("malformed-json", default=malformed_json, expect=TokenhotResponseError,
         kinds=("invoke",), match="not JSON"),
    Case("wrong-shape-json", default=wrong_shape_json, expect=TokenhotResponseError,
         kinds=("invoke",)),
    Case("json-array-body", default=lambda: json_response([1, 2]), expect=TokenhotResponseError,
         kinds=("invoke",)),
    Case("json-to-a-stream-request", default=lambda: json_response(text_response("hi")),
         expect=TokenhotResponseError, kinds=("stream",)),
    Case("sse-event-not-json", default=lambda: sse(["{not json"]),
         expect=TokenhotResponseError, kinds=("stream",), match="not JSON"),
    Case("sse-event-wrong-shape", default=lambda: sse([{"candidates": "oops"}]),
         expect=TokenhotResponseError, kinds=("stream",)),
    Case("sse-event-not-an-object", default=lambda: sse([[1, 2]]),
         expect=TokenhotResponseError, kinds=("stream",)),
    Case("sse-empty-200", default=lambda: sse([]), expect=TokenhotResponseError,
         kinds=("stream",), match="finishReason"),
    Case("sse-error-event-first-is-an-http-error",
         default=lambda: sse([google_error(503, "overloaded")]),
         expect=TokenhotServerError, attempts=3, kinds=("stream",), match="overloaded"),
    Case("sse-error-event-first-400", default=lambda: sse([google_error(400, "bad field")]),
         expect=TokenhotInvalidRequestError, kinds=("stream",), match="bad field"),
    Case("sse-error-event-first-without-code", default=lambda: sse([{"error": {"message": "odd"}}]),
         expect=TokenhotResponseError, kinds=("stream",), match="odd"),
    Case("sse-error-event-after-output",
         default=lambda: sse([EVENTS[0], google_error(500, "boom")]),
         expect=TokenhotResponseError, kinds=("stream",), match="boom"),
    Case("sse-cut-mid-event", default=lambda: cut_sse_mid_event(EVENTS, after=1),
         expect=TokenhotResponseError, kinds=("stream",), match="cut short"),
    Case("sse-cut-mid-event-rst", default=lambda: cut_sse_mid_event(EVENTS, after=1, rst=True),
         expect=TokenhotResponseError, kinds=("stream",), match="cut short"),
    Case("sse-cut-between-events", default=lambda: cut_sse_between_events(EVENTS, after=2),
         expect=TokenhotResponseError, kinds=("stream",), match="cut short"),
    Case("sse-ends-cleanly-without-finish-reason",
         default=lambda: cut_sse_between_events(EVENTS, after=2, terminate=True),
         expect=TokenhotResponseError, kinds=("stream",), match="finishReason"),
    Case("sse-stall-after-output",
         default=lambda: stall(after_headers=True, seconds=STALL_S, events=EVENTS[:1]),
         expect=TokenhotTimeoutError, kinds=("stream",), match="after partial output"),
]  # fmt: skip


def _json(value: Any) -> bytes:
    return orjson.dumps(value)


MODES = [("sync", "invoke"), ("async", "invoke"), ("sync", "stream"), ("async", "stream")]
PARAMS = [
    pytest.param(case, flavour, kind, id=f"{case.id}-{flavour}-{kind}")
    for case in CASES
    for flavour, kind in MODES
    if kind in case.kinds
]


async def _call(llm: Any, flavour: str, kind: str) -> str:
    """One call in the given mode; the text of the answer."""
    if flavour == "sync":
        if kind == "invoke":
            return await asyncio.to_thread(lambda: llm.invoke("hi").text)  # type: ignore[no-any-return]
        return await asyncio.to_thread(lambda: "".join(c.text for c in llm.stream("hi")))
    if kind == "invoke":
        return (await llm.ainvoke("hi")).text  # type: ignore[no-any-return]
    return "".join([c.text async for c in llm.astream("hi")])


def min_wait(case: Case, retry: int) -> float:
    """The least the transport may wait before retry number `retry` (0-based)."""
    hints = case.hints or (None,) * (case.attempts - 1)
    hint = hints[retry]
    if hint is not None:
        return min(hint, _retry.MAX_RETRY_DELAY)
    ceiling = min(_retry.INITIAL_BACKOFF * 2**retry, _retry.MAX_BACKOFF)
    return ceiling / 2


@pytest.mark.parametrize(("case", "flavour", "kind"), PARAMS)
async def test_fault(
    server: FakeGemini, fast_retries: Waits, case: Case, flavour: str, kind: str
) -> None:
    stamps = Stamps()
    server.enqueue(*(stamps.wrap(item) for item in case.script()))
    server.default = stamps.wrap(case.default() if case.default else DefaultResponder())
    base_url = f"http://127.0.0.1:{unused_port()}" if case.refused else server.base_url
    llm = make(base_url, max_retries=case.max_retries)

    start = time.monotonic()
    outcome: BaseException | str
    try:
        outcome = await asyncio.wait_for(_call(llm, flavour, kind), HANG_LIMIT)
    except TimeoutError:
        pytest.fail(f"the call hung for {HANG_LIMIT} s")
    except Exception as exc:
        outcome = exc
    elapsed = time.monotonic() - start

    # Outcome: the typed error (and nothing else), or an answer.
    if case.expect is None:
        assert isinstance(outcome, str), f"expected success, got {outcome!r}"
        assert outcome
    else:
        assert type(outcome) is case.expect, f"expected {case.expect.__name__}, got {outcome!r}"
        assert isinstance(outcome, TokenhotError)
        if case.match:
            assert case.match in str(outcome)
        assert outcome.__cause__ is None
        assert SECRET not in repr(vars(outcome))

    # Attempts and the waits between them.
    retries = case.attempts - 1
    assert len(fast_retries) == retries, f"waits {fast_retries}"
    if not case.refused:
        assert len(server.requests) == case.attempts
        assert len(stamps.times) == case.attempts
    hints = case.hints or (None,) * retries
    for i, wait in enumerate(fast_retries):
        assert wait >= min_wait(case, i) - 1e-9
        assert wait <= _retry.MAX_RETRY_DELAY
        if hints[i] is not None:  # the server's delay, capped, exactly
            assert wait == pytest.approx(min(hints[i], _retry.MAX_RETRY_DELAY))
        if not case.refused:
            assert stamps.gaps[i] >= min_wait(case, i) - 0.01, f"retry {i} came too early"

    # Bounded time.
    assert elapsed <= call_bound(case.max_retries) + SLACK, f"took {elapsed:.2f} s"

    # Nothing leaked, and the pool serves the next call.
    if case.refused:
        return
    client = shared_client() if flavour == "sync" else shared_async_client()
    server.clear()
    server.default = DefaultResponder()
    assert await asyncio.wait_for(_call(make(server, timeout=5), flavour, kind), HANG_LIMIT)
    assert_released(server, client)


def test_table_covers_every_fault_action() -> None:
    """The issue's fault list, each present in the table for invoke or stream."""
    ids = {case.id for case in CASES}
    for needed in (
        "429-retry-after",
        "429-retryinfo",
        "5xx-burst",
        "html-502",
        "html-504-then-empty-503",
        "openai-shaped-503",
        "401-openai-shaped",
        "malformed-json",
        "truncated-json",
        "wrong-shape-json",
        "sse-cut-mid-event",
        "sse-cut-between-events",
        "sse-error-event-after-output",
        "sse-stall-after-output",
        "slow-headers-past-timeout",
        "slow-body-past-timeout",
        "refused",
        "reset",
    ):
        assert needed in ids
    assert len(PARAMS) >= 150


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_caller_code_between_stream_events_is_never_cut_by_the_deadline(
    server: FakeGemini, flavour: str
) -> None:
    """The attempt deadline ends at the first event: a slow consumer is not a timeout."""
    server.default = sse(EVENTS, delay_s=0.05)
    llm = make(server, max_retries=0)

    def consume_sync() -> str:
        out = []
        for chunk in llm.stream("hi"):
            time.sleep(0.08)  # caller work; 4 chunks x 0.08 s > TIMEOUT in all
            out.append(chunk.text)
        return "".join(out)

    async def consume_async() -> str:
        out = []
        async for chunk in llm.astream("hi"):
            await asyncio.sleep(0.08)
            out.append(chunk.text)
        return "".join(out)

    if flavour == "sync":
        text = await asyncio.to_thread(consume_sync)
    else:
        text = await consume_async()
    assert text == "The quick fox."


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_long_stream_may_outlast_timeout(server: FakeGemini, flavour: str) -> None:
    """After the first event only each read is bounded: a steady long answer is not cut."""
    events = text_events([f"{i} " for i in range(6)])
    server.default = sse(events, delay_s=0.05)  # 0.25 s in all (> TIMEOUT), 0.05 s per read
    llm = make(server, max_retries=0)
    if flavour == "sync":
        text = await asyncio.to_thread(lambda: "".join(c.text for c in llm.stream("hi")))
    else:
        text = "".join([c.text async for c in llm.astream("hi")])
    assert text.split() == [str(i) for i in range(6)]
