"""Response parsing against the real recorded Gemini bodies copied into tests/fixtures/gemini."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from langchain_tokenhot import TokenhotResponseError
from langchain_tokenhot._messages import FUNCTION_CALL_SIGNATURES_KEY, convert_messages
from langchain_tokenhot._response import check_shape, messages_from_response, usage_from_wire
from tests.support.fake_gemini import load_sample_json


def parse(name: str, model: str = "gemini-2.5-flash") -> AIMessage:
    [(message, _)] = messages_from_response(check_shape(load_sample_json(name)), model)
    return message


def test_text_basic() -> None:
    body = load_sample_json("text_basic")
    msg = parse("text_basic")
    assert msg.content == body["candidates"][0]["content"]["parts"][0]["text"]
    assert msg.id == body["responseId"]
    assert msg.usage_metadata == {
        "input_tokens": 9,
        "output_tokens": 9 + 34,
        "total_tokens": 52,
        "input_token_details": {"cache_read": 0},
        "output_token_details": {"reasoning": 34},
    }
    assert msg.response_metadata["finish_reason"] == "STOP"
    assert msg.response_metadata["model_name"] == "gemini-2.5-flash"
    assert msg.response_metadata["model_provider"] == "google_genai"


def test_usage_totals_add_up_on_every_sample() -> None:
    for name in (
        "text_basic",
        "thinking_include_thoughts_gemini3",
        "code_execution",
        "grounding_google_search",
        "cached_content_usage",
        "function_call_single_gemini3",
    ):
        wire = load_sample_json(name)["usageMetadata"]
        usage = usage_from_wire(wire)
        assert usage is not None
        assert usage["total_tokens"] == wire["totalTokenCount"], name
        assert usage["input_tokens"] + usage["output_tokens"] == usage["total_tokens"], name


def test_cache_read_is_a_subset_of_input() -> None:
    wire = load_sample_json("cached_content_usage")["usageMetadata"]
    usage = usage_from_wire(wire)
    assert usage is not None
    assert usage["input_token_details"]["cache_read"] == wire["cachedContentTokenCount"]
    assert usage["input_tokens"] >= usage["input_token_details"]["cache_read"]


def test_gemini3_text_keeps_its_signature_and_text_stays_clean() -> None:
    body = load_sample_json("text_gemini3_signature")
    part = body["candidates"][0]["content"]["parts"][-1]
    msg = parse("text_gemini3_signature", "gemini-3-pro-preview")
    assert isinstance(msg.content, list)
    assert msg.content[-1]["extras"]["signature"] == part["thoughtSignature"]
    assert msg.text == "".join(p["text"] for p in body["candidates"][0]["content"]["parts"])


def test_thoughts_become_reasoning_blocks_not_text() -> None:
    body = load_sample_json("thinking_include_thoughts_gemini3")
    parts = body["candidates"][0]["content"]["parts"]
    msg = parse("thinking_include_thoughts_gemini3", "gemini-3-pro-preview")
    thoughts = "".join(p["text"] for p in parts if p.get("thought"))
    answer = "".join(p["text"] for p in parts if not p.get("thought"))
    assert msg.text == answer
    kinds = [b["type"] for b in msg.content_blocks]
    assert kinds == ["reasoning", "text"]
    assert msg.content_blocks[0]["reasoning"] == thoughts


def test_parallel_function_calls_keep_order_ids_and_first_signature() -> None:
    body = load_sample_json("function_call_parallel_gemini3")
    parts = body["candidates"][0]["content"]["parts"]
    msg = parse("function_call_parallel_gemini3", "gemini-3-pro-preview")
    assert [c["name"] for c in msg.tool_calls] == [p["functionCall"]["name"] for p in parts]
    ids = [c["id"] for c in msg.tool_calls]
    assert len(set(ids)) == len(ids)
    signatures = msg.additional_kwargs[FUNCTION_CALL_SIGNATURES_KEY]
    assert signatures == {ids[0]: parts[0]["thoughtSignature"]}
    # Replaying the message sends back exactly the parts Gemini gave, signatures in place.
    _, contents = convert_messages([msg], model="gemini-3-pro-preview")
    assert contents[0]["parts"] == [
        {k: v for k, v in p.items() if k in ("functionCall", "thoughtSignature")} for p in parts
    ]


def test_function_call_args_are_not_coerced() -> None:
    body = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [{"functionCall": {"name": "f", "args": {"x": 2.0, "n": 3}}}],
                },
                "finishReason": "STOP",
            }
        ]
    }
    [(msg, _)] = messages_from_response(check_shape(body), "gemini-2.5-flash")
    args = msg.tool_calls[0]["args"]
    assert args == {"x": 2.0, "n": 3}
    assert isinstance(args["x"], float)


def test_blocked_prompt_is_explained_not_silent(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        msg = parse("prompt_blocked")
    assert msg.content == ""
    meta = msg.response_metadata
    assert meta["prompt_feedback"]["block_reason"] == "PROHIBITED_CONTENT"
    assert meta["finish_reason"] == "PROHIBITED_CONTENT"
    assert "blocked" in meta["finish_message"]
    assert [b["type"] for b in msg.content_blocks] == ["refusal"]
    assert "blocked the prompt" in caplog.text


def test_safety_finish_gives_refusal_block() -> None:
    msg = parse("finish_safety")
    assert msg.response_metadata["finish_reason"] == "SAFETY"
    assert msg.response_metadata["safety_ratings"]
    assert any(b["type"] == "refusal" for b in msg.content_blocks)


def test_max_tokens_without_parts_warns_with_the_fix(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        msg = parse("max_tokens_no_text", "gemini-2.5-pro")
    assert msg.content == ""
    assert msg.response_metadata["finish_reason"] == "MAX_TOKENS"
    assert "Raise max_tokens" in caplog.text


def test_no_image_finish() -> None:
    msg = parse("no_image", "gemini-2.5-flash-image")
    assert msg.content == ""
    assert msg.response_metadata["finish_reason"] == "NO_IMAGE"


def test_image_output_becomes_standard_image_block_with_signature() -> None:
    body = load_sample_json("image_output_gemini3_pro_image")
    parts = body["candidates"][0]["content"]["parts"]
    image_part = next(p for p in parts if "inlineData" in p)
    msg = parse("image_output_gemini3_pro_image", "gemini-3-pro-image-preview")
    images = [b for b in msg.content_blocks if b["type"] == "image"]
    assert images[0]["base64"] == image_part["inlineData"]["data"]
    assert images[0]["mime_type"] == image_part["inlineData"]["mimeType"]
    raw = next(b for b in msg.content if isinstance(b, dict) and b["type"] == "image_url")
    assert raw["extras"]["signature"] == image_part["thoughtSignature"]


def test_code_execution_server_tool_blocks() -> None:
    msg = parse("code_execution", "gemini-3-flash-preview")
    kinds = [b["type"] for b in msg.content_blocks]
    assert "server_tool_call" in kinds
    assert "server_tool_result" in kinds
    result = next(b for b in msg.content_blocks if b["type"] == "server_tool_result")
    assert result["status"] == "success"


def test_grounding_metadata_becomes_citations() -> None:
    msg = parse("grounding_google_search", "gemini-2.5-flash")
    grounding = msg.response_metadata["grounding_metadata"]
    assert grounding["web_search_queries"]
    text_block = next(b for b in msg.content_blocks if b["type"] == "text")
    assert text_block.get("annotations")
    assert text_block["annotations"][0]["type"] == "citation"


def test_tts_audio_becomes_wav_audio_block() -> None:
    msg = parse("tts_audio", "gemini-2.5-flash-preview-tts")
    audio = msg.additional_kwargs["audio"]
    assert audio[:4] == b"RIFF"
    assert [b["type"] for b in msg.content_blocks] == ["audio"]


@pytest.mark.parametrize(
    "body",
    [
        ["not", "an", "object"],
        {"candidates": "oops"},
        {"candidates": [{"content": {"parts": "oops"}}]},
        {"candidates": [{"content": "oops"}]},
        {"candidates": [], "usageMetadata": 5},
    ],
)
def test_wrong_shapes_raise_a_clear_error(body: Any) -> None:
    with pytest.raises(TokenhotResponseError, match=r"expected a JSON object|malformed"):
        check_shape(body)


def test_unknown_parts_are_kept_for_replay() -> None:
    body = {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"futurePart": {"x": 1}}, {"text": "ok"}]},
                "finishReason": "STOP",
            }
        ]
    }
    [(msg, _)] = messages_from_response(check_shape(body), "gemini-3-flash-preview")
    _, contents = convert_messages([msg], model="gemini-3-flash-preview")
    assert contents[0]["parts"] == [{"futurePart": {"x": 1}}, {"text": "ok"}]


@pytest.mark.parametrize(
    "part",
    [
        {"toolCall": {"x": 1}},
        {"toolCall": {"id": "a", "toolType": "URL_CONTEXT", "args": {"urls": ["u"]}, "y": [1]}},
        {"toolResponse": {"toolType": "GOOGLE_MAPS", "response": {}}, "thoughtSignature": "S"},
    ],
)
def test_server_tool_records_replay_verbatim_whatever_their_fields(part: dict[str, Any]) -> None:
    """Combined-tools records go back key for key, even with fields this version does not know."""
    body = {"candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP"}]}
    [(msg, _)] = messages_from_response(check_shape(body), "gemini-3-flash-preview")
    assert msg.content[0]["type"] in ("server_tool_call", "server_tool_result")  # type: ignore[index]
    _, contents = convert_messages([msg], model="gemini-3-flash-preview")
    assert contents[0]["parts"] == [part]


def test_grounding_offsets_are_characters_of_the_answer() -> None:
    """Gemini counts UTF-8 bytes; the sample's answer has a '°' before later citations."""
    msg = parse("grounding_google_search", "gemini-2.5-flash")
    text = msg.text
    assert not text.isascii()
    supports = msg.response_metadata["grounding_metadata"]["grounding_supports"]
    for support in supports:
        segment = support["segment"]
        assert text[segment["start_index"] : segment["end_index"]] == segment["text"]
    text_block = next(b for b in msg.content_blocks if b["type"] == "text")
    for citation in text_block["annotations"]:
        assert text[citation["start_index"] : citation["end_index"]] == citation["cited_text"]


def test_grounding_offsets_converted_when_streamed() -> None:
    from langchain_tokenhot._streaming import StreamAssembler

    body = load_sample_json("grounding_google_search")
    candidate = body["candidates"][0]
    text = candidate["content"]["parts"][0]["text"]
    # The same response streamed in three events, grounding on the last one.
    cuts = [0, 100, 400, len(text)]
    events = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": text[a:b]}]}}]}
        for a, b in itertools.pairwise(cuts)
    ]
    events[-1]["candidates"][0].update(
        finishReason="STOP", groundingMetadata=candidate["groundingMetadata"]
    )
    assembler = StreamAssembler("gemini-2.5-flash", blocks_mode=False)
    chunks = [c.message for e in events if (c := assembler.feed(e)) is not None]
    final = assembler.finish().message
    full = chunks[0]
    for chunk in [*chunks[1:], final]:
        full = full + chunk
    for support in full.response_metadata["grounding_metadata"]["grounding_supports"]:
        segment = support["segment"]
        assert full.text[segment["start_index"] : segment["end_index"]] == segment["text"]
