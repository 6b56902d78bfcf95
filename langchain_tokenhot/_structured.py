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

import orjson
from langchain_core.exceptions import ModelRefusalError, OutputParserException
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import add_ai_message_chunks
from langchain_core.output_parsers.transform import BaseCumulativeTransformOutputParser
from langchain_core.outputs import ChatGeneration, Generation
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
        return self._as_schema(parsed) if parsed else None

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
        stream = _Stream(self)
        for chunk in input:
            partial = stream.add(chunk)
            if partial is not None:
                yield partial
        yield from stream.finish()

    async def _atransform(self, input: AsyncIterator[str | BaseMessage]) -> AsyncIterator[Any]:
        stream = _Stream(self)
        async for chunk in input:
            partial = stream.add(chunk)
            if partial is not None:
                yield partial
        for final in stream.finish():
            yield final

    def _as_schema(self, value: Any) -> Any:
        """A partial value as the schema's type, built without validation."""
        schema = self.pydantic_schema
        if schema is None or not isinstance(value, dict):
            return value
        # An instance of the schema, as LangChain's streaming contract wants: fields not yet
        # arrived are unset, nested objects still dicts.
        if issubclass(schema, BaseModel):
            return schema.model_construct(**value)
        return schema.construct(**value)


_EVERY_DELTA_UP_TO = 4096
"""Characters of answer text up to which every delta gives a partial object."""


class _Stream:
    """One streamed answer: partial objects as it grows, the checked final one at the end.

    The answer text is never re-merged or re-scanned from the start: `_JsonPrefix` follows the
    JSON's nesting as the text arrives, so each partial object costs one C-speed parse of the
    text closed off (past 4 KB, once per tenth of growth), and the whole message is merged once,
    at the end.
    """

    __slots__ = ("chunks", "length", "parsed_length", "parser", "prefix", "previous", "text")

    def __init__(self, parser: StructuredOutputParser) -> None:
        self.parser = parser
        self.chunks: list[Any] = []
        self.text: list[str] = []
        self.length = 0
        self.parsed_length = 0
        self.prefix = _JsonPrefix()
        self.previous: Any = None

    def add(self, chunk: str | BaseMessage) -> Any:
        self.chunks.append(chunk)
        if self.parser.source == "tool":
            message = _merged(self.chunks)
            partial = self.parser._partial(message) if isinstance(message, AIMessage) else None
        else:
            delta = chunk if isinstance(chunk, str) else chunk.text
            if not delta:
                return None
            self.text.append(delta)
            self.length += len(delta)
            self.prefix.feed(delta)
            # Each partial re-parses the whole text: past a few KB, parse again only once it
            # has grown by a tenth, so a long answer costs a bounded multiple of one parse.
            if self.length > _EVERY_DELTA_UP_TO and (
                self.length - self.parsed_length < self.parsed_length // 10
            ):
                return None
            value = self.prefix.value("".join(self.text))
            if value is None:
                return None
            self.parsed_length = self.length
            partial = self.parser._as_schema(value) if value else None
        if partial is None or partial == self.previous:
            return None
        self.previous = partial
        return partial

    def finish(self) -> Iterator[Any]:
        if not self.chunks:
            raise OutputParserException("The model stream ended without any output.")
        message = _merged(self.chunks)
        final = self.parser.parse_result(
            [ChatGeneration(message=message)]
            if isinstance(message, AIMessage)
            else [Generation(text=message)]
        )
        # A dict schema's final object equals the last partial one when nothing was missing;
        # a Pydantic schema always ends on its validated instance.
        if final != self.previous or isinstance(final, (BaseModel, BaseModelV1)):
            yield final


def _merged(chunks: list[Any]) -> Any:
    """The whole answer from its chunks (a whole message from a non-streaming step, as is)."""
    messages = [c for c in chunks if isinstance(c, BaseMessage)]
    if not messages:
        return "".join(chunks)
    streamed = [m for m in messages if isinstance(m, AIMessageChunk)]
    if len(messages) == 1 or len(streamed) != len(messages):
        last = messages[-1]
        return last if isinstance(last, AIMessage) else AIMessage(content=last.text)
    return add_ai_message_chunks(streamed[0], *streamed[1:])


class _JsonPrefix:
    """Follows the nesting of a JSON text as it arrives, to close off any prefix of it.

    `value(text)` parses the text so far with its open strings, arrays and objects closed, or
    returns None when the text ends where no closing makes it valid (after a key, a colon or in
    the middle of a literal); the next delta usually ends somewhere better.
    """

    __slots__ = ("escape", "in_string", "stack")

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.in_string = False
        self.escape = False

    def feed(self, delta: str) -> None:
        stack = self.stack
        in_string, escape = self.in_string, self.escape
        for char in delta:
            if in_string:
                if escape:
                    escape = False
                elif char == "\\":
                    escape = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "{":
                stack.append("}")
            elif char == "[":
                stack.append("]")
            elif char in "}]" and stack:
                stack.pop()
        self.in_string, self.escape = in_string, escape

    def value(self, text: str) -> Any:
        body = text.strip()
        if not body.startswith(("{", "[")):
            return None
        if self.in_string:
            body = (body[:-1] if self.escape else body) + '"'
        else:
            body = body.rstrip(", \t\r\n")
        try:
            return orjson.loads(body + "".join(reversed(self.stack)))
        except orjson.JSONDecodeError:
            return None


def _loads(text: str) -> Any:
    # Strict: parse_json_markdown's default parser completes truncated JSON, which would pass a
    # cut-off answer off as a whole one.
    try:
        return parse_json_markdown(text, parser=json.loads)
    except ValueError as exc:
        raise OutputParserException(
            f"Gemini's answer is not valid JSON: {exc}", llm_output=text
        ) from exc
