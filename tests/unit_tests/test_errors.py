"""Error mapping, table-tested on exact bodies: Google's, and new-api's own (the gateway).

Each row is a status, headers and body as the server sends them, and what the caller must get:
the exception type, whether it is retried, and what its message tells them. The new-api shapes
come from `tests/support/gateway.py` (read from new-api's source, mid-2026).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from langchain_core.exceptions import (
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
)

from langchain_tokenhot import (
    TokenhotAuthenticationError,
    TokenhotContextOverflowError,
    TokenhotError,
    TokenhotInvalidRequestError,
    TokenhotNotFoundError,
    TokenhotPermissionDeniedError,
    TokenhotQuotaExhaustedError,
    TokenhotRateLimitError,
    TokenhotServerError,
)
from langchain_tokenhot._errors import error_from_response
from tests.support import gateway
from tests.support.fake_gemini import Respond, error, from_sample, rate_limited

MODEL = "gemini-2.5-flsh"


@dataclass(frozen=True)
class Row:
    name: str
    answer: Respond
    expect: type[TokenhotError]
    retried: bool
    says: tuple[str, ...] = ()
    status: str | None = None
    retry_after: float | None = None


def upstream(sample: str) -> Respond:
    """A recorded Google error body as new-api relays it (`type: upstream_error`)."""
    google = from_sample(sample)
    assert isinstance(google, Respond)
    return gateway._upstream_error(google.status, google.body)


ROWS = [
    # -- the gateway's own errors ------------------------------------------------------------
    Row("401 invalid token", gateway.invalid_token(), TokenhotAuthenticationError, False,
        ("Invalid token", "TOKENHOT_API_KEY"), status="new_api_error"),
    Row("401 chinese", gateway.newapi_error(401, "无效的令牌"), TokenhotAuthenticationError,
        False, ("无效的令牌", "TOKENHOT_API_KEY")),
    Row("403 balance", gateway.insufficient_user_quota(), TokenhotQuotaExhaustedError, False,
        ("balance is exhausted", "user quota is not enough"), status="insufficient_user_quota"),
    Row("402 balance (older releases)",
        gateway.newapi_error(402, "user quota is not enough", code="insufficient_user_quota"),
        TokenhotQuotaExhaustedError, False, ("balance is exhausted",)),
    Row("403 key quota", gateway.token_quota_exhausted(), TokenhotQuotaExhaustedError, False,
        ("key's quota is exhausted", "token remain quota"),
        status="pre_consume_token_quota_failed"),
    Row("403 model not allowed", gateway.model_forbidden(MODEL), TokenhotPermissionDeniedError,
        False, (f"no access to model {MODEL}",)),
    Row("503 model_not_found", gateway.model_not_found(MODEL), TokenhotNotFoundError, False,
        (repr(MODEL), "list_models()", "No available channel"), status="model_not_found"),
    Row("429 JSON, no Retry-After", gateway.rate_limited_json(), TokenhotRateLimitError, True,
        status="rate_limit_exceeded"),
    Row("429 empty body", gateway.rate_limited_empty(), TokenhotRateLimitError, True,
        ("Too Many Requests",)),
    Row("500 do_request_failed", gateway.upstream_unreachable(), TokenhotServerError, True,
        ("could not reach", "do request failed"), status="do_request_failed"),
    Row("404 invalid URL", gateway.invalid_url("GET", "/v1beta/cachedContents"),
        TokenhotNotFoundError, False, ("Invalid URL",), status="invalid_request_error"),
    Row("400 contents required", gateway.contents_required(), TokenhotInvalidRequestError,
        False, ("contents is required",), status="invalid_request"),
    Row("502 upstream not JSON", gateway.bad_response_status(502), TokenhotServerError, True,
        ("bad response status code 502",)),
    # -- Google's errors, directly and relayed by the gateway --------------------------------
    Row("google 429", rate_limited(retry_after=None, retry_delay="7s"), TokenhotRateLimitError,
        True, status="RESOURCE_EXHAUSTED", retry_after=7.0),
    Row("relayed 429 loses RetryInfo", upstream("error_429_resource_exhausted"),
        TokenhotRateLimitError, True, status="upstream_error", retry_after=None),
    Row("google 400 API_KEY_INVALID", from_sample("error_400_api_key_invalid"),  # type: ignore[arg-type]
        TokenhotAuthenticationError, False, ("TOKENHOT_API_KEY",)),
    Row("relayed 400 API_KEY_INVALID is the gateway's key", upstream("error_400_api_key_invalid"),
        TokenhotAuthenticationError, False, ("gateway's own API key", "not with TOKENHOT_API_KEY")),
    Row("relayed 404 model", upstream("error_404_model_not_found"), TokenhotNotFoundError, False),
    Row("relayed 503 overloaded", upstream("error_503_unavailable"), TokenhotServerError, True,
        ("overloaded",)),
    Row("relayed 400 missing signature", upstream("error_400_missing_thought_signature"),
        TokenhotInvalidRequestError, False, ("thought_signature",)),
    Row("relayed context overflow",
        gateway.newapi_error(400, "The input token count (1200000) exceeds the maximum number "
                             "of tokens allowed (1048576).", code=400, type="upstream_error"),
        TokenhotContextOverflowError, False),
    Row("google 503", error(503), TokenhotServerError, True, status="UNAVAILABLE"),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_error_table(row: Row) -> None:
    headers = {k.lower(): v for k, v in row.answer.headers}
    err = error_from_response(row.answer.status, headers, row.answer.body, model=MODEL)
    assert type(err) is row.expect
    assert err.is_retryable is row.retried
    assert err.status_code == row.answer.status
    for text in row.says:
        assert text in err.message, (text, err.message)
    if row.status is not None:
        assert err.status == row.status
    assert err.retry_after == row.retry_after


def test_quota_exhaustion_is_not_a_rate_limit() -> None:
    # Retry middleware keyed on ModelRateLimitError must not spin on an empty balance.
    answer = gateway.insufficient_user_quota()
    err = error_from_response(answer.status, {}, answer.body, model=MODEL)
    assert isinstance(err, ModelPermissionDeniedError)
    assert not isinstance(err, ModelRateLimitError)


def test_model_not_found_is_langchains_not_found() -> None:
    answer = gateway.model_not_found(MODEL)
    err = error_from_response(answer.status, {}, answer.body, model=MODEL)
    assert isinstance(err, ModelNotFoundError)
    assert err.status_code == 503  # what the gateway said, kept for the record
