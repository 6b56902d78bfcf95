"""The attempt policy alone (`_retry.Attempts`): no server, no sleeping, no clock.

What the transport does with these answers (sleeps, attempts, what the server receives) is
covered by `tests/reliability/`; here each rule of the policy is checked in isolation.
"""

from __future__ import annotations

import logging

import pytest

from langchain_tokenhot import (
    TokenhotAuthenticationError,
    TokenhotConnectionError,
    TokenhotError,
    TokenhotInvalidRequestError,
    TokenhotRateLimitError,
    TokenhotResponseError,
    TokenhotServerError,
    TokenhotTimeoutError,
    _retry,
)
from langchain_tokenhot._retry import Attempts, backoff_delay, cut_short

RETRYABLE = [
    TokenhotServerError("503", status_code=503),
    TokenhotRateLimitError("429", status_code=429),
    TokenhotTimeoutError("slow"),
    TokenhotConnectionError("reset"),
]
FINAL = [
    TokenhotInvalidRequestError("400", status_code=400),
    TokenhotAuthenticationError("401", status_code=401),
    TokenhotResponseError("not JSON", status_code=200),
]


def attempts(max_retries: int = 2, deadline: float | None = 5.0) -> Attempts:
    return Attempts(max_retries=max_retries, deadline=deadline, model="m")


def test_defaults_are_the_documented_ones() -> None:
    assert (_retry.INITIAL_BACKOFF, _retry.MAX_BACKOFF, _retry.MAX_RETRY_DELAY) == (0.5, 8.0, 60.0)


@pytest.mark.parametrize("error", RETRYABLE, ids=lambda e: type(e).__name__)
def test_retryable_errors_are_retried_until_the_budget_is_spent(error: TokenhotError) -> None:
    policy = attempts(max_retries=3)
    waits = [policy.failed(error) for _ in range(3)]
    assert all(0 < w <= _retry.MAX_BACKOFF for w in waits)
    assert policy.retries == 3
    with pytest.raises(type(error)) as raised:
        policy.failed(error)
    assert raised.value is error
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.parametrize("error", FINAL, ids=lambda e: type(e).__name__)
def test_other_errors_end_the_call_at_once(error: TokenhotError) -> None:
    policy = attempts(max_retries=5)
    with pytest.raises(type(error)) as raised:
        policy.failed(error)
    assert raised.value is error
    assert policy.retries == 0


def test_max_retries_zero_never_retries() -> None:
    with pytest.raises(TokenhotServerError):
        attempts(max_retries=0).failed(RETRYABLE[0])


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = attempts(max_retries=20)
    error = TokenhotServerError("503", status_code=503)
    for n in range(20):
        ceiling = min(_retry.INITIAL_BACKOFF * 2**n, _retry.MAX_BACKOFF)
        assert ceiling / 2 <= policy.failed(error) <= ceiling


def test_server_hint_replaces_backoff_and_is_capped() -> None:
    policy = attempts(max_retries=3)
    assert policy.failed(TokenhotRateLimitError("429", retry_after=7.5)) == 7.5
    assert policy.failed(TokenhotRateLimitError("429", retry_after=0.0)) == 0.0
    assert policy.failed(TokenhotRateLimitError("429", retry_after=86400.0)) == 60.0


def test_backoff_constants_are_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_retry, "MAX_RETRY_DELAY", 0.25)
    assert backoff_delay(0, TokenhotRateLimitError("429", retry_after=30.0)) == 0.25


def test_after_the_first_streamed_event_nothing_is_retried() -> None:
    policy = attempts(max_retries=5)
    policy.delivered()
    with pytest.raises(TokenhotResponseError, match="the stream was cut short") as cut:
        policy.failed(TokenhotConnectionError("connection failed (ReadError)"))
    assert "connection failed (ReadError)" in str(cut.value)
    assert cut.value.__context__ is None
    with pytest.raises(TokenhotTimeoutError, match="stalled after partial output"):
        policy.failed(TokenhotTimeoutError("request timed out (ReadTimeout)"))
    assert policy.retries == 0


def test_an_error_the_stream_carried_after_output_is_raised_as_it_is() -> None:
    policy = attempts()
    policy.delivered()
    said = TokenhotResponseError("the stream reported an error: boom", status_code=500)
    with pytest.raises(TokenhotResponseError) as raised:
        policy.failed(said)
    assert raised.value is said


def test_before_the_first_event_a_stream_is_retried_like_any_call() -> None:
    policy = attempts(max_retries=1)
    assert policy.failed(TokenhotServerError("first event said 503", status_code=503)) > 0
    with pytest.raises(TokenhotServerError):
        policy.failed(TokenhotServerError("again", status_code=503))


def test_cut_short_keeps_the_model_and_the_cause_text() -> None:
    error = cut_short(TokenhotServerError("upstream 502", status_code=502), "gemini-x")
    assert isinstance(error, TokenhotResponseError)
    assert error.model == "gemini-x" and "upstream 502" in error.message


def test_deadline_error_names_the_timeout() -> None:
    error = attempts(deadline=2.5).deadline_error()
    assert isinstance(error, TokenhotTimeoutError) and error.is_retryable
    assert "2.5 s" in str(error) and error.model == "m"


def test_each_retry_is_logged_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    policy = attempts(max_retries=2)
    with caplog.at_level(logging.INFO, logger="langchain_tokenhot"):
        policy.failed(TokenhotRateLimitError("429", retry_after=1.0))
    assert [r.getMessage() for r in caplog.records] == [
        "Tokenhot m: TokenhotRateLimitError; retry 1 of 2 in 1.00 s"
    ]
