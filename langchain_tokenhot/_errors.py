"""HTTP error responses, transport failures and stream error events -> typed `TokenhotError`s.

Pure: decisions on bytes, status codes and headers, no I/O, so every mapping is table-tested
without a socket. Every text that goes into an exception is scrubbed of the API key first.
"""

from __future__ import annotations

import datetime
import email.utils
import errno
import math
import re
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

import httpx
import orjson

from ._exceptions import (
    TokenhotAuthenticationError,
    TokenhotConnectionError,
    TokenhotContextOverflowError,
    TokenhotError,
    TokenhotInvalidRequestError,
    TokenhotNotFoundError,
    TokenhotPermissionDeniedError,
    TokenhotQuotaExhaustedError,
    TokenhotRateLimitError,
    TokenhotResponseError,
    TokenhotServerError,
    TokenhotTimeoutError,
    TokenhotTooManyOpenFilesError,
)

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


_CONTEXT_OVERFLOW = re.compile(
    r"exceeds the maximum number of tokens|input token count|token limit|context length|"
    r"context window|prompt is too long|input is too long|too many tokens",
    re.IGNORECASE,
)
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


Secrets = str | tuple[str, ...] | None
"""What to scrub: the API key, or it and the credential values of `default_headers`."""


def scrub(text: str, secret: Secrets) -> str:
    """Remove the API key (and any other credential given) from text we are about to put in an
    exception."""
    if not secret:
        return text
    for value in (secret,) if isinstance(secret, str) else secret:
        if not value or value not in text:
            continue
        if len(value) >= _WHOLE_TOKEN_BELOW:
            text = text.replace(value, "***")
        else:
            # A short value (a test key such as "k") is masked only where it stands alone, so
            # "please check your plan" keeps its letters.
            text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", "***", text)
    return text


_WHOLE_TOKEN_BELOW = 8
"""Secrets shorter than this are masked as whole tokens only."""


PLAIN_TEXT_LIMIT = 300
"""Characters of a non-JSON error body shown in an exception's message."""


def scrubbed_text(data: bytes, secret: Secrets, limit: int) -> str:
    """The first `limit` characters of `data` as text, scrubbed before they are cut: a secret
    that straddles the cut must not leave its first half behind."""
    return scrub(data[: limit + _SECRET_SLACK].decode("utf-8", "replace"), secret)[:limit]


_SECRET_SLACK = 4096
"""Bytes read past a cut so that a secret crossing it is still whole when scrubbed (longer
than any key or credential header value)."""


def scrub_json(value: Any, secret: Secrets) -> Any:
    """`scrub` applied to every string (keys included) of a parsed JSON value."""
    if not secret:
        return value
    if isinstance(value, str):
        return scrub(value, secret)
    if isinstance(value, dict):
        return {scrub_json(k, secret): scrub_json(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(v, secret) for v in value]
    return value


class _ErrorBody(NamedTuple):
    message: str | None
    status: str | None
    """Google's `error.status`, else a gateway's string `error.code` or `error.type`."""
    details: list[Any]
    code: str | None
    """An OpenAI-shaped gateway error's string `error.code` (`"model_not_found"` ...)."""
    upstream: bool
    """The gateway relayed the upstream's error (new-api's `type: "upstream_error"`)."""
    plain: bool = False
    """`message` is the body's own text (not JSON): shown clipped, after scrubbing."""


def _parse_error_body(body: bytes) -> _ErrorBody:
    """What a Google-shaped, OpenAI-shaped (gateway) or non-JSON error body says."""
    try:
        data = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = data[0]
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        error = data["error"]
        message = error.get("message")
        status = _str_or_none(error.get("status"))
        details = error.get("details") if isinstance(error.get("details"), list) else []
        raw_code = error.get("code")
        code = raw_code if isinstance(raw_code, str) and raw_code else None
        upstream = error.get("type") == "upstream_error"
        if isinstance(message, str) and message.lstrip().startswith("{"):
            # A gateway re-wrapped Google's JSON error as a string: unwrap it.
            inner = _parse_error_body(message.encode())
            if inner.message:
                return inner._replace(
                    status=inner.status or status,
                    details=inner.details or details,
                    code=inner.code or code,
                    upstream=True,
                )
        if status is None:
            kind = code or error.get("type")
            status = str(kind) if kind not in (None, "") and not isinstance(kind, int) else None
        text = str(message) if message is not None else None
        return _ErrorBody(text, status, details, code, upstream)
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return _ErrorBody(data["error"], None, [], None, False)
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return _ErrorBody(data["message"], None, [], None, False)
    text = body.decode("utf-8", "replace")
    if "<" in text and ">" in text:
        text = _TAGS.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    # Whole, not clipped: a key cut in two at the clip would escape `scrub`.
    return _ErrorBody(text or None, None, [], None, False, plain=True)


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _seconds(value: float) -> float | None:
    """A server-supplied delay as a usable number of seconds (NaN is no answer)."""
    if math.isnan(value):
        return None
    return max(0.0, value)


def _retry_after_seconds(headers: Mapping[str, str], details: list[Any]) -> float | None:
    """Seconds the server asked us to wait: `Retry-After` (seconds or HTTP date), else RetryInfo.

    Values we cannot read are ignored (the normal backoff applies), never an error.
    """
    value = headers.get("retry-after", "").strip()
    if value:
        try:
            return _seconds(float(value))
        except ValueError:
            pass
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:  # "-0000": UTC by RFC 5322
                parsed = parsed.replace(tzinfo=datetime.UTC)
            return max(0.0, parsed.timestamp() - time.time())
    for detail in details:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            delay = detail.get("retryDelay")
            if isinstance(delay, (int, float)) and not isinstance(delay, bool):
                return _seconds(float(delay))
            if isinstance(delay, str) and delay.strip().endswith("s"):
                try:
                    return _seconds(float(delay.strip()[:-1]))
                except ValueError:
                    return None
    return None


def error_from_response(
    status_code: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    model: str | None = None,
    secret: Secrets = None,
) -> TokenhotError:
    """The typed exception for a non-2xx response (every text in it scrubbed of `secret`).

    The gateway's own error codes decide before the HTTP status does: new-api answers an
    unknown model with 503 `model_not_found`, which is not an outage to retry.
    """
    parsed = _parse_error_body(body)
    server_message = scrub(
        parsed.message or httpx.codes.get_reason_phrase(status_code) or "error", secret
    )
    if parsed.plain:
        server_message = server_message[:PLAIN_TEXT_LIMIT]
    details = parsed.details
    cls, message = _classify(status_code, parsed, server_message, model)
    return cls(
        message,
        status_code=status_code,
        status=scrub(parsed.status, secret) if parsed.status is not None else None,
        body=scrub(body.decode("utf-8", "replace"), secret)[:10_000] if body else None,
        details=scrub_json(details, secret),
        retry_after=_retry_after_seconds(headers, details),
        model=model,
    )


# new-api's codes for an exhausted balance (402 in older releases, 403 now) and for a key whose
# own quota is used up; waiting does not help, so they are never retried.
_BALANCE_CODES = frozenset({"insufficient_user_quota", "free_model_blocked_no_quota"})
_KEY_QUOTA_CODES = frozenset({"pre_consume_token_quota_failed"})
_MODEL_NOT_FOUND_CODES = frozenset({"model_not_found"})
_UPSTREAM_UNREACHABLE_CODES = frozenset({"do_request_failed"})


def _classify(
    status_code: int, parsed: _ErrorBody, message: str, model: str | None
) -> tuple[type[TokenhotError], str]:
    """(exception class, message) for an error response."""
    code = parsed.code
    if code in _MODEL_NOT_FOUND_CODES:
        which = f"model {model!r}" if model else "the model"
        return TokenhotNotFoundError, (
            f"{which} is not served for this key (the gateway has no channel for it): "
            "check the model id; list_models() shows the models the key can use. "
            f"Gateway: {message}"
        )
    if code in _BALANCE_CODES or (status_code == 402 and code not in _KEY_QUOTA_CODES):
        return TokenhotQuotaExhaustedError, (
            "the account balance is exhausted: top it up on the Tokenhot console "
            f"(not retried: waiting does not help). Gateway: {message}"
        )
    if code in _KEY_QUOTA_CODES:
        return TokenhotQuotaExhaustedError, (
            "this API key's quota is exhausted (or too low for this request): raise the key's "
            f"limit or use another key (not retried: waiting does not help). Gateway: {message}"
        )
    if code in _UPSTREAM_UNREACHABLE_CODES:
        return TokenhotServerError, f"the gateway could not reach the model's upstream: {message}"
    if status_code == 400:
        reasons = {d.get("reason") for d in parsed.details if isinstance(d, dict)} - {None}
        if "API_KEY_INVALID" in {r for r in reasons if isinstance(r, str)} or (
            "API key not valid" in message
        ):
            if parsed.upstream:
                # new-api relays Google's answer about its *own* upstream key.
                return TokenhotAuthenticationError, (
                    "the upstream rejected the gateway's own API key (a problem on the "
                    f"provider's side, not with TOKENHOT_API_KEY): {message}"
                )
            return TokenhotAuthenticationError, f"{message}{_KEY_HINT}"
        if _CONTEXT_OVERFLOW.search(message):
            return TokenhotContextOverflowError, message
        return TokenhotInvalidRequestError, message
    if status_code == 401:
        return TokenhotAuthenticationError, f"{message}{_KEY_HINT}"
    if status_code == 403:
        return TokenhotPermissionDeniedError, message
    if status_code == 404:
        return TokenhotNotFoundError, message
    if status_code == 429:
        return TokenhotRateLimitError, message
    if status_code in RETRYABLE_STATUS or status_code >= 500:
        return TokenhotServerError, message
    if 400 <= status_code < 500:
        return TokenhotInvalidRequestError, message
    return TokenhotResponseError, message


_KEY_HINT = (
    " (the API key was rejected: check TOKENHOT_API_KEY, or the api_key argument, holds a "
    "current key)"
)


def error_from_exception(exc: httpx.HTTPError, *, model: str | None) -> TokenhotError:
    """Map an httpx transport error. Its text is kept, its request (auth headers) is not."""
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return TokenhotTimeoutError(f"request timed out ({detail})", model=model)
    if _out_of_descriptors(exc):
        return TokenhotTooManyOpenFilesError(
            f"this process has no free file descriptors ({detail}); raise the limit "
            "(ulimit -n) or close what keeps sockets or files open",
            model=model,
        )
    return TokenhotConnectionError(f"connection failed ({detail})", model=model)


_DESCRIPTORS_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE})


def _out_of_descriptors(exc: BaseException) -> bool:
    """Whether an OSError of EMFILE/ENFILE is in `exc`'s cause chain (httpx wraps httpcore's
    error, which wraps the socket's)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, OSError) and seen.errno in _DESCRIPTORS_EXHAUSTED:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def deadline_error(seconds: float | None, *, model: str | None) -> TokenhotTimeoutError:
    """An attempt that outlived its `timeout` (a whole-attempt deadline, not one slow read)."""
    return TokenhotTimeoutError(f"no complete answer within the {seconds:g} s timeout", model=model)


def error_from_event(
    event: Mapping[str, Any], *, model: str | None, secret: Secrets
) -> TokenhotResponseError:
    """An `{"error": {...}}` event that arrived inside a 200 stream."""
    error = event.get("error")
    if not isinstance(error, dict):
        error = {"message": str(error)}
    message = scrub(str(error.get("message") or "error event in stream"), secret)
    code = error.get("code")
    status = _str_or_none(error.get("status"))
    details = error.get("details")
    return TokenhotResponseError(
        f"the stream reported an error: {message}",
        status_code=code if isinstance(code, int) and not isinstance(code, bool) else 200,
        status=scrub(status, secret) if status is not None else None,
        details=scrub_json(details, secret) if isinstance(details, list) else None,
        model=model,
    )


def error_from_first_event(
    event: Mapping[str, Any], *, model: str | None, secret: Secrets
) -> TokenhotError:
    """An `{"error": ...}` event before any output: the request failed as a whole.

    Typed like an HTTP error with the event's `code` (a 503 or 429 is retried, a 400 is not);
    without a usable code it is a `TokenhotResponseError`.
    """
    error = event.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599:
        try:
            body = orjson.dumps(dict(event))
        except TypeError:
            body = b""
        return error_from_response(code, {}, body, model=model, secret=secret)
    return error_from_event(event, model=model, secret=secret)
