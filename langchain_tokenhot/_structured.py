"""Structured output that streams: growing partial objects, then the validated one.

`with_structured_output(...)` pipes the model into `StructuredOutputParser`. On `invoke` it
parses the whole answer once. On `stream` / `astream` it yields a new partial object each time
more of the JSON has arrived (the answer text for `json_schema` / `json_mode`, the output tool
call's arguments for `function_calling`) and, once the stream ends, the final object, parsed
strictly and validated against the schema (a Pydantic schema gives its model instance; the partial
objects are instances built without validation, since a half-built object does not validate:
fields that have not arrived are unset and nested objects are still dicts). The refusal and
empty-answer checks run on the whole answer, streamed or not, so a blocked or empty reply raises
instead of ending on the last partial object.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

from langchain_core.exceptions import ModelRefusalError, OutputParserException
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, BaseMessageChunk
from langchain_core.output_parsers.transform import BaseCumulativeTransformOutputParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, Generation
from langchain_core.utils.json import parse_json_markdown, parse_partial_json
from pydantic import BaseModel, ValidationError
from pydantic.v1 import BaseModel as BaseModelV1
from pydantic.v1 import ValidationError as ValidationErrorV1

_REFUSAL_REASONS = frozenset(
    {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY", "LANGUAGE"}
)


def check_refusal(message: AIMessage) -> None:
    """Raise `ModelRefusalError` for a blocked prompt or a refused answer."""
    meta = message.response_metadata
    reason = meta.get("finish_reason")
    if reason in _REFUSAL_REASONS or (meta.get("prompt_feedback") or {}).get("block_reason"):
        refusals = [b for b in message.content_blocks if b.get("type") == "refusal"]
        if refusals:
            raise ModelRefusalError.from_refusal(refusals[0], raw_message=message)  # type: ignore[arg-type]
        raise ModelRefusalError(f"Gemini blocked the answer ({reason})", raw_message=message)


def require_answer(message: AIMessage) -> AIMessage:
    """The message, unless it was refused or holds no text to parse."""
    check_refusal(message)
    if not message.text.strip():
        reason = message.response_metadata.get("finish_reason")
        raise OutputParserException(
            f"Gemini returned no text to parse (finish_reason={reason}). "
            + ("Raise max_tokens or lower the thinking level." if reason == "MAX_TOKENS" else ""),
            llm_output="",
        )
    return message


def require_tool_call(message: AIMessage) -> AIMessage:
    """The message, unless it was refused or does not call the output tool."""
    check_refusal(message)
    if not message.tool_calls:
        reason = message.response_metadata.get("finish_reason")
        detail = message.response_metadata.get("finish_message")
        raise OutputParserException(
            f"Gemini did not call the output tool (finish_reason={reason}"
            + (f": {detail}" if detail else "")
            + ").",
            llm_output=message.text,
        )
    return message


class StructuredOutputParser(BaseCumulativeTransformOutputParser[Any]):
    """Parses `with_structured_output` answers, whole or as they stream.

    `source="text"`: the answer text is the JSON (json_schema / json_mode).
    `source="tool"`: the arguments of the call to `tool_name` are (function_calling).
    """

    source: Literal["text", "tool"]
    tool_name: str | None = None
    pydantic_schema: type[BaseModel] | type[BaseModelV1] | None = None

    @property
    def _type(self) -> str:
        return "tokenhot_structured_output"

    def parse(self, text: str) -> Any:
        return self.parse_result([Generation(text=text)])

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        generation = result[0]
        if not isinstance(generation, ChatGeneration) or not isinstance(
            generation.message, AIMessage
        ):
            if partial:
                return None
            return self._validated(_loads(generation.text), generation.text)
        message = generation.message
        if partial:
            return self._partial(message)
        if self.source == "tool":
            require_tool_call(message)
            return self._validated(self._tool_args(message), message.text)
        require_answer(message)
        return self._validated(_loads(message.text), message.text)

    def _partial(self, message: AIMessage) -> Any:
        if self.source == "tool":
            calls = [c for c in message.tool_calls if c["name"] == self.tool_name]
            parsed: Any = calls[0]["args"] if calls else None
        else:
            try:
                parsed = parse_json_markdown(message.text, parser=parse_partial_json)
            except ValueError:
                return None
        if not parsed:
            return None
        schema = self.pydantic_schema
        if schema is None or not isinstance(parsed, dict):
            return parsed
        # An instance of the schema, as LangChain's streaming contract wants, but built
        # without validation: fields not yet arrived are unset, nested objects still dicts.
        if issubclass(schema, BaseModel):
            return schema.model_construct(**parsed)
        return schema.construct(**parsed)

    def _tool_args(self, message: AIMessage) -> Any:
        for call in message.tool_calls:
            if call["name"] == self.tool_name:
                return call["args"]
        for bad in message.invalid_tool_calls:
            if bad.get("name") == self.tool_name:
                raise OutputParserException(
                    f"Gemini's call of the output tool {self.tool_name!r} has arguments that "
                    f"are not JSON: {bad.get('error')}",
                    llm_output=bad.get("args") or "",
                )
        names = [c["name"] for c in message.tool_calls]
        raise OutputParserException(
            f"Gemini called {names} instead of the output tool {self.tool_name!r}.",
            llm_output=message.text,
        )

    def _validated(self, value: Any, raw: str) -> Any:
        schema = self.pydantic_schema
        if schema is None:
            return value
        try:
            if issubclass(schema, BaseModel):
                return schema.model_validate(value)
            return schema.parse_obj(value)
        except (ValidationError, ValidationErrorV1) as exc:
            raise OutputParserException(
                f"Gemini's answer does not match {schema.__name__}: {exc}", llm_output=raw
            ) from exc

    # -- streaming: partial objects while the answer arrives, the validated one at the end --

    def _transform(self, input: Iterator[str | BaseMessage]) -> Iterator[Any]:
        previous: Any = None
        accumulated: Any = None
        for chunk in input:
            accumulated = _accumulate(accumulated, chunk)
            parsed = self.parse_result([accumulated], partial=True)
            if parsed is not None and parsed != previous:
                previous = parsed
                yield parsed
        yield from self._final(accumulated, previous)

    async def _atransform(self, input: AsyncIterator[str | BaseMessage]) -> AsyncIterator[Any]:
        previous: Any = None
        accumulated: Any = None
        async for chunk in input:
            accumulated = _accumulate(accumulated, chunk)
            parsed = self.parse_result([accumulated], partial=True)
            if parsed is not None and parsed != previous:
                previous = parsed
                yield parsed
        for final in self._final(accumulated, previous):
            yield final

    def _final(self, accumulated: Any, previous: Any) -> Iterator[Any]:
        if accumulated is None:
            raise OutputParserException("The model stream ended without any output.")
        final = self.parse_result([accumulated])
        # A dict schema's final object equals the last partial one when nothing was missing;
        # a Pydantic schema always ends on its instance.
        if final != previous or isinstance(final, (BaseModel, BaseModelV1)):
            yield final


def _accumulate(accumulated: Any, chunk: str | BaseMessage) -> Any:
    """The answer so far: chunks added up (a whole message, from a non-streaming step, as is)."""
    if isinstance(chunk, BaseMessageChunk):
        generation: Any = ChatGenerationChunk(message=chunk)
    elif isinstance(chunk, AIMessage):
        generation = ChatGeneration(message=chunk)
    else:
        generation = ChatGenerationChunk(message=AIMessageChunk(content=str(chunk)))
    if accumulated is None or not isinstance(accumulated, ChatGenerationChunk):
        return generation
    return accumulated + generation


def _loads(text: str) -> Any:
    # Strict: parse_json_markdown's default parser completes truncated JSON, which would pass a
    # cut-off answer off as a whole one.
    try:
        return parse_json_markdown(text, parser=json.loads)
    except ValueError as exc:
        raise OutputParserException(
            f"Gemini's answer is not valid JSON: {exc}", llm_output=text
        ) from exc
