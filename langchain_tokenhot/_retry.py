"""The attempt policy of one call: retry or not, how long to wait, how long an attempt may take.

Sans-I/O: nothing here sends, sleeps or reads a clock. The transport runs an attempt, tells the
policy how it went, and does what the policy answers (sleep the returned delay, or let the
raised error reach the caller). Sync and async calls therefore share every decision and differ
only in their I/O calls. Rules (documented in docs/reliability.md):

* Retryable errors (`TokenhotError.is_retryable`: 408, 429, 5xx, connection errors, timeouts)
  are retried up to `max_retries` times; any other error is raised at once.
* The wait before a retry is the server's hint (`Retry-After`, or Google's
  `RetryInfo.retryDelay`, carried as `error.retry_after`) if it gave one, else exponential
  backoff with jitter; never more than `MAX_RETRY_DELAY`.
* `deadline` is what each whole attempt may take (a stream's: until its first event); the
  transport enforces it and reports a breach with `deadline_error()`.
* Once a stream's first event has reached the caller the call is never retried (a retry would
  repeat output the caller already has): a broken or stalled stream is then reported as cut
  short, an error the stream itself carried is raised as it is.
"""

from __future__ import annotations

import logging
import random
from typing import NoReturn

from ._errors import deadline_error
from ._exceptions import TokenhotError, TokenhotResponseError, TokenhotTimeoutError

logger = logging.getLogger("langchain_tokenhot")

MAX_RETRY_DELAY = 60.0
"""Longest wait between two attempts, whatever the server asks for (seconds)."""
INITIAL_BACKOFF = 0.5
"""Backoff ceiling before the first retry (seconds); it doubles with every retry."""
MAX_BACKOFF = 8.0
"""Largest backoff ceiling when the server gives no hint (seconds)."""


def backoff_delay(attempt: int, error: TokenhotError) -> float:
    """Seconds to wait before retry number `attempt + 1`; never more than `MAX_RETRY_DELAY`.

    The server's hint if `error` carries one; otherwise a random time between half and all of
    `min(INITIAL_BACKOFF * 2**attempt, MAX_BACKOFF)` (jitter spreads clients that failed
    together).
    """
    if error.retry_after is not None:
        return min(float(error.retry_after), MAX_RETRY_DELAY)
    ceiling = min(INITIAL_BACKOFF * 2.0**attempt, MAX_BACKOFF)
    return min(ceiling / 2 + random.uniform(0, ceiling / 2), MAX_RETRY_DELAY)


def cut_short(error: TokenhotError, model: str | None) -> TokenhotError:
    """The error a caller gets when a stream fails after part of its answer was delivered."""
    if isinstance(error, TokenhotTimeoutError):
        return TokenhotTimeoutError(
            f"the stream stalled after partial output ({error.message})", model=model
        )
    return TokenhotResponseError(f"the stream was cut short ({error.message})", model=model)


class Attempts:
    """The attempts of one call, from the first to the one whose outcome reaches the caller.

    Build one per call. After each failed attempt call `failed(error)`: it returns the seconds
    to wait before the next attempt, or raises the error the caller gets. A stream calls
    `delivered()` when its first event reaches the caller.
    """

    __slots__ = ("deadline", "max_retries", "model", "retries", "streamed")

    def __init__(self, *, max_retries: int, deadline: float | None, model: str | None) -> None:
        self.max_retries = max_retries
        self.deadline = deadline
        """Seconds one attempt may take in all (a stream's: until its first event); None: no
        bound."""
        self.model = model
        self.retries = 0
        """Retries granted so far."""
        self.streamed = False
        """True once a streamed event reached the caller: nothing is retried any more."""

    def delivered(self) -> None:
        """The first event of the stream reached the caller (its deadline no longer applies)."""
        self.streamed = True

    def deadline_error(self) -> TokenhotTimeoutError:
        """What an attempt that outlived `deadline` failed with."""
        return deadline_error(self.deadline, model=self.model)

    def failed(self, error: TokenhotError) -> float:
        """The current attempt failed with `error`: seconds to wait before the next one.

        Raises the error the caller gets instead when the call must end here: `error` is not
        retryable, the retries are used up, or part of a stream was already delivered.
        """
        if self.streamed:
            # Only the stream breaking or stalling is retryable at this point; what the
            # stream itself said (an error event, a malformed event) is the answer.
            _raise(cut_short(error, self.model) if error.is_retryable else error)
        if not error.is_retryable or self.retries >= self.max_retries:
            _raise(error)
        delay = backoff_delay(self.retries, error)
        self.retries += 1
        logger.info(
            "Tokenhot %s: %s; retry %d of %d in %.2f s",
            self.model,
            type(error).__name__,
            self.retries,
            self.max_retries,
            delay,
        )
        return delay


def _raise(error: TokenhotError) -> NoReturn:
    raise error from None
