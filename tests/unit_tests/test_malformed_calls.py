"""No silent malformed calls (issue 16, item 5).

`malformed_function_call.json` / `stream_malformed_function_call.sse` are built from Google's
reference and reported shapes (see their `.source.txt`); the good turns are the recorded
`function_call_single_gemini3.json` and `stream_function_call_gemini3.sse`. Chosen behaviour:
re-ask up to `malformed_call_retries` times (default 1), the re-asks listed in
`response_metadata["malformed_call_retries"]`; then `TokenhotMalformedFunctionCallError` with
Gemini's `finishMessage`. Never an empty answer.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.tools import tool

from langchain_tokenhot import ChatTokenhotGemini, TokenhotMalformedFunctionCallError
from tests.support.fake_gemini import (
    FakeGemini,
    from_sample,
    json_response,
    load_sample_json,
    sse,
)

MODEL = "gemini-3-flash-preview"
MALFORMED = load_sample_json("malformed_function_call")
FINISH_MESSAGE = MALFORMED["candidates"][0]["finishMessage"]
RECORD = {"finish_reason": "MALFORMED_FUNCTION_CALL", "finish_message": FINISH_MESSAGE}


@tool
def weather(location: str) -> str:
    """Current weather at a location."""
    return "18C"


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


def llm_for(server: FakeGemini, **kw: Any) -> Any:
    llm = ChatTokenhotGemini(model=MODEL, api_key="k", base_url=server.base_url, **kw)
    return llm.bind_tools([weather])


def unexpected_tool_call() -> dict[str, Any]:
    body = copy.deepcopy(MALFORMED)
    body["candidates"][0]["finishReason"] = "UNEXPECTED_TOOL_CALL"
    del body["candidates"][0]["finishMessage"]
    return body


# -- re-asked, visibly --------------------------------------------------------------------


def test_invoke_reasks_and_says_so(server: FakeGemini) -> None:
    server.enqueue(
        from_sample("malformed_function_call"), from_sample("function_call_single_gemini3")
    )
    msg = llm_for(server).invoke("Weather in San Francisco?")
    assert [c["name"] for c in msg.tool_calls] == ["weather"]
    assert msg.response_metadata["malformed_call_retries"] == [RECORD]
    assert len(server.requests) == 2
    assert server.requests[0].body == server.requests[1].body


async def test_ainvoke_reasks_and_says_so(server: FakeGemini) -> None:
    server.enqueue(
        json_response(unexpected_tool_call()), from_sample("function_call_single_gemini3")
    )
    msg = await llm_for(server).ainvoke("Weather?")
    assert msg.tool_calls
    assert msg.response_metadata["malformed_call_retries"] == [
        {"finish_reason": "UNEXPECTED_TOOL_CALL"}
    ]


def test_stream_reasks_when_nothing_was_yielded(server: FakeGemini) -> None:
    server.enqueue(
        from_sample("stream_malformed_function_call"), from_sample("stream_function_call_gemini3")
    )
    chunks = list(llm_for(server).stream("Weather?"))
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.tool_calls and merged.tool_calls[0]["name"] == "get_country"
    assert chunks[-1].response_metadata["malformed_call_retries"] == [RECORD]
    assert [r.operation for r in server.requests] == ["streamGenerateContent"] * 2


async def test_astream_reasks(server: FakeGemini) -> None:
    server.enqueue(
        from_sample("stream_malformed_function_call"), from_sample("stream_function_call_gemini3")
    )
    chunks = [c async for c in llm_for(server).astream("Weather?")]
    assert chunks[-1].response_metadata["malformed_call_retries"] == [RECORD]
    assert len(server.requests) == 2


def test_good_answer_carries_no_retry_key(server: FakeGemini) -> None:
    server.default = from_sample("function_call_single_gemini3")
    msg = llm_for(server).invoke("Weather?")
    assert "malformed_call_retries" not in msg.response_metadata


# -- then a typed error, never an empty answer ----------------------------------------------


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_invoke_raises_after_the_reasks(server: FakeGemini, retries: int) -> None:
    server.default = from_sample("malformed_function_call")
    with pytest.raises(TokenhotMalformedFunctionCallError) as info:
        llm_for(server, malformed_call_retries=retries).invoke("Weather?")
    err = info.value
    assert len(server.requests) == retries + 1
    assert err.attempts == retries + 1
    assert err.finish_reason == err.status == "MALFORMED_FUNCTION_CALL"
    assert err.finish_message == FINISH_MESSAGE
    assert FINISH_MESSAGE in str(err) and "Simplify the tool's parameters" in str(err)
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.finish_message, clone.attempts, clone.model) == (
        FINISH_MESSAGE,
        retries + 1,
        MODEL,
    )


async def test_astream_raises_after_the_reasks(server: FakeGemini) -> None:
    server.default = from_sample("stream_malformed_function_call")
    with pytest.raises(TokenhotMalformedFunctionCallError, match="on 2 attempts"):
        [c async for c in llm_for(server).astream("Weather?")]


def test_stream_that_already_yielded_raises_instead_of_reasking(server: FakeGemini) -> None:
    events = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "Let me check"}]}}]},
        copy.deepcopy(MALFORMED),
    ]
    server.default = sse(events)
    seen: list[Any] = []
    with pytest.raises(TokenhotMalformedFunctionCallError, match=r"on 1 attempt\b"):
        seen.extend(llm_for(server).stream("Weather?"))
    assert [c.text for c in seen] == ["Let me check"]
    assert len(server.requests) == 1


def test_agent_run_does_not_end_silently(server: FakeGemini) -> None:
    server.default = from_sample("malformed_function_call")
    llm = ChatTokenhotGemini(model=MODEL, api_key="k", base_url=server.base_url)
    agent = create_agent(llm, tools=[weather])
    with pytest.raises(TokenhotMalformedFunctionCallError):
        agent.invoke({"messages": [("human", "Weather in Paris?")]})


async def test_agent_run_recovers_after_one_reask(server: FakeGemini) -> None:
    answer = {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": "18C in SF."}]},
                "finishReason": "STOP",
            }
        ],
        "modelVersion": MODEL,
    }
    server.enqueue(
        from_sample("malformed_function_call"),
        from_sample("function_call_single_gemini3"),
        json_response(answer),
    )
    llm = ChatTokenhotGemini(model=MODEL, api_key="k", base_url=server.base_url)
    result = await create_agent(llm, tools=[weather]).ainvoke({"messages": [("human", "SF?")]})
    assert result["messages"][-1].text == "18C in SF."
    calling = result["messages"][1]
    assert calling.response_metadata["malformed_call_retries"] == [RECORD]


def test_negative_retries_are_refused() -> None:
    with pytest.raises(ValueError, match="malformed_call_retries"):
        ChatTokenhotGemini(model=MODEL, api_key="k", malformed_call_retries=-1)
