"""LangChain objects of the usual shapes, copied from templates validated once at import.

Validation is what most of a chunk or a plain answer costs us (langchain-core 1.8, pydantic
2.14): building a text delta's `AIMessageChunk` and `ChatGenerationChunk` took ~6.9 µs of the
~9 µs an event cost, ~300 µs of a 50-event stream. Yet for the usual shapes, the validated state
is a fixed template with a few values put in, and those values are ours (a string we joined, a
dict we built). So the builders here copy the state of an object validated at import:

* `text_chunk`: the chunk of one text delta (a string, or one text block);
* `text_answer`: the `AIMessage` of an answer that is plain text (no tool calls, signatures,
  audio), with its metadata, usage and id;
* `generation_of` / `chat_result`: the `ChatGeneration` of a message with string content, and
  the `ChatResult` holding generations.

The shortcut is only taken when it is exact: at import, each builder's copies are compared with
validated objects for several samples (every field, their order, which fields count as set, the
pydantic slots, nested dicts and their key order, and that no list or dict is shared between two
copies). Should a langchain-core or pydantic release validate differently (a new validator, a
new default), the comparison fails and that builder validates as before. A usage dict that
validation would change (a value that is not an int) is validated too. The tests in
`tests/unit_tests/test_templates.py` check the shortcuts and that the comparison catches a
difference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

Content = str | list[dict[str, Any]]
"""A delta's content: the text, or `[{"type": "text", "text": ..., "index": ...}]`."""

_new = object.__new__
_set = object.__setattr__


def _put(model: Any, state: dict[str, Any], fields_set: frozenset[str], extra: Any) -> None:
    _set(model, "__dict__", state)
    _set(model, "__pydantic_fields_set__", set(fields_set))
    _set(model, "__pydantic_extra__", extra)
    _set(model, "__pydantic_private__", None)


# -- text deltas ----------------------------------------------------------------------------


def validated_text_chunk(
    content: Content, text: str, response_id: str | None, response_metadata: dict[str, Any]
) -> ChatGenerationChunk:
    """The chunk of a text delta, through pydantic (what `copied_text_chunk` must equal)."""
    message = AIMessageChunk(content=content)
    # Assigned rather than passed: the same state, two arguments fewer to validate.
    message.response_metadata = response_metadata
    message.id = response_id
    return ChatGenerationChunk(message=message)


_CHUNK_TEMPLATE = validated_text_chunk("", "", None, {})
_CHUNK_MESSAGE_STATE = dict(_CHUNK_TEMPLATE.message.__dict__)
_CHUNK_MESSAGE_SET = frozenset(_CHUNK_TEMPLATE.message.__pydantic_fields_set__)
_CHUNK_STATE = dict(_CHUNK_TEMPLATE.__dict__)
_CHUNK_SET = frozenset(_CHUNK_TEMPLATE.__pydantic_fields_set__)
_TEXT = type(_CHUNK_TEMPLATE.text)
"""What a generation's `text` is: `message.text`'s type (langchain-core 1.x: `TextAccessor`, a
`str` that can also be called, as the pre-1.0 method was)."""


def copied_text_chunk(
    content: Content, text: str, response_id: str | None, response_metadata: dict[str, Any]
) -> ChatGenerationChunk:
    """The chunk of a text delta, its state copied from the validated template."""
    message = _new(AIMessageChunk)
    _put(
        message,
        {
            **_CHUNK_MESSAGE_STATE,
            "content": content,
            "additional_kwargs": {},
            "response_metadata": response_metadata,
            "id": response_id,
            "tool_calls": [],
            "invalid_tool_calls": [],
            "tool_call_chunks": [],
        },
        _CHUNK_MESSAGE_SET,
        {},
    )
    chunk = _new(ChatGenerationChunk)
    _put(chunk, {**_CHUNK_STATE, "text": _TEXT(text), "message": message}, _CHUNK_SET, None)
    return chunk


# -- plain text answers ---------------------------------------------------------------------


def validated_text_answer(
    text: str,
    response_metadata: dict[str, Any],
    usage: UsageMetadata | None,
    response_id: str | None,
) -> AIMessage:
    """A plain text answer, through pydantic (what `copied_text_answer` must equal)."""
    return AIMessage(
        content=text,
        tool_calls=[],
        additional_kwargs={},
        response_metadata=response_metadata,
        usage_metadata=usage,
        id=response_id,
    )


_ANSWER_TEMPLATE = validated_text_answer("", {}, None, None)
_ANSWER_STATE = dict(_ANSWER_TEMPLATE.__dict__)
_ANSWER_SET = frozenset(_ANSWER_TEMPLATE.__pydantic_fields_set__)


def copied_text_answer(
    text: str,
    response_metadata: dict[str, Any],
    usage: UsageMetadata | None,
    response_id: str | None,
) -> AIMessage:
    """A plain text answer, its state copied from the validated template."""
    message = _new(AIMessage)
    _put(
        message,
        {
            **_ANSWER_STATE,
            "content": text,
            "additional_kwargs": {},
            "response_metadata": response_metadata,
            "id": response_id,
            "tool_calls": [],
            "invalid_tool_calls": [],
            "usage_metadata": usage,
        },
        _ANSWER_SET,
        {},
    )
    return message


def validation_keeps(usage: UsageMetadata | None) -> bool:
    """Whether validating `usage` gives it back unchanged: every count an int (validation
    would turn 5.0 into 5). The key order is `usage_from_wire`'s, which is validation's."""
    if usage is None:
        return True
    for key, value in usage.items():
        if type(value) is int:
            continue
        if type(value) is not dict or key not in ("input_token_details", "output_token_details"):
            return False
        for count in value.values():
            if type(count) is not int:
                return False
    return True


# -- generations and results ----------------------------------------------------------------


def validated_generation(message: AIMessage) -> ChatGeneration:
    return ChatGeneration(message=message, generation_info=None)


_GENERATION_TEMPLATE = validated_generation(_ANSWER_TEMPLATE)
_GENERATION_STATE = dict(_GENERATION_TEMPLATE.__dict__)
_GENERATION_SET = frozenset(_GENERATION_TEMPLATE.__pydantic_fields_set__)


def copied_generation(message: AIMessage) -> ChatGeneration:
    """The generation of a message with string content (its `text` is that string)."""
    generation = _new(ChatGeneration)
    _put(
        generation,
        {**_GENERATION_STATE, "text": _TEXT(message.content), "message": message},
        _GENERATION_SET,
        None,
    )
    return generation


def validated_result(generations: list[ChatGeneration]) -> ChatResult:
    return ChatResult(generations=generations)


_RESULT_TEMPLATE = validated_result([])
_RESULT_STATE = dict(_RESULT_TEMPLATE.__dict__)
_RESULT_SET = frozenset(_RESULT_TEMPLATE.__pydantic_fields_set__)


def copied_result(generations: list[ChatGeneration]) -> ChatResult:
    result = _new(ChatResult)
    _put(result, {**_RESULT_STATE, "generations": list(generations)}, _RESULT_SET, None)
    return result


# -- the import-time comparison --------------------------------------------------------------

_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")


def _state(model: Any) -> Any:
    """Everything of a pydantic model's state, nested models and dicts included, in order."""
    if hasattr(model, "__pydantic_fields_set__"):
        return (
            type(model),
            [(slot, _state(getattr(model, slot, "<missing>"))) for slot in _SLOTS],
        )
    if isinstance(model, dict):
        return [(key, _state(value)) for key, value in model.items()]  # order included
    if isinstance(model, list):
        return [_state(value) for value in model]
    if isinstance(model, set | frozenset):
        return sorted(model)
    return (type(model), model)


def _containers(value: Any, found: list[int]) -> list[int]:
    """The ids of every list and dict a built object holds (to find shared ones)."""
    if hasattr(value, "__pydantic_fields_set__"):
        found.append(id(value.__dict__))
        found.append(id(value.__pydantic_fields_set__))
        _containers(value.__dict__, found)
    elif isinstance(value, dict | list):
        found.append(id(value))
        for item in value.values() if isinstance(value, dict) else value:
            _containers(item, found)
    return found


def copy_is_exact(
    copied: Callable[..., Any],
    validated: Callable[..., Any],
    samples: list[Callable[[], tuple[Any, ...]]],
) -> bool:
    """Whether `copied(*args)` builds exactly what `validated(*args)` does for every sample
    (each sample makes fresh arguments), sharing no list or dict between two copies beyond the
    arguments themselves."""
    try:
        for sample in samples:
            fast, slow = copied(*sample()), validated(*sample())
            if _state(fast) != _state(slow):
                return False
            args = sample()
            given = set(_containers(list(args), []))
            first, second = copied(*args), copied(*args)
            shared = set(_containers(first, [])) & set(_containers(second, []))
            if shared - given:
                return False
    except Exception:  # any failure of the shortcut means: do not take it
        return False
    return True


def _usage_samples() -> list[UsageMetadata | None]:
    # What `usage_from_wire` makes, keys in its order (tests check that it still does).
    return [
        None,
        {
            "input_tokens": 8,
            "output_tokens": 5,
            "total_tokens": 13,
            "input_token_details": {"cache_read": 0},
        },
        {
            "input_tokens": 8,
            "output_tokens": 12,
            "total_tokens": 20,
            "input_token_details": {"audio": 3, "cache_read": 4},
            "output_token_details": {"audio": 2, "reasoning": 7},
        },
    ]


def _meta() -> dict[str, Any]:
    return {"model_name": "gemini-x", "model_provider": "google_genai", "finish_reason": "STOP"}


_CHUNK_SAMPLES: list[Callable[[], tuple[Any, ...]]] = [
    lambda: ("x", "x", "id-1", {"model_provider": "google_genai"}),
    lambda: ("", "", None, {}),
    lambda: ([{"type": "text", "text": "x", "index": 0}], "x", "id-2", {"a": 1}),
]
_ANSWER_SAMPLES: list[Callable[[], tuple[Any, ...]]] = [
    lambda i=i: ("answer ✓", _meta(), _usage_samples()[i], "rid" if i else None)  # type: ignore[misc]
    for i in range(3)
]
_GENERATION_SAMPLES: list[Callable[[], tuple[Any, ...]]] = [
    lambda: (validated_text_answer("x", _meta(), _usage_samples()[2], "rid"),),
    lambda: (validated_text_answer("", {}, None, None),),
]
_RESULT_SAMPLES: list[Callable[[], tuple[Any, ...]]] = [
    lambda: ([validated_generation(validated_text_answer("x", _meta(), None, "r"))],),
    lambda: ([],),
]

text_chunk: Callable[[Content, str, str | None, dict[str, Any]], ChatGenerationChunk] = (
    copied_text_chunk
    if copy_is_exact(copied_text_chunk, validated_text_chunk, _CHUNK_SAMPLES)
    else validated_text_chunk
)
"""`text_chunk(content, text, response_id, response_metadata)`: the chunk of one text delta
(`text` is its text, `content` the string itself or its one text block, `response_metadata`
the caller's own fresh dict)."""

_ANSWER_EXACT = copy_is_exact(copied_text_answer, validated_text_answer, _ANSWER_SAMPLES)
_GENERATION_EXACT = copy_is_exact(copied_generation, validated_generation, _GENERATION_SAMPLES)
_RESULT_EXACT = copy_is_exact(copied_result, validated_result, _RESULT_SAMPLES)


def text_answer(
    text: str,
    response_metadata: dict[str, Any],
    usage: UsageMetadata | None,
    response_id: Any,
) -> AIMessage:
    """The `AIMessage` of a plain text answer (`response_metadata` and `usage` are the
    caller's own fresh dicts)."""
    if (
        _ANSWER_EXACT
        and (response_id is None or type(response_id) is str)
        and validation_keeps(usage)
    ):
        return copied_text_answer(text, response_metadata, usage, response_id)
    return validated_text_answer(text, response_metadata, usage, response_id)


def generation_of(message: AIMessage) -> ChatGeneration:
    """`ChatGeneration(message=message, generation_info=None)`."""
    if _GENERATION_EXACT and type(message.content) is str:
        return copied_generation(message)
    return validated_generation(message)


def chat_result(generations: list[ChatGeneration]) -> ChatResult:
    """`ChatResult(generations=generations)`."""
    return copied_result(generations) if _RESULT_EXACT else validated_result(generations)


def shortcuts() -> Mapping[str, bool]:
    """Which builders copy (True) rather than validate, as decided at import."""
    return {
        "text_chunk": text_chunk is copied_text_chunk,
        "text_answer": _ANSWER_EXACT,
        "generation_of": _GENERATION_EXACT,
        "chat_result": _RESULT_EXACT,
    }
