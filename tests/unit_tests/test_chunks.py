"""`_chunks`: a text delta's chunk copied from a validated template is the validated chunk."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from langchain_core.load import dumpd
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from langchain_tokenhot import _chunks
from langchain_tokenhot._chunks import copied_text_chunk, copy_is_exact, validated_text_chunk


def _full_state(chunk: ChatGenerationChunk) -> Any:
    def state(model: Any) -> Any:
        return (
            type(model),
            list(model.__dict__.items()),
            model.__pydantic_fields_set__,
            model.__pydantic_extra__,
            model.__pydantic_private__,
        )

    return state(chunk), state(chunk.message)


ids = st.one_of(st.none(), st.text(max_size=20))


@given(text=st.text(), response_id=ids, index=st.integers(0, 50), blocks=st.booleans())
def test_the_copied_chunk_is_the_validated_chunk(
    text: str, response_id: str | None, index: int, blocks: bool
) -> None:
    content: Any = [{"type": "text", "text": text, "index": index}] if blocks else text
    fast = copied_text_chunk(content, text, response_id)
    slow = validated_text_chunk(content, text, response_id)
    assert _full_state(fast) == _full_state(slow)
    assert fast == slow
    assert fast.text == slow.text == text
    assert fast.message.content_blocks == slow.message.content_blocks
    assert dumpd(fast.message) == dumpd(slow.message)
    assert fast.message.model_dump() == slow.message.model_dump()


def test_the_shortcut_is_taken_on_the_installed_versions() -> None:
    # If this fails, langchain-core or pydantic now validate a text chunk differently: streams
    # are still right (validated), but slower; see `_chunks`.
    assert copy_is_exact()
    assert _chunks.text_chunk is copied_text_chunk


def test_chunks_share_no_mutable_state() -> None:
    a = copied_text_chunk("a", "a", "r")
    b = copied_text_chunk("b", "b", "r")
    a.message.response_metadata["x"] = 1
    a.message.additional_kwargs["y"] = 2
    a.message.tool_call_chunks.append({"name": "f", "args": "{}", "id": "1", "index": 0})
    a.message.__pydantic_fields_set__.add("name")
    assert b.message.response_metadata == {"model_provider": "google_genai"}
    assert b.message.additional_kwargs == {}
    assert b.message.tool_call_chunks == []
    assert "name" not in b.message.__pydantic_fields_set__
    assert copied_text_chunk("c", "c", None).message == validated_text_chunk("c", "c", None).message


def test_copied_chunks_add_up_like_validated_ones() -> None:
    deltas = ["Hel", "lo, ", "wörld"]
    fast = [copied_text_chunk(d, d, "r") for d in deltas]
    slow = [validated_text_chunk(d, d, "r") for d in deltas]
    total_fast = fast[0] + fast[1] + fast[2]
    total_slow = slow[0] + slow[1] + slow[2]
    assert total_fast == total_slow
    assert isinstance(total_fast.message, AIMessageChunk)
    assert total_fast.message.content == "Hello, wörld"


def _missing_field(content: Any, text: str, response_id: str | None) -> ChatGenerationChunk:
    chunk = copied_text_chunk(content, text, response_id)
    del chunk.message.__dict__["chunk_position"]
    return chunk


def _shared_list(content: Any, text: str, response_id: str | None) -> ChatGenerationChunk:
    chunk = copied_text_chunk(content, text, response_id)
    chunk.message.__dict__["tool_calls"] = _SHARED
    return chunk


_SHARED: list[Any] = []


def _other_fields_set(content: Any, text: str, response_id: str | None) -> ChatGenerationChunk:
    chunk = copied_text_chunk(content, text, response_id)
    chunk.message.__pydantic_fields_set__.discard("id")
    return chunk


def _raises(content: Any, text: str, response_id: str | None) -> ChatGenerationChunk:
    raise AttributeError("no such slot")


def _reordered(content: Any, text: str, response_id: str | None) -> ChatGenerationChunk:
    chunk = copied_text_chunk(content, text, response_id)
    state = chunk.message.__dict__
    content_value = state.pop("content")
    state["content"] = content_value
    return chunk


def test_the_comparison_catches_a_copy_that_differs() -> None:
    for wrong in (_missing_field, _shared_list, _other_fields_set, _raises, _reordered):
        assert not copy_is_exact(wrong), wrong.__name__
