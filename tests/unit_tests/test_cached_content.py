"""Cache-safe agents (issue 16, item 4).

Google refuses `cachedContent` beside `systemInstruction`, `tools` or `toolConfig` (400), yet
`create_agent` sends its system prompt and tools on every step. With a named cache those fields
are left out (the cache holds them) with one warning naming them. Answers use the recorded
`cached_content_usage.json` (cached tokens are a subset of the prompt) and
`function_call_single_gemini3.json`.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.tools import tool

from langchain_tokenhot import ChatTokenhotGemini, _cache
from tests.support.fake_gemini import (
    Action,
    FakeGemini,
    RecordedRequest,
    json_response,
    load_sample_json,
    sse,
)

MODEL = "gemini-2.5-flash"
CACHE = "cachedContents/abc123"


@tool
def weather(location: str) -> str:
    """Current weather at a location."""
    return "18C"


def scripted(request: RecordedRequest) -> Action:
    """The recorded single call first, then the recorded cached answer ("Paris.")."""
    step = sum(1 for c in request.json["contents"] if c["role"] == "model")
    body = copy.deepcopy(
        load_sample_json("function_call_single_gemini3" if step == 0 else "cached_content_usage")
    )
    if request.operation == "streamGenerateContent":
        return sse([body])
    return json_response(body)


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini(default=scripted) as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh_warnings() -> Iterator[None]:
    _cache._warned.clear()
    yield
    _cache._warned.clear()


def agent_for(server: FakeGemini, **kw: Any) -> Any:
    llm = ChatTokenhotGemini(
        model=MODEL, api_key="k", base_url=server.base_url, cached_content=CACHE, **kw
    )
    return create_agent(llm, tools=[weather], system_prompt="You are a weather bot.")


def assert_cache_safe(server: FakeGemini, caplog: pytest.LogCaptureFixture) -> None:
    assert len(server.requests) == 2
    for request in server.requests:
        body = request.json
        assert body["cachedContent"] == CACHE
        assert not {"systemInstruction", "tools", "toolConfig"} & set(body)
    # The loop still ran the tool the cache holds, and its result went back.
    results = server.requests[1].json["contents"][-1]["parts"]
    assert results[0]["functionResponse"]["response"] == {"output": "18C"}
    warnings = [r.getMessage() for r in caplog.records if r.name == "langchain_tokenhot._cache"]
    assert len(warnings) == 1
    assert f"cached_content='{CACHE}': left systemInstruction and tools out" in warnings[0]


def assert_answer(result: dict[str, Any]) -> None:
    answer = result["messages"][-1]
    assert answer.text == "Paris."
    assert answer.usage_metadata["input_token_details"]["cache_read"] == 3512
    assert answer.usage_metadata["input_tokens"] == 3520


def test_agent_loop(server: FakeGemini, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        result = agent_for(server).invoke({"messages": [("human", "Weather in Paris?")]})
    assert_answer(result)
    assert_cache_safe(server, caplog)


async def test_agent_loop_async(server: FakeGemini, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        result = await agent_for(server).ainvoke({"messages": [("human", "Weather?")]})
    assert_answer(result)
    assert_cache_safe(server, caplog)


def test_agent_loop_streaming(server: FakeGemini, caplog: pytest.LogCaptureFixture) -> None:
    last: dict[str, Any] = {}
    with caplog.at_level(logging.WARNING):
        for state in agent_for(server, streaming=True).stream(
            {"messages": [("human", "Weather?")]}, stream_mode="values"
        ):
            last = state
    assert all(r.operation == "streamGenerateContent" for r in server.requests)
    assert_answer(last)
    assert_cache_safe(server, caplog)


async def test_agent_loop_async_streaming(
    server: FakeGemini, caplog: pytest.LogCaptureFixture
) -> None:
    last: dict[str, Any] = {}
    with caplog.at_level(logging.WARNING):
        async for state in agent_for(server, streaming=True).astream(
            {"messages": [("human", "Weather?")]}, stream_mode="values"
        ):
            last = state
    assert_answer(last)
    assert_cache_safe(server, caplog)


def test_per_call_cache_and_tool_choice(
    server: FakeGemini, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = json_response(load_sample_json("cached_content_usage"))
    llm = ChatTokenhotGemini(model=MODEL, api_key="k", base_url=server.base_url)
    with caplog.at_level(logging.WARNING):
        llm.bind_tools([weather], tool_choice="any").invoke("hi", cached_content=CACHE)
    body = server.requests[0].json
    assert body["cachedContent"] == CACHE
    assert "tools" not in body and "toolConfig" not in body
    assert "left tools and toolConfig out" in caplog.text


def test_without_a_cache_nothing_is_left_out(
    server: FakeGemini, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = json_response(load_sample_json("cached_content_usage"))
    llm = ChatTokenhotGemini(model=MODEL, api_key="k", base_url=server.base_url)
    with caplog.at_level(logging.WARNING):
        llm.bind_tools([weather]).invoke([("system", "Be brief."), ("human", "hi")])
    body = server.requests[0].json
    assert {"systemInstruction", "tools"} <= set(body)
    assert "cachedContent" not in body
    assert "cached_content" not in caplog.text


def test_cache_alone_warns_about_nothing(
    server: FakeGemini, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = json_response(load_sample_json("cached_content_usage"))
    llm = ChatTokenhotGemini(
        model=MODEL, api_key="k", base_url=server.base_url, cached_content=CACHE
    )
    with caplog.at_level(logging.WARNING):
        msg = llm.invoke("What is the capital of France?")
    assert msg.text == "Paris."
    assert server.requests[0].json["cachedContent"] == CACHE
    assert "left" not in caplog.text
