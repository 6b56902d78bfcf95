"""Gemini responses → `AIMessage`, usage and metadata (pure functions).

Output shapes follow langchain-google-genai, and messages are stamped
`model_provider="google_genai"`, so langchain-core's block translator serves `content_blocks`
(reasoning, images, code execution, citations, refusals) and histories move freely between the
two packages:

* answer text → a string when the turn is plain unsigned text, else `{"type": "text"}` blocks
  with the part's signature in `extras.signature`;
* thought parts → `{"type": "thinking", "thinking", "signature"?}`;
* `functionCall` → `tool_calls` (args exactly as sent), signatures in
  `additional_kwargs["__gemini_function_call_thought_signatures__"]`;
* images → `image_url` blocks with a data URL; audio → WAV bytes in `additional_kwargs["audio"]`;
* code execution → `executable_code` / `code_execution_result` blocks;
* server-side tool invocations (`toolCall` / `toolResponse`, Gemini 3 combined tools) →
  standard `server_tool_call` / `server_tool_result` blocks, `toolType` and signature in
  `extras` so the turn replays verbatim.

Shapes that carry no answer (blocked prompt, `content: {}`, no `parts`) never raise here: the
message comes back empty with metadata that says why, and a warning is logged.
"""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import ToolCall

from ._exceptions import TokenhotResponseError
from ._messages import FUNCTION_CALL_SIGNATURES_KEY, GENERATED_TOOL_CALL_ID_PREFIX
from ._templates import text_answer
from ._tools import server_tool_call_block, server_tool_result_block
from ._wire import Candidate, GenerateContentResponse, Part
from ._wire import UsageMetadata as WireUsage
from .audio import parse_pcm_mime, pcm_to_wav

logger = logging.getLogger(__name__)

MODEL_PROVIDER = "google_genai"

_OUTCOME_CODES = {"OUTCOME_OK": 1, "OUTCOME_FAILED": 2, "OUTCOME_DEADLINE_EXCEEDED": 3}


def new_tool_call_id() -> str:
    """An id for a function call Gemini sent without one (never sent back to Gemini)."""
    return GENERATED_TOOL_CALL_ID_PREFIX + uuid.uuid4().hex


def usage_from_wire(usage: WireUsage | None) -> UsageMetadata | None:
    """Map `usageMetadata` to LangChain's `UsageMetadata`.

    `candidatesTokenCount` excludes thinking, so output = candidates + thoughts; cached tokens are
    a subset of the prompt, tool-use prompt tokens are not.
    """
    if not usage:
        return None
    prompt = usage.get("promptTokenCount", 0) + usage.get("toolUsePromptTokenCount", 0)
    thoughts = usage.get("thoughtsTokenCount")
    output = usage.get("candidatesTokenCount", 0) + (thoughts or 0)
    result = UsageMetadata(
        input_tokens=prompt,
        output_tokens=output,
        total_tokens=usage.get("totalTokenCount", prompt + output),
    )
    # Keys in the TypedDicts' own order, which is the order validation gives them (so a
    # message copied from a template holds the same dict as a validated one, see `_templates`).
    input_details = InputTokenDetails()
    if audio_in := _modality_count(usage.get("promptTokensDetails"), "AUDIO"):
        input_details["audio"] = audio_in
    # Always present (0 on a cache miss), as langchain-google-genai does: callers and the
    # standard tests read it without a guard.
    input_details["cache_read"] = usage.get("cachedContentTokenCount", 0)
    result["input_token_details"] = input_details
    output_details = OutputTokenDetails()
    if audio_out := _modality_count(usage.get("candidatesTokensDetails"), "AUDIO"):
        output_details["audio"] = audio_out
    if thoughts is not None:
        output_details["reasoning"] = thoughts
    if output_details:
        result["output_token_details"] = output_details
    return result


def _modality_count(details: Any, modality: str) -> int:
    if not isinstance(details, list):
        return 0
    count = 0
    for entry in details:  # a loop, not sum() over a generator: read on every call
        if isinstance(entry, Mapping) and entry.get("modality") == modality:
            count += entry.get("tokenCount", 0)
    return count


def snake_keys(value: Any) -> Any:
    """Deep copy of JSON with camelCase keys in snake_case (what the core translator reads)."""
    if isinstance(value, Mapping):
        return {_snake(k): snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    return value


_snake_cache: dict[str, str] = {}


def _snake(key: str) -> str:
    cached = _snake_cache.get(key)
    if cached is None:
        cached = "".join("_" + c.lower() if c.isupper() else c for c in key).lstrip("_")
        if len(_snake_cache) < 4096:
            _snake_cache[key] = cached
    return cached


class ParsedParts:
    """What a list of response parts becomes on a message."""

    __slots__ = ("audio", "blocks", "plain", "signatures", "tool_calls")

    def __init__(self) -> None:
        self.blocks: list[dict[str, Any]] = []
        self.tool_calls: list[ToolCall] = []
        self.signatures: dict[str, str] = {}
        self.audio: list[tuple[str, str]] = []  # (mime type, base64 data)
        # True while every block is unsigned answer text, i.e. content can be a plain string.
        self.plain = True


def parse_parts(parts: list[Part], parsed: ParsedParts | None = None) -> ParsedParts:
    """Translate response parts into content blocks, tool calls and signatures."""
    out = parsed or ParsedParts()
    for part in parts:
        sig = part.get("thoughtSignature")
        if sig is not None and not isinstance(sig, str):
            raise TypeError("thoughtSignature is not a string")
        if "text" in part:
            text = part["text"]
            if not isinstance(text, str):
                raise TypeError("part text is not a string")
            if part.get("thought"):
                block: dict[str, Any] = {"type": "thinking", "thinking": text}
                if sig:
                    block["signature"] = sig
                out.plain = False
            else:
                block = {"type": "text", "text": text}
                if sig:
                    block["extras"] = {"signature": sig}
                    out.plain = False
                elif not text:
                    continue
            out.blocks.append(block)
        elif fc := part.get("functionCall"):
            call_id = fc.get("id") or new_tool_call_id()
            args = fc.get("args")
            out.tool_calls.append(
                ToolCall(
                    name=fc.get("name", ""),
                    args=args if isinstance(args, dict) else {},
                    id=call_id,
                    type="tool_call",
                )
            )
            if sig:
                out.signatures[call_id] = sig
        elif blob := part.get("inlineData"):
            mime = blob.get("mimeType", "application/octet-stream")
            data = blob.get("data", "")
            if mime.startswith("audio/"):
                out.audio.append((mime, data))
                continue
            block = {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}}
            if sig:
                block["extras"] = {"signature": sig}
            out.blocks.append(block)
            out.plain = False
        elif code := part.get("executableCode"):
            block = {
                "type": "executable_code",
                "executable_code": code.get("code", ""),
                "language": code.get("language", "PYTHON"),
            }
            if "id" in code:
                block["id"] = code["id"]
            if sig:
                block["extras"] = {"signature": sig}
            out.blocks.append(block)
            out.plain = False
        elif result := part.get("codeExecutionResult"):
            block = {
                "type": "code_execution_result",
                "code_execution_result": result.get("output", ""),
                "outcome": _OUTCOME_CODES.get(result.get("outcome", ""), 2),
            }
            if "id" in result:
                block["tool_call_id"] = result["id"]
            out.blocks.append(block)
            out.plain = False
        elif file_data := part.get("fileData"):
            block = {"type": "file_data", "file_uri": file_data.get("fileUri", "")}
            if "mimeType" in file_data:
                block["mime_type"] = file_data["mimeType"]
            out.blocks.append(block)
            out.plain = False
        elif isinstance(server_call := part.get("toolCall"), dict):
            out.blocks.append(server_tool_call_block(server_call, sig))
            out.plain = False
        elif isinstance(server_result := part.get("toolResponse"), dict):
            out.blocks.append(server_tool_result_block(server_result, sig))
            out.plain = False
        else:
            # A part kind we do not know yet (the API grows): keep it verbatim so it can be
            # replayed on the next turn instead of being lost.
            out.blocks.append({"type": "gemini_part", "part": dict(part)})
            out.plain = False
    return out


def content_of(parsed: ParsedParts) -> str | list[str | dict[str, Any]]:
    if parsed.plain:
        return "".join(b["text"] for b in parsed.blocks)
    return parsed.blocks  # type: ignore[return-value]


def additional_kwargs_of(parsed: ParsedParts) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if parsed.signatures:
        kwargs[FUNCTION_CALL_SIGNATURES_KEY] = parsed.signatures
    if parsed.audio:
        kwargs["audio"] = audio_wav(parsed.audio)
    return kwargs


def audio_wav(audio: list[tuple[str, str]]) -> bytes:
    """The audio parts (mime type, base64) of a response as one WAV file.

    Same place (`additional_kwargs["audio"]`) and format as langchain-google-genai: core's
    translator turns it into a standard `audio` block in `content_blocks`.
    """
    mime = audio[0][0]
    pcm = b"".join(base64.b64decode(data) for _, data in audio)
    return pcm if "wav" in mime else pcm_to_wav(pcm, sample_rate=parse_pcm_mime(mime))


def grounding_char_offsets(grounding: dict[str, Any], text: str) -> dict[str, Any]:
    """Grounding metadata with segment offsets in characters of `text` instead of UTF-8 bytes.

    Gemini counts bytes; Python strings (and the citations core builds from this metadata)
    count characters, so `msg.text[start:end]` would be off after any non-ASCII character.
    """
    supports = grounding.get("groundingSupports")
    if text.isascii() or not isinstance(supports, list):
        return grounding
    encoded = text.encode()
    converted = []
    for support in supports:
        segment = support.get("segment") if isinstance(support, dict) else None
        if isinstance(segment, dict):
            segment = {
                key: len(encoded[:value].decode("utf-8", "ignore"))
                if key in ("startIndex", "endIndex") and isinstance(value, int)
                else value
                for key, value in segment.items()
            }
            support = {**support, "segment": segment}
        converted.append(support)
    return {**grounding, "groundingSupports": converted}


def answer_text(parts: list[Part]) -> str:
    return "".join(p.get("text", "") for p in parts if not p.get("thought"))


def candidate_metadata(candidate: Candidate, text: str | None = None) -> dict[str, Any]:
    """Per-candidate response metadata (snake_case, as the core translator expects).

    `text` is the candidate's whole answer text, used to turn grounding offsets into
    character offsets (defaults to the text of the candidate's own parts).
    """
    meta: dict[str, Any] = {}
    if reason := candidate.get("finishReason"):
        meta["finish_reason"] = reason
    if message := candidate.get("finishMessage"):
        meta["finish_message"] = message
    if ratings := candidate.get("safetyRatings"):
        meta["safety_ratings"] = snake_keys(ratings)
    if grounding := candidate.get("groundingMetadata"):
        if text is None:
            text = answer_text((candidate.get("content") or {}).get("parts") or [])
        meta["grounding_metadata"] = snake_keys(grounding_char_offsets(grounding, text))
    if citations := candidate.get("citationMetadata"):
        meta["citation_metadata"] = snake_keys(citations)
    if url_context := candidate.get("urlContextMetadata"):
        meta["url_context_metadata"] = snake_keys(url_context)
    if (avg := candidate.get("avgLogprobs")) is not None:
        meta["avg_logprobs"] = avg
    if logprobs := candidate.get("logprobsResult"):
        meta["logprobs_result"] = snake_keys(logprobs)
    return meta


def response_metadata(
    response: GenerateContentResponse, requested_model: str, service_tier: str | None = None
) -> dict[str, Any]:
    """Metadata shared by every candidate of a response.

    `service_tier` is the tier that served the call as the server reported it (None: it did
    not say, and then the key is absent rather than guessed).
    """
    meta: dict[str, Any] = {
        "model_name": response.get("modelVersion") or requested_model,
        "model_provider": MODEL_PROVIDER,
    }
    if service_tier is not None:
        meta["service_tier"] = service_tier
    if feedback := response.get("promptFeedback"):
        meta["prompt_feedback"] = snake_keys(feedback)
    if response_id := response.get("responseId"):
        meta["response_id"] = response_id
    return meta


def blocked_prompt_metadata(response: GenerateContentResponse) -> dict[str, Any]:
    """Metadata for a response with no candidates: the prompt itself was blocked."""
    feedback = response.get("promptFeedback") or {}
    reason = feedback.get("blockReason") or "UNKNOWN"
    message = feedback.get("blockReasonMessage") or (
        f"The prompt was blocked ({reason}); Gemini returned no answer."
    )
    logger.warning("Tokenhot/Gemini blocked the prompt: %s", message)
    return {"finish_reason": reason, "finish_message": message}


def warn_if_empty(meta: Mapping[str, Any], parsed: ParsedParts, model: str) -> None:
    """Empty answers are never silent: log why, and how to fix the common case."""
    if parsed.blocks or parsed.tool_calls or parsed.audio:
        return
    reason = meta.get("finish_reason")
    if reason == "MAX_TOKENS":
        logger.warning(
            "%s returned no text: finish_reason=MAX_TOKENS, the whole output budget went to "
            "thinking. Raise max_tokens or lower thinking_level / thinking_budget.",
            model,
        )
    elif reason and reason != "STOP":
        logger.warning(
            "%s returned no content: finish_reason=%s%s",
            model,
            reason,
            f" ({meta['finish_message']})" if meta.get("finish_message") else "",
        )


def check_shape(response: Any) -> GenerateContentResponse:
    """Reject a 200 body that is not a GenerateContentResponse, with a clear error."""
    if not isinstance(response, dict):
        raise TokenhotResponseError(
            f"expected a JSON object from generateContent, got {type(response).__name__}",
            status_code=200,
        )
    # Plain loops rather than all() over generators: this runs on every answer.
    candidates = response.get("candidates")
    if candidates is not None and not isinstance(candidates, list):
        candidates = [None]  # reported below as not a list of objects
    for candidate in candidates or ():
        if not isinstance(candidate, dict):
            raise TokenhotResponseError(
                "malformed response: `candidates` is not a list of objects", status_code=200
            )
    for candidate in candidates or ():
        content = candidate.get("content")
        if content is None:
            continue
        parts = content.get("parts") if isinstance(content, dict) else None
        if not isinstance(content, dict) or (parts is not None and not isinstance(parts, list)):
            parts = [None]
        for part in parts or ():
            if not isinstance(part, dict):
                raise TokenhotResponseError(
                    "malformed response: candidate `content.parts` is not a list of objects",
                    status_code=200,
                )
    usage = response.get("usageMetadata")
    if usage is not None and not isinstance(usage, dict):
        raise TokenhotResponseError(
            "malformed response: `usageMetadata` is not an object", status_code=200
        )
    return response  # type: ignore[return-value]


_MALFORMED = (KeyError, IndexError, AttributeError, TypeError, ValueError)
"""What reading a body of unexpected shape raises; reported as `TokenhotResponseError`."""


def malformed(exc: Exception, model: str) -> TokenhotResponseError:
    """The error for a 200 body whose shape our parser does not know."""
    return TokenhotResponseError(
        f"malformed response from the server ({type(exc).__name__}: {exc})",
        status_code=200,
        model=model,
    )


def messages_from_response(
    response: GenerateContentResponse, requested_model: str, *, service_tier: str | None = None
) -> list[tuple[AIMessage, dict[str, Any]]]:
    """One `(AIMessage, generation_info)` per candidate (one empty message if none).

    Raises:
        TokenhotResponseError: the body does not have the documented shape.
    """
    try:
        return _messages_from_response(response, requested_model, service_tier)
    except _MALFORMED as exc:
        raise malformed(exc, requested_model) from None


def _messages_from_response(
    response: GenerateContentResponse, requested_model: str, service_tier: str | None
) -> list[tuple[AIMessage, dict[str, Any]]]:
    shared = response_metadata(response, requested_model, service_tier)
    usage = usage_from_wire(response.get("usageMetadata"))
    response_id = response.get("responseId")
    candidates = response.get("candidates")
    if not candidates:
        meta = {**shared, **blocked_prompt_metadata(response)}
        message = AIMessage(
            content="", response_metadata=meta, usage_metadata=usage, id=response_id
        )
        return [(message, meta)]
    results = []
    for candidate in candidates:
        content = candidate.get("content") or {}
        parsed = parse_parts(content.get("parts") or [])
        meta = {**shared, **candidate_metadata(candidate)}
        warn_if_empty(meta, parsed, requested_model)
        text = content_of(parsed)  # a string exactly when every block is plain text
        if (
            isinstance(text, str)
            and not parsed.tool_calls
            and not parsed.signatures
            and not parsed.audio
            and len(candidates) == 1  # candidates would share the usage dict
        ):
            # The usual answer, plain text: copied from a validated template (`_templates`).
            # Its own metadata dict, as validation would give it (`meta` is returned too).
            message = text_answer(text, dict(meta), usage, response_id)
        else:
            message = AIMessage(
                content=text,
                tool_calls=parsed.tool_calls,
                additional_kwargs=additional_kwargs_of(parsed),
                response_metadata=meta,
                usage_metadata=usage,
                id=response_id,
            )
        results.append((message, meta))
    return results
