"""`_templates`: objects copied from validated templates are the validated objects."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from langchain_core.load import dumpd
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from langchain_tokenhot import _templates as t
from langchain_tokenhot._response import usage_from_wire

ids = st.one_of(st.none(), st.text(max_size=20))
counts = st.integers(0, 2**40)
wire_usage = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"promptTokenCount": counts, "candidatesTokenCount": counts},
        optional={
            "totalTokenCount": counts,
            "thoughtsTokenCount": counts,
            "cachedContentTokenCount": counts,
            "toolUsePromptTokenCount": counts,
            "promptTokensDetails": st.lists(
                st.fixed_dictionaries(
                    {"modality": st.sampled_from(["TEXT", "AUDIO"]), "tokenCount": counts}
                ),
                max_size=2,
            ),
            "candidatesTokensDetails": st.lists(
                st.fixed_dictionaries(
                    {"modality": st.sampled_from(["TEXT", "AUDIO"]), "tokenCount": counts}
                ),
                max_size=2,
            ),
        },
    ),
)
metas = st.dictionaries(
    st.sampled_from(["model_name", "model_provider", "finish_reason", "response_id"]),
    st.text(max_size=10),
)


@given(text=st.text(), response_id=ids, index=st.integers(0, 50), blocks=st.booleans())
def test_a_copied_chunk_is_the_validated_chunk(
    text: str, response_id: str | None, index: int, blocks: bool
) -> None:
    def content() -> Any:
        return [{"type": "text", "text": text, "index": index}] if blocks else text

    meta = {"model_provider": "google_genai"}
    fast = t.copied_text_chunk(content(), text, response_id, dict(meta))
    slow = t.validated_text_chunk(content(), text, response_id, dict(meta))
    assert t._state(fast) == t._state(slow)
    assert fast == slow
    assert fast.text == slow.text == text
    assert type(fast.text) is type(slow.text)  # langchain-core's callable text accessor
    assert callable(fast.text) == callable(slow.text)
    assert fast.message.content_blocks == slow.message.content_blocks
    assert dumpd(fast.message) == dumpd(slow.message)


@given(text=st.text(), meta=metas, wire=wire_usage, response_id=ids)
def test_a_copied_answer_is_the_validated_answer(
    text: str, meta: dict[str, Any], wire: Any, response_id: str | None
) -> None:
    usage = usage_from_wire(wire)
    assert t.validation_keeps(usage)  # ints, in validation's key order
    fast = t.copied_text_answer(text, dict(meta), usage_from_wire(wire), response_id)
    slow = t.validated_text_answer(text, dict(meta), usage_from_wire(wire), response_id)
    assert t._state(fast) == t._state(slow)
    assert dumpd(fast) == dumpd(slow)
    assert fast.model_dump() == slow.model_dump()
    generation = t.copied_generation(fast)
    assert t._state(generation) == t._state(t.validated_generation(slow))
    assert type(generation.text) is type(t.validated_generation(slow).text)
    result = t.copied_result([generation])
    assert t._state(result) == t._state(t.validated_result([t.validated_generation(slow)]))


def test_every_shortcut_is_taken_on_the_installed_versions() -> None:
    # If this fails, langchain-core or pydantic now validate one of these shapes differently:
    # answers are still right (validated), but slower; see `_templates`.
    assert t.shortcuts() == {
        "text_chunk": True,
        "text_answer": True,
        "generation_of": True,
        "chat_result": True,
    }


def test_a_usage_validation_would_change_is_validated() -> None:
    usage: Any = {"input_tokens": 5.0, "output_tokens": 2, "total_tokens": 7}
    assert not t.validation_keeps(usage)
    message = t.text_answer("hi", {}, usage, "r")
    assert message.usage_metadata == {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}
    assert type(message.usage_metadata["input_tokens"]) is int  # type: ignore[index]
    nested: Any = {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3}
    nested["input_token_details"] = {"cache_read": 1.0}
    assert not t.validation_keeps(nested)


def test_a_non_string_id_goes_through_validation() -> None:
    message = t.text_answer("hi", {}, None, 12345)
    assert t._state(message) == t._state(t.validated_text_answer("hi", {}, None, 12345))
    assert isinstance(message.id, str)


def test_copies_share_no_mutable_state() -> None:
    a = t.copied_text_chunk("a", "a", "r", {"model_provider": "google_genai"})
    b = t.copied_text_chunk("b", "b", "r", {"model_provider": "google_genai"})
    a.message.additional_kwargs["y"] = 2
    a.message.tool_call_chunks.append({"name": "f", "args": "{}", "id": "1", "index": 0})
    a.message.__pydantic_fields_set__.add("name")
    assert b.message.additional_kwargs == {}
    assert b.message.tool_call_chunks == []
    assert "name" not in b.message.__pydantic_fields_set__
    x = t.copied_text_answer("x", {}, None, None)
    y = t.copied_text_answer("y", {}, None, None)
    x.tool_calls.append({"name": "f", "args": {}, "id": "1", "type": "tool_call"})
    x.additional_kwargs["k"] = 1
    assert y.tool_calls == [] and y.additional_kwargs == {}
    r1, r2 = t.copied_result([]), t.copied_result([])
    r1.generations.append(t.copied_generation(x))
    assert r2.generations == []


def test_copied_chunks_add_up_like_validated_ones() -> None:
    deltas = ["Hel", "lo, ", "wörld"]
    fast = [t.copied_text_chunk(d, d, "r", {"model_provider": "p"}) for d in deltas]
    slow = [t.validated_text_chunk(d, d, "r", {"model_provider": "p"}) for d in deltas]
    total_fast = fast[0] + fast[1] + fast[2]
    assert total_fast == slow[0] + slow[1] + slow[2]
    assert isinstance(total_fast.message, AIMessageChunk)
    assert total_fast.message.content == "Hello, wörld"


def test_usage_from_wire_keeps_validations_key_order() -> None:
    wire = {
        "promptTokenCount": 8,
        "candidatesTokenCount": 5,
        "thoughtsTokenCount": 7,
        "cachedContentTokenCount": 4,
        "promptTokensDetails": [{"modality": "AUDIO", "tokenCount": 3}],
        "candidatesTokensDetails": [{"modality": "AUDIO", "tokenCount": 2}],
    }
    ours = usage_from_wire(wire)  # type: ignore[arg-type]
    validated = AIMessage(content="", usage_metadata=ours).usage_metadata
    assert t._state(ours) == t._state(validated)


# -- the comparison catches copies that differ --------------------------------------------


def _missing_field(*args: Any) -> ChatGenerationChunk:
    chunk = t.copied_text_chunk(*args)
    del chunk.message.__dict__["chunk_position"]
    return chunk


_SHARED: list[Any] = []


def _shared_list(*args: Any) -> ChatGenerationChunk:
    chunk = t.copied_text_chunk(*args)
    chunk.message.__dict__["tool_calls"] = _SHARED
    return chunk


def _other_fields_set(*args: Any) -> ChatGenerationChunk:
    chunk = t.copied_text_chunk(*args)
    chunk.message.__pydantic_fields_set__.discard("id")
    return chunk


def _raises(*args: Any) -> ChatGenerationChunk:
    raise AttributeError("no such slot")


def _reordered(*args: Any) -> ChatGenerationChunk:
    chunk = t.copied_text_chunk(*args)
    state = chunk.message.__dict__
    state["content"] = state.pop("content")
    return chunk


def _plain_str_text(*args: Any) -> ChatGenerationChunk:
    chunk = t.copied_text_chunk(*args)
    chunk.__dict__["text"] = str(chunk.text)  # not the callable accessor validation gives
    return chunk


def test_the_comparison_catches_a_copy_that_differs() -> None:
    for wrong in (_missing_field, _shared_list, _other_fields_set, _raises, _reordered):
        assert not t.copy_is_exact(wrong, t.validated_text_chunk, t._CHUNK_SAMPLES), wrong
    if t._TEXT is not str:
        assert not t.copy_is_exact(_plain_str_text, t.validated_text_chunk, t._CHUNK_SAMPLES)

    def reordered_usage(*args: Any) -> AIMessage:
        message = t.copied_text_answer(*args)
        usage = message.__dict__["usage_metadata"]
        if usage and "input_token_details" in usage:
            details = usage["input_token_details"]
            usage["input_token_details"] = dict(reversed(list(details.items())))
        return message

    assert not t.copy_is_exact(reordered_usage, t.validated_text_answer, t._ANSWER_SAMPLES)
