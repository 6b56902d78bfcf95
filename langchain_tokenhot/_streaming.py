"""Gemini SSE events → `AIMessageChunk`s (pure; the transport hands us parsed events).

Gemini's streaming rules this module encodes (wire-format reference §0 and §6):

* Each event holds only the new parts. Consecutive text deltas (and consecutive thought
  deltas) share one block `index` so they merge into one block when chunks are added; a
  signature that arrives on a later, empty text part joins that block.
* `usageMetadata` is cumulative on every event and only the last event's is right (counts can
  drop and rise in between), so usage is reported once, on the final chunk, from the last event:
  summing chunks gives exactly the server's totals. `model_name` is on that chunk only.
* Function calls arrive whole; each gets its own `tool_call_chunks` index so parallel calls
  never merge.
* A stream must end with an event carrying `finishReason` (or a blocked-prompt event). One that
  just stops is an error, never a shorter answer that looks complete.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from langchain_core.messages import AIMessageChunk
from langchain_core.messages.tool import ToolCallChunk
from langchain_core.outputs import ChatGenerationChunk

from ._exceptions import TokenhotResponseError
from ._messages import FUNCTION_CALL_SIGNATURES_KEY
from ._response import (
    _MALFORMED,
    MODEL_PROVIDER,
    ParsedParts,
    audio_wav,
    blocked_prompt_metadata,
    candidate_metadata,
    grounding_char_offsets,
    malformed,
    parse_parts,
    snake_keys,
    usage_from_wire,
    warn_if_empty,
)
from ._service_tier import ServedTier, note_served_tier
from ._templates import text_chunk
from ._tools import has_server_tool_blocks, note_missing_server_records

logger = logging.getLogger(__name__)

_PROVIDER_META = {"model_provider": MODEL_PROVIDER}
_CONTENT_KEYS = frozenset({"content", "index"})


def streams_blocks(model: str, *, include_thoughts: bool | None) -> bool:
    """Whether chunks carry content blocks (True) or plain strings.

    Gemini 3 signs its text and image models return images, so their chunks must be blocks for
    signatures to survive; Gemini 2.5 text without thoughts streams plain strings, which is
    what most code printing `chunk.content` expects.
    """
    plain = model.removeprefix("models/").startswith("gemini-2") and "image" not in model
    return not plain or bool(include_thoughts)


class StreamAssembler:
    """Turns the events of one stream into chunks; `finish()` gives the closing chunk."""

    __slots__ = (
        "_answer",
        "_audio",
        "_block_index",
        "_block_kind",
        "_block_signed",
        "_blocked",
        "_candidate_meta",
        "_expects_server_records",
        "_grounding",
        "_model",
        "_model_version",
        "_prompt_feedback",
        "_requested_tier",
        "_response_id",
        "_saw_output",
        "_saw_server_records",
        "_tool_index",
        "_usage",
        "blocks_mode",
        "served",
    )

    def __init__(
        self,
        model: str,
        *,
        blocks_mode: bool,
        requested_tier: str | None = None,
        expects_server_records: bool = False,
    ) -> None:
        self._model = model
        self._expects_server_records = expects_server_records
        self._saw_server_records = False
        self.blocks_mode = blocks_mode
        self._requested_tier = requested_tier
        self.served = ServedTier()
        """Pass to the transport as `on_headers`: the served tier lands on the last chunk."""
        self._block_index = -1
        self._block_kind: str | None = None
        self._block_signed = False
        self._tool_index = 0
        self._usage: Any = None
        self._model_version: str | None = None
        self._response_id: str | None = None
        self._candidate_meta: dict[str, Any] = {}
        self._prompt_feedback: dict[str, Any] | None = None
        self._blocked: dict[str, Any] | None = None
        self._audio: list[tuple[str, str]] = []
        self._answer: list[str] = []
        self._grounding: dict[str, Any] | None = None
        self._saw_output = False

    def fresh(self) -> StreamAssembler:
        """A new assembler for the same request (a re-asked stream starts over)."""
        return StreamAssembler(
            self._model,
            blocks_mode=self.blocks_mode,
            requested_tier=self._requested_tier,
            expects_server_records=self._expects_server_records,
        )

    def _index_for(self, kind: str, *, signed: bool) -> int:
        # Deltas of the same kind continue the open block; a second signature would have to
        # merge into an already signed block (and its string would be concatenated), so it
        # opens a new one instead.
        if (
            kind != self._block_kind
            or kind not in ("text", "thinking")
            or (signed and self._block_signed)
        ):
            self._block_index += 1
            self._block_kind = kind
            self._block_signed = False
        if signed:
            self._block_signed = True
        return self._block_index

    def feed(self, event: dict[str, Any]) -> ChatGenerationChunk | None:
        """The chunk for one event, or None when the event carries no content.

        Raises:
            TokenhotResponseError: the event does not have the documented shape.
        """
        # One function for the usual event (called once per event: each call level costs).
        try:
            get = event.get
            if usage := get("usageMetadata"):
                self._usage = usage
            if version := get("modelVersion"):
                self._model_version = version
            if (response_id := get("responseId")) and response_id != self._response_id:
                if type(response_id) is not str:
                    # Chunks get the id by assignment, unvalidated (below).
                    raise TypeError(f"`responseId` is not a string: {type(response_id).__name__}")
                self._response_id = response_id
            if feedback := get("promptFeedback"):
                self._prompt_feedback = feedback
            candidates = get("candidates")
            if not candidates:
                if feedback and feedback.get("blockReason"):
                    self._blocked = blocked_prompt_metadata(event)  # type: ignore[arg-type]
                return None
            if not isinstance(candidates, list) or not isinstance(candidates[0], dict):
                raise TokenhotResponseError(
                    "malformed stream event: `candidates` is not a list of objects",
                    status_code=200,
                    model=self._model,
                )
            candidate = candidates[0]
            if grounding := candidate.get("groundingMetadata"):
                # Its offsets refer to the whole answer: converted in finish(), once all is here.
                self._grounding = grounding
                candidate = {k: v for k, v in candidate.items() if k != "groundingMetadata"}
            if not candidate.keys() <= _CONTENT_KEYS:  # no set built for the usual candidate
                self._candidate_meta.update(candidate_metadata(candidate))  # type: ignore[arg-type]
            content = candidate.get("content")
            parts = content.get("parts") if isinstance(content, dict) else None
            if not parts:
                return None
            if not isinstance(parts, list):
                raise TokenhotResponseError(
                    "malformed stream event: `content.parts` is not a list",
                    status_code=200,
                    model=self._model,
                )
            if not (
                len(parts) == 1
                and len(part := parts[0]) == 1
                and type(text := part.get("text")) is str
            ):
                return self._chunk(parse_parts(parts))
        except _MALFORMED as exc:
            raise malformed(exc, self._model) from None
        # Most events are one plain text delta: no general part parser.
        if not text:
            return None
        self._answer.append(text)
        self._saw_output = True
        # Both values are checked above (a string text, a string id): see `_templates`.
        return text_chunk(
            [{"type": "text", "text": text, "index": self._index_for("text", signed=False)}]
            if self.blocks_mode
            else text,
            text,
            self._response_id,
            {"model_provider": MODEL_PROVIDER},
        )

    def _chunk(self, parsed: ParsedParts) -> ChatGenerationChunk | None:
        self._answer.extend(b["text"] for b in parsed.blocks if b["type"] == "text")
        if not self._saw_server_records and has_server_tool_blocks(parsed.blocks):
            self._saw_server_records = True
        if parsed.audio:
            self._audio.extend(parsed.audio)
            self._saw_output = True
        content: str | list[str | dict[str, Any]]
        if self.blocks_mode:
            blocks: list[str | dict[str, Any]] = []
            for block in parsed.blocks:
                kind = block["type"]
                signed = "signature" in block or "signature" in block.get("extras", ())
                block["index"] = self._index_for(kind, signed=signed)
                blocks.append(block)
            content = blocks
        else:
            texts = []
            for block in parsed.blocks:
                if block["type"] == "text":
                    if "extras" in block:
                        logger.debug("dropping a text signature in plain-string streaming mode")
                    texts.append(block["text"])
                else:
                    # Not expected from a plain-text model; surface it rather than lose it.
                    logger.warning("unexpected %s part in a plain-text stream", block["type"])
            content = "".join(texts)
        tool_call_chunks: list[ToolCallChunk] = []
        for call in parsed.tool_calls:
            tool_call_chunks.append(
                ToolCallChunk(
                    name=call["name"],
                    args=orjson.dumps(call["args"]).decode(),
                    id=call["id"],
                    index=self._tool_index,
                    type="tool_call_chunk",
                )
            )
            self._tool_index += 1
        if not content and not tool_call_chunks:
            return None
        self._saw_output = True
        additional_kwargs: dict[str, Any] = {}
        if parsed.signatures:
            additional_kwargs[FUNCTION_CALL_SIGNATURES_KEY] = parsed.signatures
        message = AIMessageChunk(
            content=content,
            tool_call_chunks=tool_call_chunks,
            additional_kwargs=additional_kwargs,
            response_metadata=dict(_PROVIDER_META),
            id=self._response_id,
        )
        return ChatGenerationChunk(message=message)

    def finish(self) -> ChatGenerationChunk:
        """The closing chunk with usage and metadata.

        Raises:
            TokenhotResponseError: the stream was cut short, or its metadata is malformed.
        """
        try:
            return self._finish()
        except _MALFORMED as exc:
            raise malformed(exc, self._model) from None

    def _finish(self) -> ChatGenerationChunk:
        meta: dict[str, Any] = {
            "model_name": self._model_version or self._model,
            "model_provider": MODEL_PROVIDER,
        }
        if self._prompt_feedback:
            meta["prompt_feedback"] = snake_keys(self._prompt_feedback)
        if self._response_id:
            meta["response_id"] = self._response_id
        tier = self.served.value(self._usage)
        note_served_tier(self._requested_tier, tier, self._model)
        if tier is not None:
            meta["service_tier"] = tier
        if self._blocked is not None:
            meta.update(self._blocked)
        elif "finish_reason" not in self._candidate_meta:
            raise TokenhotResponseError(
                "the stream ended before its final event (no finishReason arrived); the answer "
                "is incomplete",
                status_code=200,
                model=self._model,
            )
        else:
            meta.update(self._candidate_meta)
        if self._grounding is not None:
            meta["grounding_metadata"] = snake_keys(
                grounding_char_offsets(self._grounding, "".join(self._answer))
            )
        if self._expects_server_records:
            note_missing_server_records(self._model, meta, has_records=self._saw_server_records)
        additional_kwargs: dict[str, Any] = {}
        if self._audio:
            additional_kwargs["audio"] = audio_wav(self._audio)
        if not self._saw_output:
            empty = ParsedParts()
            warn_if_empty(meta, empty, self._model)
        message = AIMessageChunk(
            content=[] if self.blocks_mode else "",
            additional_kwargs=additional_kwargs,
            response_metadata=meta,
            usage_metadata=usage_from_wire(self._usage),
            id=self._response_id,
            chunk_position="last",
        )
        return ChatGenerationChunk(message=message)
