"""HTTP transport: URLs, auth headers, pooled clients, retries, SSE streaming, error mapping.

The only module that touches httpx. Guarantees (documented in docs/reliability.md):

* One pooled `httpx.Client` per process and one `httpx.AsyncClient` per event loop, shared by
  every model configuration (timeouts and headers are per request), unless the user injects
  their own clients.
* 408, 429, 5xx, connection errors and timeouts are retried up to `max_retries` times with
  exponential backoff and jitter; a server's `Retry-After` header or Google's
  `RetryInfo.retryDelay` replaces the backoff, capped at `MAX_RETRY_DELAY` seconds.
  400/401/403/404 are never retried. A stream is retried only before its first event.
* A call therefore takes at most `(max_retries + 1) * timeout + max_retries * MAX_RETRY_DELAY`.
* The API key lives only in request headers: it is scrubbed from error messages and bodies,
  httpx exceptions (whose requests carry the headers) are not chained, and nothing is logged
  with headers.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import re
import threading
import time
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, NoReturn

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
    TokenhotRateLimitError,
    TokenhotResponseError,
    TokenhotServerError,
    TokenhotTimeoutError,
)
from ._media import Downloaded
from ._sse import SSEDecoder

logger = logging.getLogger("langchain_tokenhot")

MAX_RETRY_DELAY = 60.0
"""Longest wait between two attempts, whatever the server asks for (seconds)."""
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
"""Size cap for media URLs we download to inline (Gemini's inline request limit)."""

_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
_sync_client: httpx.Client | None = None
_sync_lock = threading.Lock()
_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def shared_client() -> httpx.Client:
    """The process-wide pooled client (created on first use)."""
    global _sync_client
    if _sync_client is None:
        with _sync_lock:
            if _sync_client is None:
                _sync_client = httpx.Client(limits=_LIMITS, follow_redirects=False)
    return _sync_client


def shared_async_client() -> httpx.AsyncClient:
    """The pooled async client of the running event loop.

    Connections belong to the loop that opened them, so each loop gets its own client; it is
    dropped with its loop (many test suites run a loop per test).
    """
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        client = _async_clients[loop] = httpx.AsyncClient(limits=_LIMITS, follow_redirects=False)
    return client


def normalize_base_url(base_url: str) -> str:
    """Tolerate a trailing `/`, `/v1beta` or `/v1beta/models` on the configured base URL."""
    url = base_url.strip().rstrip("/")
    for suffix in ("/models", "/v1beta", "/v1"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url


# --------------------------------------------------------------------------------------------
# Error mapping (pure)
# --------------------------------------------------------------------------------------------

_CONTEXT_OVERFLOW = re.compile(
    r"exceeds the maximum number of tokens|input token count|token limit|context length|"
    r"context window|prompt is too long|input is too long|too many tokens",
    re.IGNORECASE,
)
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def scrub(text: str, secret: str | None) -> str:
    """Remove the API key from text we are about to put in an exception."""
    if secret and secret in text:
        text = text.replace(secret, "***")
    return text


def _parse_error_body(body: bytes) -> tuple[str | None, str | None, list[Any]]:
    """(message, status, details) from a Google-shaped, OpenAI-shaped or non-JSON body."""
    try:
        data = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = data[0]
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        error = data["error"]
        message = error.get("message")
        status = error.get("status")
        details = error.get("details") if isinstance(error.get("details"), list) else []
        if isinstance(message, str) and message.lstrip().startswith("{"):
            # A gateway re-wrapped Google's JSON error as a string: unwrap it.
            inner_message, inner_status, inner_details = _parse_error_body(message.encode())
            if inner_message:
                return inner_message, inner_status or status, inner_details or details
        if status is None:
            kind = error.get("type") or error.get("code")
            status = str(kind) if kind not in (None, "") and not isinstance(kind, int) else None
        return (str(message) if message is not None else None), status, details
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return data["error"], None, []
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"], None, []
    text = body.decode("utf-8", "replace")
    if "<" in text and ">" in text:
        text = _TAGS.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    return (text[:300] or None), None, []


def _retry_after_seconds(headers: Mapping[str, str], details: list[Any]) -> float | None:
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if value else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - time.time())
    for detail in details:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            delay = str(detail.get("retryDelay", ""))
            if delay.endswith("s"):
                try:
                    return max(0.0, float(delay[:-1]))
                except ValueError:
                    return None
    return None


def error_from_response(
    status_code: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    model: str | None = None,
    secret: str | None = None,
) -> TokenhotError:
    """The typed exception for a non-2xx response."""
    message, status, details = _parse_error_body(body)
    message = scrub(message or httpx.codes.get_reason_phrase(status_code) or "error", secret)
    kwargs: dict[str, Any] = {
        "status_code": status_code,
        "status": status,
        "body": scrub(body.decode("utf-8", "replace"), secret)[:10_000] if body else None,
        "details": details,
        "retry_after": _retry_after_seconds(headers, details),
        "model": model,
    }
    cls: type[TokenhotError]
    if status_code == 400:
        reasons = {d.get("reason") for d in details if isinstance(d, dict)}
        if "API_KEY_INVALID" in reasons or "API key not valid" in message:
            cls = TokenhotAuthenticationError
        elif _CONTEXT_OVERFLOW.search(message):
            cls = TokenhotContextOverflowError
        else:
            cls = TokenhotInvalidRequestError
    elif status_code == 401:
        cls = TokenhotAuthenticationError
    elif status_code == 403:
        cls = TokenhotPermissionDeniedError
    elif status_code == 404:
        cls = TokenhotNotFoundError
    elif status_code == 429:
        cls = TokenhotRateLimitError
    elif status_code in RETRYABLE_STATUS or status_code >= 500:
        cls = TokenhotServerError
    elif 400 <= status_code < 500:
        cls = TokenhotInvalidRequestError
    else:
        cls = TokenhotResponseError
    return cls(message, **kwargs)


def error_from_exception(exc: httpx.HTTPError, *, model: str | None) -> TokenhotError:
    """Map an httpx transport error. Its text is kept, its request (auth headers) is not."""
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return TokenhotTimeoutError(f"request timed out ({detail})", model=model)
    return TokenhotConnectionError(f"connection failed ({detail})", model=model)


def error_from_event(
    event: Mapping[str, Any], *, model: str | None, secret: str | None
) -> TokenhotResponseError:
    """An `{"error": {...}}` event that arrived inside a 200 stream."""
    error = event.get("error")
    if not isinstance(error, dict):
        error = {"message": str(error)}
    message = scrub(str(error.get("message") or "error event in stream"), secret)
    code = error.get("code")
    return TokenhotResponseError(
        f"the stream reported an error: {message}",
        status_code=code if isinstance(code, int) else 200,
        status=error.get("status"),
        details=error.get("details") if isinstance(error.get("details"), list) else None,
        model=model,
    )


def backoff_delay(attempt: int, error: TokenhotError) -> float:
    """Seconds to wait before retry number `attempt + 1`."""
    if error.retry_after is not None:
        return min(float(error.retry_after), MAX_RETRY_DELAY)
    ceiling = min(INITIAL_BACKOFF * 2.0**attempt, MAX_BACKOFF)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _raise(error: TokenhotError) -> NoReturn:
    raise error from None


def _json_body(response_bytes: bytes, *, model: str | None) -> Any:
    try:
        return orjson.loads(response_bytes)
    except orjson.JSONDecodeError:
        snippet = response_bytes[:200].decode("utf-8", "replace")
        _raise(
            TokenhotResponseError(
                f"the server answered 200 but the body is not JSON: {snippet!r}",
                status_code=200,
                body=response_bytes[:10_000].decode("utf-8", "replace"),
                model=model,
            )
        )


# --------------------------------------------------------------------------------------------
# Transport
# --------------------------------------------------------------------------------------------


class Transport:
    """Sends requests for one model configuration. Cheap to build; holds no connections."""

    __slots__ = (
        "_async_client",
        "_client",
        "_headers",
        "_secret",
        "base_url",
        "max_retries",
        "timeout",
    )

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        secret: str | None,
        timeout: float | None,
        max_retries: int,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self._headers = dict(headers)
        self._secret = secret
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 30.0) if timeout else None)
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

    # -- one-shot JSON -------------------------------------------------------------------------

    def post_json(self, model: str, method: str, body: bytes) -> Any:
        url = self.url(model, method)
        attempt = 0
        while True:
            try:
                response = self.client.post(
                    url, content=body, headers=self._headers, timeout=self.timeout
                )
            except httpx.HTTPError as exc:
                error = error_from_exception(exc, model=model)
            else:
                if response.status_code < 300:
                    return _json_body(response.content, model=model)
                error = self._error(response.status_code, response.headers, response.content, model)
            attempt = self._before_retry(attempt, error, model)
            time.sleep(backoff_delay(attempt - 1, error))

    async def apost_json(self, model: str, method: str, body: bytes) -> Any:
        url = self.url(model, method)
        attempt = 0
        while True:
            try:
                response = await self.async_client.post(
                    url, content=body, headers=self._headers, timeout=self.timeout
                )
            except httpx.HTTPError as exc:
                error = error_from_exception(exc, model=model)
            else:
                if response.status_code < 300:
                    return _json_body(response.content, model=model)
                error = self._error(response.status_code, response.headers, response.content, model)
            attempt = self._before_retry(attempt, error, model)
            await asyncio.sleep(backoff_delay(attempt - 1, error))

    def _error(
        self, status_code: int, headers: Mapping[str, str], body: bytes, model: str
    ) -> TokenhotError:
        return error_from_response(status_code, headers, body, model=model, secret=self._secret)

    def _before_retry(self, attempt: int, error: TokenhotError, model: str) -> int:
        """Raise `error` unless another attempt is allowed; return the new attempt count."""
        if not error.is_retryable or attempt >= self.max_retries:
            _raise(error)
        logger.info(
            "Tokenhot %s: %s; retry %d of %d",
            model,
            type(error).__name__,
            attempt + 1,
            self.max_retries,
        )
        return attempt + 1

    # -- SSE streams ---------------------------------------------------------------------------

    def stream(self, model: str, body: bytes) -> Iterator[dict[str, Any]]:
        """Yield each event of `:streamGenerateContent?alt=sse` as parsed JSON.

        Retries only while nothing has been yielded; closing the generator closes the response
        and returns its connection to the pool.
        """
        url = self.url(model, "streamGenerateContent") + "?alt=sse"
        attempt = 0
        while True:
            yielded = False
            try:
                with self.client.stream(
                    "POST", url, content=body, headers=self._headers, timeout=self.timeout
                ) as response:
                    if response.status_code >= 300:
                        error = self._error(
                            response.status_code, response.headers, response.read(), model
                        )
                    else:
                        decoder = SSEDecoder()
                        for chunk in response.iter_bytes():
                            for data in decoder.feed(chunk):
                                yielded = True
                                yield self._event(data, model)
                        for data in decoder.flush():
                            yielded = True
                            yield self._event(data, model, final=True)
                        return
            except httpx.HTTPError as exc:
                error = error_from_exception(exc, model=model)
                if yielded:
                    _raise(_cut_short(error, model))
            attempt = self._before_retry(attempt, error, model)
            time.sleep(backoff_delay(attempt - 1, error))

    async def astream(self, model: str, body: bytes) -> AsyncIterator[dict[str, Any]]:
        url = self.url(model, "streamGenerateContent") + "?alt=sse"
        attempt = 0
        while True:
            yielded = False
            try:
                async with self.async_client.stream(
                    "POST", url, content=body, headers=self._headers, timeout=self.timeout
                ) as response:
                    if response.status_code >= 300:
                        error = self._error(
                            response.status_code, response.headers, await response.aread(), model
                        )
                    else:
                        decoder = SSEDecoder()
                        async for chunk in response.aiter_bytes():
                            for data in decoder.feed(chunk):
                                yielded = True
                                yield self._event(data, model)
                        for data in decoder.flush():
                            yielded = True
                            yield self._event(data, model, final=True)
                        return
            except httpx.HTTPError as exc:
                error = error_from_exception(exc, model=model)
                if yielded:
                    _raise(_cut_short(error, model))
            attempt = self._before_retry(attempt, error, model)
            await asyncio.sleep(backoff_delay(attempt - 1, error))

    def _event(self, data: bytes, model: str, *, final: bool = False) -> dict[str, Any]:
        try:
            event = orjson.loads(data)
        except orjson.JSONDecodeError:
            what = "the stream ended in the middle of an event" if final else "an event is not JSON"
            _raise(
                TokenhotResponseError(
                    f"{what}: {data[:200].decode('utf-8', 'replace')!r}",
                    status_code=200,
                    model=model,
                )
            )
        if not isinstance(event, dict):
            _raise(
                TokenhotResponseError(
                    f"a stream event is not a JSON object: {type(event).__name__}",
                    status_code=200,
                    model=model,
                )
            )
        if "error" in event:
            _raise(error_from_event(event, model=model, secret=self._secret))
        return event

    # -- media downloads ---------------------------------------------------------------------

    def fetch(self, url: str) -> Downloaded:
        """Download a media URL to inline it (size-capped, same timeout, no auth header)."""
        try:
            with self.client.stream(
                "GET", url, timeout=self.timeout, follow_redirects=True
            ) as response:
                _check_download(url, response)
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    _check_size(url, len(data))
                return Downloaded(bytes(data), _content_type(response))
        except httpx.HTTPError as exc:
            _raise(_download_error(url, exc))

    async def afetch(self, url: str) -> Downloaded:
        try:
            async with self.async_client.stream(
                "GET", url, timeout=self.timeout, follow_redirects=True
            ) as response:
                _check_download(url, response)
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    _check_size(url, len(data))
                return Downloaded(bytes(data), _content_type(response))
        except httpx.HTTPError as exc:
            _raise(_download_error(url, exc))


def _cut_short(error: TokenhotError, model: str) -> TokenhotError:
    # Part of the answer already reached the caller: retrying would duplicate it, so the cut is
    # reported as what it is.
    if isinstance(error, TokenhotTimeoutError):
        return TokenhotTimeoutError(
            f"the stream stalled after partial output ({error.message})", model=model
        )
    return TokenhotResponseError(f"the stream was cut short ({error.message})", model=model)


def _check_download(url: str, response: httpx.Response) -> None:
    if response.status_code >= 300:
        _raise(
            TokenhotInvalidRequestError(
                f"could not download media {url}: HTTP {response.status_code}",
                status_code=response.status_code,
            )
        )
    length = response.headers.get("content-length")
    if length and length.isdigit():
        _check_size(url, int(length))


def _check_size(url: str, size: int) -> None:
    if size > MAX_DOWNLOAD_BYTES:
        _raise(
            TokenhotInvalidRequestError(
                f"media at {url} is larger than {MAX_DOWNLOAD_BYTES // (1024 * 1024)} MB; "
                "upload it and pass a file URI instead"
            )
        )


def _content_type(response: httpx.Response) -> str | None:
    value = response.headers.get("content-type")
    return value.split(";")[0].strip() if value else None


def _download_error(url: str, exc: httpx.HTTPError) -> TokenhotError:
    error = error_from_exception(exc, model=None)
    error.message = f"could not download media {url}: {error.message}"
    error.args = (error._render(),)
    return error
