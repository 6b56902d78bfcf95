"""Token counting for `get_num_tokens*`: a local approximation, or the server's answer.

Pure: the request body for `:countTokens` and the reading of its answer; the call itself is the
transport's. A new-api gateway has no `:countTokens` handler: it runs the request as a full
generation and bills it (new-api#7283), so the answer is a `GenerateContentResponse`. Its
`usageMetadata.promptTokenCount` is the count we want, and the caller is warned once per
gateway that counting this way costs a generation.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.messages.utils import count_tokens_approximately

from ._exceptions import TokenhotResponseError

IMAGE_TOKENS = 258
"""What Gemini bills for an image of up to 384x384 px (larger ones are tiled at 258 a tile)."""


class CountTokensBilledWarning(UserWarning):
    """`:countTokens` was answered with a generation: the gateway ran, and billed, one."""


_warned: set[str] = set()
_warned_lock = threading.Lock()


def approximate_tokens(messages: Sequence[BaseMessage], tools: Sequence[Any] | None) -> int:
    """langchain-core's character-based estimate (about 4 characters a token), no request.

    Images count as Gemini's 258 tokens instead of OpenAI's 85. When the history holds a reply
    with `usage_metadata`, the estimate is scaled by the real count of that reply, so a long
    conversation is counted close to what Gemini reported.
    """
    return count_tokens_approximately(
        messages,
        tokens_per_image=IMAGE_TOKENS,
        use_usage_metadata_scaling=True,
        tools=list(tools) if tools else None,
    )


_COUNTED_BESIDES_CONTENTS = frozenset({"systemInstruction", "tools", "cachedContent"})


def count_tokens_body(request: Mapping[str, Any], *, model: str) -> dict[str, Any]:
    """The `:countTokens` body for a generateContent request body.

    A request of contents alone goes as `{"contents": ...}`, the form a new-api gateway accepts
    (it validates countTokens bodies as generation requests, which need `contents`). A system
    instruction, tools or a cache need Google's `generateContentRequest` form, the only one
    that counts them; such a gateway rejects that form with 400 "contents is required".
    """
    if not _COUNTED_BESIDES_CONTENTS & request.keys():
        return {"contents": request["contents"]}
    return {"generateContentRequest": {"model": f"models/{model}", **request}}


def count_from_response(response: Any, *, model: str, base_url: str) -> int:
    """The token count in a `:countTokens` answer: Google's or a gateway's generation."""
    if isinstance(response, dict):
        total = response.get("totalTokens")
        if isinstance(total, int) and not isinstance(total, bool):
            return total
        usage = response.get("usageMetadata")
        prompt = usage.get("promptTokenCount") if isinstance(usage, dict) else None
        if isinstance(prompt, int) and not isinstance(prompt, bool):
            _warn_billed_once(base_url)
            return prompt
    # The body itself is not quoted: it could echo anything, the key included.
    keys = sorted(response) if isinstance(response, dict) else type(response).__name__
    raise TokenhotResponseError(
        f"countTokens answered without an integer totalTokens or usageMetadata."
        f"promptTokenCount (got {keys}); use token_counter='approximate'",
        status_code=200,
        model=model,
    )


def _warn_billed_once(base_url: str) -> None:
    with _warned_lock:
        if base_url in _warned:
            return
        _warned.add(base_url)
    warnings.warn(
        f"{base_url} answered countTokens with a generation: the gateway ran, and billed, a "
        "full generateContent call to count tokens. Counts are right, but each costs a "
        "generation; token_counter='approximate' (the default) counts locally for free.",
        CountTokensBilledWarning,
        stacklevel=4,
    )
