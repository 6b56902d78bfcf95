"""Thinking models: signatures across turns, serialization of signed histories, v1 output."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.load import dumpd, load
from langchain_core.messages import AIMessage, HumanMessage, messages_from_dict, messages_to_dict
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from langchain_tokenhot import ChatTokenhotGemini
from tests.support.fake_gemini import FakeGemini, from_sample, load_sample_json

MODEL = "gemini-3-pro-preview"


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


def make(server: FakeGemini, **kw: Any) -> ChatTokenhotGemini:
    return ChatTokenhotGemini(model=MODEL, api_key="k", base_url=server.base_url, **kw)


def sample_parts(name: str) -> list[dict[str, Any]]:
    return load_sample_json(name)["candidates"][0]["content"]["parts"]  # type: ignore[no-any-return]


def test_multi_turn_sends_back_every_signature_unchanged(server: FakeGemini) -> None:
    server.enqueue(
        from_sample("thinking_include_thoughts_gemini3"), from_sample("text_gemini3_signature")
    )
    llm = make(server, thinking_level="low", include_thoughts=True)
    history: list[Any] = [HumanMessage("How do I cross the street?")]
    first = llm.invoke(history)
    assert first.text and "**A Safe Street" not in first.text  # thoughts never leak into text
    history += [first, HumanMessage("And at night?")]
    llm.invoke(history)
    assert server.requests[0].json["generationConfig"]["thinkingConfig"] == {
        "thinkingLevel": "low",
        "includeThoughts": True,
    }
    replayed = server.requests[1].json["contents"][1]
    assert replayed == {"role": "model", "parts": sample_parts("thinking_include_thoughts_gemini3")}


def test_streamed_turn_replays_its_signature(server: FakeGemini) -> None:
    server.enqueue(from_sample("stream_signature_on_empty_text_gemini3"))
    llm = make(server)
    chunks = list(llm.stream("hi"))
    full = chunks[0]
    for chunk in chunks[1:]:
        full += chunk
    llm.invoke([HumanMessage("hi"), full, HumanMessage("more")])
    parts = server.requests[1].json["contents"][1]["parts"]
    assert len(parts) == 1
    assert parts[0]["text"] == full.text
    assert parts[0]["thoughtSignature"].startswith(("C", "E"))


def signed_history(server: FakeGemini) -> list[Any]:
    server.enqueue(from_sample("function_call_parallel_gemini3"))
    ai = make(server).invoke("topics?")
    return [HumanMessage("topics?"), ai]


def test_dumpd_load_keeps_signatures(server: FakeGemini) -> None:
    history = signed_history(server)
    restored = load(dumpd(history), allowed_objects="messages")
    assert restored == history
    assert messages_from_dict(messages_to_dict(history)) == history


def test_langgraph_checkpoint_serializer_keeps_signatures(server: FakeGemini) -> None:
    history = signed_history(server)
    serde = JsonPlusSerializer()
    restored = serde.loads_typed(serde.dumps_typed(history))
    assert restored == history
    # And it replays identically.
    server.clear()
    make(server).invoke(history)
    make(server).invoke(restored)
    assert server.requests[0].json == server.requests[1].json


def test_v1_output_is_standard_blocks_and_accepted_back(server: FakeGemini) -> None:
    server.enqueue(from_sample("thinking_include_thoughts_gemini3"))
    llm = make(server, output_version="v1", include_thoughts=True)
    msg = llm.invoke("cross the street?")
    assert [b["type"] for b in msg.content] == ["reasoning", "text"]  # type: ignore[index]
    signature = sample_parts("thinking_include_thoughts_gemini3")[-1]["thoughtSignature"]
    assert msg.content[1]["extras"]["signature"] == signature  # type: ignore[index]
    make(server).invoke([HumanMessage("cross the street?"), msg, HumanMessage("thanks")])
    replayed = server.requests[-1].json["contents"][1]["parts"]
    assert replayed == sample_parts("thinking_include_thoughts_gemini3")


def test_v1_streaming_reasoning_and_text(server: FakeGemini) -> None:
    server.enqueue(from_sample("stream_thoughts_gemini25pro"))
    llm = ChatTokenhotGemini(
        model="gemini-2.5-pro",
        api_key="k",
        base_url=server.base_url,
        include_thoughts=True,
        output_version="v1",
    )
    full: Any = None
    for chunk in llm.stream("q"):
        full = chunk if full is None else full + chunk
    kinds = [b["type"] for b in full.content_blocks]
    assert kinds == ["reasoning", "text"]
    assert full.usage_metadata["output_token_details"]["reasoning"] > 0


def test_reasoning_tokens_reported(server: FakeGemini) -> None:
    server.enqueue(from_sample("thinking_include_thoughts_gemini3"))
    msg = make(server).invoke("q")
    wire = load_sample_json("thinking_include_thoughts_gemini3")["usageMetadata"]
    assert msg.usage_metadata["output_token_details"]["reasoning"] == wire["thoughtsTokenCount"]


def test_ai_message_is_not_mutated_by_replay(server: FakeGemini) -> None:
    history = signed_history(server)
    before = history[1].model_copy(deep=True)
    make(server).invoke(history)
    assert history[1] == before
    assert isinstance(history[1], AIMessage)
