"""Multi-round tool loops on Gemini 3 through `create_agent`: the exact signatures go back.

The fake server plays a Gemini 3 model over several tool rounds (parallel calls signed only on
the first, as recorded in function_call_parallel_gemini3.json) and records every request, so
the test asserts what Gemini would validate: each step's function calls are replayed with the
signature they came with, unsigned ones stay unsigned, and nothing is invented.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage
from langchain_core.tools import tool

from langchain_tokenhot import ChatTokenhotGemini
from tests.support.fake_gemini import Action, FakeGemini, RecordedRequest, json_response, sse

MODEL = "gemini-3-flash-preview"

# The model's turns, in order: parallel calls (first signed), a sequential call, an answer.
TURNS: list[list[dict[str, Any]]] = [
    [
        {
            "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
            "thoughtSignature": "SIG_STEP1",
        },
        {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}},
    ],
    [
        {"text": "Let me check the time too."},
        {
            "functionCall": {"name": "get_time", "args": {"city": "Paris"}},
            "thoughtSignature": "SIG_STEP2",
        },
    ],
    [{"text": "Paris: 21C at noon; Oslo: 5C.", "thoughtSignature": "SIG_ANSWER"}],
]


def _usage() -> dict[str, int]:
    return {
        "promptTokenCount": 20,
        "candidatesTokenCount": 10,
        "thoughtsTokenCount": 5,
        "totalTokenCount": 35,
    }


def scripted(request: RecordedRequest) -> Action:
    step = sum(1 for c in request.json["contents"] if c["role"] == "model")
    parts = TURNS[step]
    candidate = {"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}
    body = {
        "candidates": [candidate],
        "usageMetadata": _usage(),
        "modelVersion": MODEL,
        "responseId": f"resp-{step}",
    }
    if request.operation == "streamGenerateContent":
        # Calls arrive whole, one event each; the last event closes with finishReason.
        events = [
            {
                "candidates": [{"content": {"role": "model", "parts": [part]}}],
                "usageMetadata": _usage(),
                "modelVersion": MODEL,
            }
            for part in parts
        ]
        events.append(
            {
                "candidates": [
                    {"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP"}
                ],
                "usageMetadata": _usage(),
                "modelVersion": MODEL,
            }
        )
        return sse(events)
    return json_response(body)


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return {"Paris": "21C", "Oslo": "5C"}[city]


@tool
def get_time(city: str) -> str:
    """Local time in a city."""
    return "noon"


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini(default=scripted) as fake:
        yield fake


def agent_for(server: FakeGemini, **kw: Any) -> Any:
    llm = ChatTokenhotGemini(model=MODEL, api_key="k", base_url=server.base_url, **kw)
    return create_agent(llm, tools=[get_weather, get_time])


def assert_replayed_exactly(server: FakeGemini) -> None:
    assert len(server.requests) == 3
    second, third = server.requests[1].json["contents"], server.requests[2].json["contents"]
    step1 = next(c for c in second if c["role"] == "model")["parts"]
    assert step1 == [
        {
            "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
            "thoughtSignature": "SIG_STEP1",
        },
        {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}},
    ]
    results = second[-1]["parts"]
    assert results == [
        {"functionResponse": {"name": "get_weather", "response": {"output": "21C"}}},
        {"functionResponse": {"name": "get_weather", "response": {"output": "5C"}}},
    ]
    model_turns = [c["parts"] for c in third if c["role"] == "model"]
    assert model_turns[0] == step1
    assert model_turns[1] == [
        {"text": "Let me check the time too."},
        {
            "functionCall": {"name": "get_time", "args": {"city": "Paris"}},
            "thoughtSignature": "SIG_STEP2",
        },
    ]
    assert "skip_thought_signature_validator" not in str(third)


def final_answer(result: dict[str, Any]) -> AIMessage:
    message = result["messages"][-1]
    assert isinstance(message, AIMessage)
    assert message.text == "Paris: 21C at noon; Oslo: 5C."
    return message


def test_agent_loop_sync(server: FakeGemini) -> None:
    result = agent_for(server).invoke({"messages": [("human", "Weather in Paris and Oslo?")]})
    final_answer(result)
    assert_replayed_exactly(server)


async def test_agent_loop_async(server: FakeGemini) -> None:
    result = await agent_for(server).ainvoke({"messages": [("human", "Weather?")]})
    final_answer(result)
    assert_replayed_exactly(server)


def test_agent_loop_streaming(server: FakeGemini) -> None:
    agent = agent_for(server, streaming=True)
    tokens = [
        chunk.text
        for chunk, _ in agent.stream({"messages": [("human", "Weather?")]}, stream_mode="messages")
        if isinstance(chunk, AIMessage)
    ]
    assert "".join(tokens).endswith("Paris: 21C at noon; Oslo: 5C.")
    assert all(r.operation == "streamGenerateContent" for r in server.requests)
    assert_replayed_exactly(server)


async def test_agent_loop_async_streaming(server: FakeGemini) -> None:
    agent = agent_for(server, streaming=True)
    last: dict[str, Any] = {}
    async for state in agent.astream({"messages": [("human", "Weather?")]}, stream_mode="values"):
        last = state
    final_answer(last)
    assert_replayed_exactly(server)


def test_history_from_langchain_google_genai_replays() -> None:
    """genai keeps call signatures in the same additional_kwargs key, keyed by call id."""
    from langchain_core.messages import HumanMessage, ToolMessage

    from langchain_tokenhot._messages import convert_messages

    genai_ai = AIMessage(
        content=[{"type": "text", "text": "", "extras": {"signature": "TXT"}}],
        tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "uuid-1"}],
        additional_kwargs={"__gemini_function_call_thought_signatures__": {"uuid-1": "CALL"}},
        response_metadata={"model_provider": "google_genai"},
    )
    history = [HumanMessage("q"), genai_ai, ToolMessage("21C", tool_call_id="uuid-1")]
    _, contents = convert_messages(history, model=MODEL)
    assert contents[1]["parts"] == [
        {"text": "", "thoughtSignature": "TXT"},
        {
            "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
            "thoughtSignature": "CALL",
        },
    ]
    assert "id" not in contents[2]["parts"][0]["functionResponse"]
    # For Google directly: the call id goes out on both halves of the pair.
    _, contents = convert_messages(history, model=MODEL, function_call_ids=True)
    assert contents[1]["parts"][1]["functionCall"]["id"] == "uuid-1"
    assert contents[2]["parts"][0]["functionResponse"]["id"] == "uuid-1"
