"""Every exception this package raises, in one place.

Each error is a `TokenhotError` (so `except TokenhotError` catches everything that went wrong
talking to Tokenhot) and also the matching `langchain_core.exceptions` type (so code written for
any LangChain provider, e.g. fallbacks or retry middleware keyed on `ModelRateLimitError`, works
unchanged)::

    TokenhotError
    ├── TokenhotAuthenticationError      ModelAuthenticationError    401; Google 400 API_KEY_INVALID
    ├── TokenhotPermissionDeniedError    ModelPermissionDeniedError  403
    │   └── TokenhotQuotaExhaustedError                              balance / key quota used up
    ├── TokenhotInvalidRequestError      ModelInvalidRequestError    400, 413, other 4xx
    │   └── TokenhotContextOverflowError ContextOverflowError        400 "input too long"
    ├── TokenhotNotFoundError            ModelNotFoundError          404 (unknown model)
    ├── TokenhotRateLimitError           ModelRateLimitError         429            retried
    ├── TokenhotServerError              ModelAPIError               408, 5xx       retried
    ├── TokenhotResponseError            ModelAPIError               200 with a body we cannot
    │                                                                use; stream cut short or an
    │                                                                error event mid-stream
    ├── TokenhotTimeoutError             ModelTimeoutError           no answer in `timeout`  retried
    └── TokenhotConnectionError          ModelConnectionError        refused / reset       retried

Media URLs in messages are downloaded by us, not by Tokenhot: a failed download raises
`MediaDownloadError` (a `TokenhotError` naming the media host and its status) and a URL the
media-URL policy refuses raises `MediaURLRefusedError` (also a `ValueError`).

Configuration and input mistakes are caught before any request and raise `ValueError`
subclasses instead: `UnsupportedContentError` (a content block we cannot express),
`ToolConversionError` (a tool or schema Gemini cannot take), `InvalidOptionError` (an option
value we cannot send) and `UnknownOptionError` (an option name we do not know; also a
`TypeError`).

No exception carries the API key: messages and bodies are scrubbed of it, and httpx errors
(whose requests hold the auth header) are not chained.
"""

from __future__ import annotations

from typing import Any

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)


class TokenhotError(Exception):
    """Base class of every error raised while talking to Tokenhot.

    Attributes:
        message: the server's own message when it sent one (for the gateway's own error codes
            and rejected keys, prefixed or followed by what to do), else our description.
        status_code: the HTTP status, or None when no response arrived.
        status: Google's `error.status` (e.g. `"RESOURCE_EXHAUSTED"`), or the gateway's
            `error.type`/`error.code` for OpenAI-shaped errors; None if absent.
        body: the raw response body as text (scrubbed of the API key), or None.
        details: Google's `error.details` list (RetryInfo, ErrorInfo, BadRequest...), if any.
        retry_after: seconds the server asked us to wait (Retry-After / RetryInfo), if any.
        model: the model the request was for.
    """

    is_retryable = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        status: str | None = None,
        body: str | None = None,
        details: list[Any] | None = None,
        retry_after: float | None = None,
        model: str | None = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.status = status
        self.body = body
        self.details = details or []
        self.retry_after = retry_after
        self.model = model
        super().__init__(self._render())

    def _render(self) -> str:
        head = "Tokenhot"
        if self.model:
            head += f" ({self.model})"
        if self.status_code is not None:
            head += f" HTTP {self.status_code}"
        if self.status:
            head += f" {self.status}"
        return f"{head}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructor: pickle (used by multiprocessing and some checkpointers)
        # needs to be told how to rebuild us.
        return (
            _rebuild,
            (
                type(self),
                self.message,
                self.status_code,
                self.status,
                self.body,
                self.details,
                self.retry_after,
                self.model,
            ),
        )


def _rebuild(cls: type[TokenhotError], *args: Any) -> TokenhotError:
    message, status_code, status, body, details, retry_after, model = args
    return cls(
        message,
        status_code=status_code,
        status=status,
        body=body,
        details=details,
        retry_after=retry_after,
        model=model,
    )


class TokenhotAuthenticationError(TokenhotError, ModelAuthenticationError):
    """The key was missing, wrong or revoked (401, or Google's 400 `API_KEY_INVALID`)."""


class TokenhotPermissionDeniedError(TokenhotError, ModelPermissionDeniedError):
    """The key is valid but may not use this model or has no balance left (403)."""


class TokenhotQuotaExhaustedError(TokenhotPermissionDeniedError):
    """The account balance or the key's own quota is used up (the gateway's
    `insufficient_user_quota` / `pre_consume_token_quota_failed`, HTTP 402 or 403).

    Not retried, and deliberately not a `ModelRateLimitError`: waiting does not refill a
    balance, so retry middleware keyed on rate limits must not spin on it.
    """


class TokenhotInvalidRequestError(TokenhotError, ModelInvalidRequestError):
    """The server rejected the request as malformed or unsupported (400 and other 4xx)."""


class TokenhotContextOverflowError(TokenhotInvalidRequestError, ContextOverflowError):
    """The input is longer than the model's context window (a 400 saying so)."""


class TokenhotNotFoundError(TokenhotError, ModelNotFoundError):
    """The model (or endpoint) does not exist for this API version (404)."""


class TokenhotRateLimitError(TokenhotError, ModelRateLimitError):
    """Rate limit or quota exhausted (429). Retried; raised once retries are used up."""

    is_retryable = True


class TokenhotServerError(TokenhotError, ModelAPIError):
    """The server or a gateway failed (408, 5xx). Retried; raised once retries are used up."""

    is_retryable = True


class TokenhotResponseError(TokenhotError, ModelAPIError):
    """The server answered 200 but with something we cannot use.

    A body that is not JSON, JSON of the wrong shape, an SSE stream that ended before its final
    event, or an `{"error": ...}` event in the middle of a stream. Not retried automatically:
    a stream may already have delivered part of its answer.
    """

    is_retryable = False


class TokenhotMalformedFunctionCallError(TokenhotResponseError):
    """Gemini ended its turn with a function call it could not produce.

    Raised for `finishReason` `MALFORMED_FUNCTION_CALL` (the model wrote a call that does not
    parse) or `UNEXPECTED_TOOL_CALL` (a call of an undeclared function, or while calling is
    off), once `malformed_call_retries` re-asks are used up, instead of an empty answer that
    would end an agent loop without a word.

    Attributes:
        finish_reason: `"MALFORMED_FUNCTION_CALL"` or `"UNEXPECTED_TOOL_CALL"` (also `status`).
        finish_message: Gemini's `finishMessage` (usually the unparsable call), or None.
        attempts: how many requests were made (1 + the re-asks).
    """

    def __init__(
        self,
        message: str,
        *,
        finish_reason: str | None = None,
        finish_message: str | None = None,
        attempts: int = 1,
        model: str | None = None,
    ) -> None:
        self.finish_reason = finish_reason
        self.finish_message = finish_message
        self.attempts = attempts
        super().__init__(message, status_code=200, status=finish_reason, model=model)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_malformed,
            (self.message, self.finish_reason, self.finish_message, self.attempts, self.model),
        )


def _rebuild_malformed(
    message: str,
    finish_reason: str | None,
    finish_message: str | None,
    attempts: int,
    model: str | None,
) -> TokenhotMalformedFunctionCallError:
    return TokenhotMalformedFunctionCallError(
        message,
        finish_reason=finish_reason,
        finish_message=finish_message,
        attempts=attempts,
        model=model,
    )


class TokenhotTimeoutError(TokenhotError, ModelTimeoutError):
    """No (complete) answer within `timeout` seconds. Retried; raised once retries are used up."""

    is_retryable = True


class TokenhotConnectionError(TokenhotError, ModelConnectionError):
    """The connection was refused, reset or closed early. Retried until retries are used up."""

    is_retryable = True


class TokenhotTooManyOpenFilesError(TokenhotConnectionError):
    """This process ran out of file descriptors (EMFILE/ENFILE) while connecting: not a network
    fault and not Tokenhot's, so it is not retried (a retry needs a descriptor too). Raise the
    limit (`ulimit -n`) or find what keeps sockets or files open."""

    is_retryable = False


class UnsupportedContentError(ValueError):
    """A message or content block cannot be expressed in Gemini's wire format.

    Raised before any request is sent; the message names the block and what to change.
    """


class ToolConversionError(ValueError):
    """A tool, `tool_choice` or output schema cannot be expressed for Gemini.

    Raised before any request is sent; the message names the tool and the problem.
    """


class MediaDownloadError(TokenhotError):
    """A media URL in a message could not be downloaded (the media host failed, not Tokenhot).

    Raised before the model is called. `host` is the media host, `media_status` the HTTP
    status it answered (None when it did not answer), `url` the URL with credentials and query
    values masked. `is_retryable` is True only for transient failures (a timeout, a refused or
    reset connection, 408/429/5xx from the media host); downloads are not retried
    automatically. `limit` names the download limit exceeded, if that is the failure:
    `"bytes per media URL"`, `"bytes per call"` or `"media URLs per call"`.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        host: str | None = None,
        media_status: int | None = None,
        transient: bool = False,
        limit: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.url = url
        self.host = host
        self.media_status = media_status
        self.is_retryable = transient
        self.limit = limit
        super().__init__(message, **kwargs)

    def _render(self) -> str:
        # Not "Tokenhot HTTP ...": the status, if any, is the media host's.
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_media,
            (
                type(self),
                self.message,
                self.url,
                self.host,
                self.media_status,
                self.is_retryable,
                self.limit,
            ),
        )


class MediaURLRefusedError(MediaDownloadError, ValueError):
    """A media URL (or one of its redirect hops) is refused by the media-URL policy.

    Nothing was sent to the refused address, and nothing to the model. `rule` names the rule
    (`"loopback"`, `"private"`, `"link-local (cloud metadata)"`, `"downloads disabled"`,
    `"scheme"`, `"redirects"`, ...) and `option` the constructor option that allows it, if any
    (`media_allowed_hosts`, `download_media`). Also a `ValueError`: it is bad input.
    """

    def __init__(
        self,
        message: str,
        *,
        rule: str | None = None,
        option: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.rule = rule
        self.option = option
        super().__init__(message, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_refusal,
            (type(self), self.message, self.url, self.host, self.rule, self.option),
        )


def _rebuild_media(
    cls: type[MediaDownloadError],
    message: str,
    url: str | None,
    host: str | None,
    media_status: int | None,
    transient: bool,
    limit: str | None = None,
) -> MediaDownloadError:
    return cls(
        message, url=url, host=host, media_status=media_status, transient=transient, limit=limit
    )


def _rebuild_refusal(
    cls: type[MediaURLRefusedError],
    message: str,
    url: str | None,
    host: str | None,
    rule: str | None,
    option: str | None,
) -> MediaURLRefusedError:
    return cls(message, url=url, host=host, rule=rule, option=option)


class InvalidOptionError(ValueError):
    """A model option has a value we cannot send (at construction or per call).

    Raised before any request. `option` names the option; the message says what to pass.
    """

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.option, str(self)))


class UnknownOptionError(InvalidOptionError, TypeError):
    """An option name the model does not know (a constructor or per-call keyword).

    The message names the keyword and the closest valid option. Also a `TypeError`, which is
    what Python raises for an unexpected keyword argument.
    """

    def __init__(self, option: str, message: str, suggestion: str | None = None) -> None:
        self.suggestion = suggestion
        super().__init__(option, message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.option, str(self), self.suggestion))
