"""Function calls Gemini could not produce: re-ask a bounded number of times, then raise.

Gemini ends a turn with `finishReason` `MALFORMED_FUNCTION_CALL` (it wrote a call that does not
parse) or `UNEXPECTED_TOOL_CALL` (it called an undeclared function, or calling was off), usually
with no parts at all. Taken as an answer that is an empty `AIMessage`, which ends an agent loop
without a word. Instead the same request is sent again up to `malformed_call_retries` times (the
model samples anew, so a second try usually produces a proper call); each re-ask is logged and
listed in `response_metadata["malformed_call_retries"]` of the answer that finally came. When
the re-asks are used up, `TokenhotMalformedFunctionCallError` carries Gemini's `finishMessage`.
A stream is re-asked only if nothing of it reached the caller yet; otherwise it raises.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from ._exceptions import TokenhotMalformedFunctionCallError

logger = logging.getLogger(__name__)

MALFORMED_CALL_REASONS = frozenset({"MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL"})
METADATA_KEY = "malformed_call_retries"
_MESSAGE_LIMIT = 500


def malformed_finish(metas: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """`{"finish_reason", "finish_message"}` when every candidate ended in a failed call."""
    if not metas:
        return None
    for meta in metas:  # a loop, not any() over a generator: this runs on every answer
        if meta.get("finish_reason") not in MALFORMED_CALL_REASONS:
            return None
    first = metas[0]
    record = {"finish_reason": first["finish_reason"]}
    if first.get("finish_message"):
        record["finish_message"] = str(first["finish_message"])[:_MESSAGE_LIMIT]
    return record


def note_retry(model: str, record: Mapping[str, Any], retry: int, retries: int) -> None:
    logger.warning(
        "%s ended with %s%s; asking again (%d of %d)",
        model,
        record["finish_reason"],
        f" ({record['finish_message']})" if record.get("finish_message") else "",
        retry,
        retries,
    )


def malformed_error(
    model: str, record: Mapping[str, Any], attempts: int
) -> TokenhotMalformedFunctionCallError:
    reason = record["finish_reason"]
    message = record.get("finish_message")
    what = (
        "wrote a function call that does not parse"
        if reason == "MALFORMED_FUNCTION_CALL"
        else "called a function that is not declared, or called one while calling is off"
    )
    hint = (
        "Simplify the tool's parameters (fewer, flatter, described), lower temperature, or "
        "raise malformed_call_retries."
        if reason == "MALFORMED_FUNCTION_CALL"
        else "Check that the tools bound on this call include every function the history uses, "
        "and that tool_choice does not forbid calls."
    )
    return TokenhotMalformedFunctionCallError(
        f"Gemini {what} ({reason}{': ' + message if message else ''}) on {attempts} "
        f"attempt{'s' if attempts != 1 else ''}. {hint}",
        finish_reason=reason,
        finish_message=message,
        attempts=attempts,
        model=model,
    )


class MalformedCallGuard:
    """The re-ask decision for one call: `reask(metadata)` after each answer."""

    __slots__ = ("_model", "_retried", "_retries")

    def __init__(self, model: str, retries: int) -> None:
        self._model = model
        self._retries = retries
        self._retried: list[dict[str, Any]] = []

    def reask(self, metas: Sequence[dict[str, Any]], *, can_reask: bool = True) -> bool:
        """True: send the request again. False: the answer stands (the re-asks, if any, are
        listed in its metadata). `can_reask=False` (part of a stream already reached the
        caller) raises at once.

        Raises:
            TokenhotMalformedFunctionCallError: a failed call and no re-ask left.
        """
        record = malformed_finish(metas)
        if record is None:
            if self._retried:
                for meta in metas:
                    meta[METADATA_KEY] = list(self._retried)
            return False
        if not can_reask or len(self._retried) >= self._retries:
            raise malformed_error(self._model, record, len(self._retried) + 1)
        self._retried.append(record)
        note_retry(self._model, record, len(self._retried), self._retries)
        return True
