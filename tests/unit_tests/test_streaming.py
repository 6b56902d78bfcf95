"""Stream assembly against the recorded `.sse` samples: exact usage, merged text, signatures."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk

from langchain_tokenhot import TokenhotResponseError
from langchain_tokenhot._messages import FUNCTION_CALL_SIGNATURES_KEY, convert_messages
from langchain_tokenhot._response import usage_from_wire
from langchain_tokenhot._streaming import StreamAssembler, streams_blocks
from tests.support.fake_gemini import load_sample_events

SSE_SAMPLES = [
    ("stream_text", "gemini-2.5-flash"),
    ("stream_thoughts_gemini25pro", "gemini-2.5-pro"),
    ("stream_function_call_gemini3", "gemini-3-pro-preview"),
    ("stream_function_call_followup", "gemini-3-pro-preview"),
    ("stream_signature_on_empty_text_gemini3", "gemini-3-pro-preview"),
    ("stream_code_execution_gemini3", "gemini-3-pro-preview"),
]


def assemble(events: list[dict[str, Any]], model: str, **kw: Any) -> list[AIMessageChunk]:
    include_thoughts = kw.get("include_thoughts")
    assembler = StreamAssembler(
        model, blocks_mode=streams_blocks(model, include_thoughts=include_thoughts)
    )
    chunks = [c.message for e in events if (c := assembler.feed(e)) is not None]
    chunks.append(assembler.finish().message)
    return chunks  # type: ignore[return-value]


def total(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    result = chunks[0]
    for chunk in chunks[1:]:
        result = result + chunk
    return result


@pytest.mark.parametrize(("name", "model"), SSE_SAMPLES)
def test_summed_usage_equals_the_last_event(name: str, model: str) -> None:
    events = load_sample_events(name)
    chunks = assemble(events, model, include_thoughts=True)
    assert total(chunks).usage_metadata == usage_from_wire(events[-1]["usageMetadata"])
    # input_tokens and model_name on exactly one chunk (langchain-tests' streaming rule).
    assert sum(1 for c in chunks if c.usage_metadata and c.usage_metadata["input_tokens"]) == 1
    assert sum(1 for c in chunks if c.response_metadata.get("model_name")) == 1
    assert (
        chunks[-1].response_metadata["finish_reason"] == events[-1]["candidates"][0]["finishReason"]
    )


@pytest.mark.parametrize(("name", "model"), SSE_SAMPLES)
def test_text_concatenates_to_the_answer(name: str, model: str) -> None:
    events = load_sample_events(name)
    answer = "".join(
        p.get("text", "")
        for e in events
        for c in e.get("candidates", [])
        for p in c.get("content", {}).get("parts", [])
        if not p.get("thought")
    )
    full = total(assemble(events, model, include_thoughts=True))
    assert full.text == answer
    assert sum(1 for b in full.content_blocks if b["type"] == "text") <= 1 or name.startswith(
        "stream_code_execution"
    )


def test_plain_text_model_streams_strings() -> None:
    chunks = assemble(load_sample_events("stream_text"), "gemini-2.5-flash")
    assert all(isinstance(c.content, str) for c in chunks)


def test_thoughts_stream_as_reasoning_never_as_text() -> None:
    events = load_sample_events("stream_thoughts_gemini25pro")
    thoughts = "".join(
        p["text"]
        for e in events
        for p in e["candidates"][0]["content"].get("parts", [])
        if p.get("thought")
    )
    full = total(assemble(events, "gemini-2.5-pro", include_thoughts=True))
    reasoning = [b for b in full.content_blocks if b["type"] == "reasoning"]
    assert len(reasoning) == 1
    assert reasoning[0]["reasoning"] == thoughts
    assert thoughts not in full.text


def test_signature_on_final_empty_text_part_is_kept_and_replayed() -> None:
    events = load_sample_events("stream_signature_on_empty_text_gemini3")
    signature = next(
        p["thoughtSignature"]
        for e in events
        for p in e["candidates"][0]["content"].get("parts", [])
        if "thoughtSignature" in p
    )
    full = total(assemble(events, "gemini-3-pro-preview"))
    text_blocks = [b for b in full.content if isinstance(b, dict) and b["type"] == "text"]
    assert len(text_blocks) == 1
    assert text_blocks[0]["extras"]["signature"] == signature
    _, contents = convert_messages([full], model="gemini-3-pro-preview")
    assert contents[0]["parts"] == [{"text": full.text, "thoughtSignature": signature}]


def test_function_call_chunks_have_distinct_indices_and_signature() -> None:
    events = load_sample_events("stream_function_call_gemini3")
    calls = [
        p
        for e in events
        for p in e["candidates"][0]["content"].get("parts", [])
        if "functionCall" in p
    ]
    full = total(assemble(events, "gemini-3-pro-preview"))
    assert [c["name"] for c in full.tool_calls] == [p["functionCall"]["name"] for p in calls]
    assert [c["args"] for c in full.tool_calls] == [p["functionCall"]["args"] for p in calls]
    signatures = full.additional_kwargs[FUNCTION_CALL_SIGNATURES_KEY]
    assert signatures[full.tool_calls[0]["id"]] == calls[0]["thoughtSignature"]


def test_parallel_calls_never_merge() -> None:
    call = {"functionCall": {"name": "f", "args": {"a": 1}}}
    events = [
        {"candidates": [{"content": {"role": "model", "parts": [call, call]}}]},
        {"candidates": [{"content": {"role": "model", "parts": [call]}}]},
        {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP"}
            ]
        },
    ]
    full = total(assemble(events, "gemini-3-flash-preview"))
    assert len(full.tool_calls) == 3
    assert all(c["args"] == {"a": 1} for c in full.tool_calls)
    assert len({c["id"] for c in full.tool_calls}) == 3


def test_stream_without_final_event_raises() -> None:
    events = load_sample_events("stream_text")[:-1]
    with pytest.raises(TokenhotResponseError, match="no finishReason"):
        assemble(events, "gemini-2.5-flash")


def test_empty_stream_raises() -> None:
    with pytest.raises(TokenhotResponseError, match="no finishReason"):
        assemble([], "gemini-2.5-flash")


def test_blocked_prompt_on_a_stream_is_reported() -> None:
    events = load_sample_events("prompt_blocked_stream")
    chunks = assemble(events, "gemini-2.5-flash")
    meta = chunks[-1].response_metadata
    assert meta["prompt_feedback"]["block_reason"]
    assert meta["finish_reason"] == meta["prompt_feedback"]["block_reason"]
    assert any(b["type"] == "refusal" for b in total(chunks).content_blocks)


def test_malformed_event_raises() -> None:
    assembler = StreamAssembler("gemini-2.5-flash", blocks_mode=False)
    with pytest.raises(TokenhotResponseError, match="candidates"):
        assembler.feed({"candidates": "oops"})


def _text_event(text: str, **extra: Any) -> dict[str, Any]:
    return {"candidates": [{"content": {"parts": [{"text": text}], "role": "model"}}], **extra}


@pytest.mark.parametrize("response_id", [123, ["fake-1"], {"id": "x"}])
def test_non_string_response_id_is_a_typed_error(response_id: Any) -> None:
    # Text chunks get the id by assignment (unvalidated by pydantic): the assembler checks it.
    assembler = StreamAssembler("gemini-2.5-flash", blocks_mode=False)
    with pytest.raises(TokenhotResponseError, match="responseId"):
        assembler.feed(_text_event("hi", responseId=response_id))


@pytest.mark.parametrize("blocks_mode", [False, True])
def test_text_chunk_equals_one_built_with_every_field_passed(blocks_mode: bool) -> None:
    # The fast text path assigns response_metadata and id after construction; the chunk must be
    # the one the constructor would give (fields, values, fields set).
    assembler = StreamAssembler("gemini-2.5-flash", blocks_mode=blocks_mode)
    chunk = assembler.feed(_text_event("héllo", responseId="resp-1"))
    assert chunk is not None
    content: Any = [{"type": "text", "text": "héllo", "index": 0}] if blocks_mode else "héllo"
    expected = AIMessageChunk(
        content=content, response_metadata={"model_provider": "google_genai"}, id="resp-1"
    )
    assert chunk.message == expected
    assert chunk.message.model_fields_set == expected.model_fields_set
    assert chunk.text == "héllo"
    second = assembler.feed(_text_event(" again"))  # no responseId: the first one stays
    assert second is not None
    assert second.message.id == "resp-1"
    assert second.message.response_metadata is not chunk.message.response_metadata
