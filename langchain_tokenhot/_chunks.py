"""The chunk of one plain text delta, built without pydantic re-validating what we made.

A stream's usual event is one text delta. Validating its `AIMessageChunk` and
`ChatGenerationChunk` costs ~6 µs of the ~9 µs such an event costs us in all (langchain-core
1.8, pydantic 2.14): ~300 µs of a 50-event stream, most of what separated our streams from the
LangChain floor's. Yet for a string (or one text block) and a response id, the validated state
is always the same apart from those values. So `text_chunk` copies the state of a chunk
validated once, at import, and puts the text and id in.

That shortcut is only taken when it is exact: at import, chunks built both ways are compared
(every field, their order, which fields count as set, the pydantic slots, and that no list or
dict is shared between two chunks). Should a langchain-core or pydantic release validate
differently (a new validator, a new field default), the comparison fails and every chunk is
validated as before; `tests/unit_tests/test_chunks.py` checks both the shortcut and that the
comparison catches a difference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from ._response import MODEL_PROVIDER

Content = str | list[dict[str, Any]]
"""A delta's content: the text, or `[{"type": "text", "text": ..., "index": ...}]`."""

_new = object.__new__
_set = object.__setattr__


def validated_text_chunk(
    content: Content, text: str, response_id: str | None
) -> ChatGenerationChunk:
    """The chunk of a text delta, through pydantic (the reference `text_chunk` must equal)."""
    message = AIMessageChunk(content=content)
    # Assigned rather than passed: the same state, two arguments fewer to validate.
    message.response_metadata = {"model_provider": MODEL_PROVIDER}
    message.id = response_id
    return ChatGenerationChunk(message=message)


_TEMPLATE = validated_text_chunk("", "", None)
_MESSAGE_STATE = dict(_TEMPLATE.message.__dict__)
_MESSAGE_SET = frozenset(_TEMPLATE.message.__pydantic_fields_set__)
_CHUNK_STATE = dict(_TEMPLATE.__dict__)
_CHUNK_SET = frozenset(_TEMPLATE.__pydantic_fields_set__)


def copied_text_chunk(content: Content, text: str, response_id: str | None) -> ChatGenerationChunk:
    """The chunk of a text delta, its state copied from the validated template."""
    message = _new(AIMessageChunk)
    _set(
        message,
        "__dict__",
        {
            **_MESSAGE_STATE,
            "content": content,
            "additional_kwargs": {},
            "response_metadata": {"model_provider": MODEL_PROVIDER},
            "id": response_id,
            "tool_calls": [],
            "invalid_tool_calls": [],
            "tool_call_chunks": [],
        },
    )
    _set(message, "__pydantic_fields_set__", set(_MESSAGE_SET))
    _set(message, "__pydantic_extra__", {})
    _set(message, "__pydantic_private__", None)
    chunk = _new(ChatGenerationChunk)
    _set(chunk, "__dict__", {**_CHUNK_STATE, "text": text, "message": message})
    _set(chunk, "__pydantic_fields_set__", set(_CHUNK_SET))
    _set(chunk, "__pydantic_extra__", None)
    _set(chunk, "__pydantic_private__", None)
    return chunk


_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")


def _state(model: Any) -> list[Any]:
    return [(slot, getattr(model, slot, "<missing>")) for slot in _SLOTS] + [
        list(model.__dict__)  # the field order (repr, model_dump)
    ]


def _mutables(chunk: ChatGenerationChunk) -> list[int]:
    values = [*chunk.__dict__.values(), *chunk.message.__dict__.values()]
    return [id(v) for v in values if isinstance(v, (list, dict, set))]


def copy_is_exact(
    copied: Callable[[Content, str, str | None], ChatGenerationChunk] = copied_text_chunk,
) -> bool:
    """Whether `copied` builds exactly what validation builds, for both content shapes."""
    samples: list[tuple[Content, str, str | None]] = [
        ("x", "x", "id-1"),
        ("", "", None),
        ([{"type": "text", "text": "x", "index": 0}], "x", "id-2"),
    ]
    try:
        for content, text, response_id in samples:
            fast = copied(content, text, response_id)
            slow = validated_text_chunk(content, text, response_id)
            if type(fast) is not type(slow) or type(fast.message) is not type(slow.message):
                return False
            if _state(fast) != _state(slow) or _state(fast.message) != _state(slow.message):
                return False
            again = copied(content, text, response_id)
            shared = set(_mutables(fast)) & set(_mutables(again))
            if shared - {id(content)}:  # the caller's own content is the caller's
                return False
    except Exception:  # any failure of the shortcut means: do not take it
        return False
    return True


text_chunk: Callable[[Content, str, str | None], ChatGenerationChunk] = (
    copied_text_chunk if copy_is_exact() else validated_text_chunk
)
"""`text_chunk(content, text, response_id)`: the chunk of one text delta (`text` is its text,
`content` the string itself or its one text block)."""
