"""Gemini 3 combined tools: built-in and function tools in one request (issue 16, item 1).

Bodies: `combined_tools_gemini3.json` / `stream_combined_tools_gemini3.sse`, built from Google's
REST reference (no recording exists; see their `.source.txt`). What is checked: the request
asks for the server-side invocation records, `toolCall` / `toolResponse` parts become standard
`server_tool_call` / `server_tool_result` blocks in invoke and stream, sync and async, and the
turn goes back verbatim (signatures on the same parts) through a `create_agent` loop.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.tools import tool

from langchain_tokenhot import ChatTokenhotGemini, ToolConversionError
from tests.support.fake_gemini import (
    Action,
    FakeGemini,
    RecordedRequest,
    from_sample,
    json_response,
    load_sample_events,
    load_sample_json,
    sse,
)

MODEL = "gemini-3-flash-preview"
BODY = load_sample_json("combined_tools_gemini3")
EVENTS = load_sample_events("stream_combined_tools_gemini3")
MODEL_PARTS = BODY["candidates"][0]["content"]["parts"]


def without_call_ids(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`parts` as replayed by default: function-call ids are not sent (a gateway that
    re-marshals requests drops `functionCall.id` but keeps `functionResponse.id`; see
    docs/guides/gateway.md); server tool records go back key for key, ids included."""
    out = copy.deepcopy(parts)
    for part in out:
        part.get("functionCall", {}).pop("id", None)
    return out


ANSWER = "Utqiagvik is -12C and snowing."


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return "-12C, snow"


def final_answer_body() -> dict[str, Any]:
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": ANSWER, "thoughtSignature": "S3"}]},
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {"promptTokenCount": 90, "candidatesTokenCount": 8, "totalTokenCount": 98},
        "modelVersion": MODEL,
    }


def scripted(request: RecordedRequest) -> Action:
    """First turn: the combined-tools answer; once the function result is back: the answer."""
    step = sum(1 for c in request.json["contents"] if c["role"] == "model")
    streaming = request.operation == "streamGenerateContent"
    if step == 0:
        return sse(copy.deepcopy(EVENTS)) if streaming else json_response(BODY)
    body = final_answer_body()
    if streaming:
        return sse([body])
    return json_response(body)


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini(default=scripted) as fake:
        yield fake


def llm_for(server: FakeGemini, model: str = MODEL, **kw: Any) -> ChatTokenhotGemini:
    return ChatTokenhotGemini(
        model=model, api_key="k", base_url=server.base_url, max_retries=0, **kw
    )


def bound(server: FakeGemini, model: str = MODEL, **kw: Any) -> Any:
    return llm_for(server, model, **kw).bind_tools([get_weather, {"google_search": {}}])


EXPECTED_CALL = {
    "type": "server_tool_call",
    "id": "srv_search_1",
    "name": "google_search",
    "args": {"queries": ["northernmost city in the United States"]},
    "extras": {
        "tool_type": "GOOGLE_SEARCH_WEB",
        "wire": {"id": "srv_search_1", "toolType": "GOOGLE_SEARCH_WEB"},
        "signature": "EpgDCpUDAb4+9vsCombinedToolsBuiltNotRecorded1",
    },
}
EXPECTED_RESULT = {
    "type": "server_tool_result",
    "tool_call_id": "srv_search_1",
    "status": "success",
    "output": {
        "search_suggestions": "Utqiagvik, Alaska is the northernmost city in the United States."
    },
    "extras": {
        "tool_type": "GOOGLE_SEARCH_WEB",
        "wire": {"id": "srv_search_1", "toolType": "GOOGLE_SEARCH_WEB"},
        "name": "google_search",
    },
}


def assert_request_combines(request: RecordedRequest) -> None:
    body = request.json
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Current weather in a city.",
                    "parametersJsonSchema": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                    },
                }
            ]
        },
        {"googleSearch": {}},
    ]
    assert body["toolConfig"] == {"includeServerSideToolInvocations": True}


def assert_message(message: AIMessage) -> None:
    blocks = [b for b in message.content if isinstance(b, dict)]
    server_blocks = [
        {k: v for k, v in b.items() if k != "index"}
        for b in blocks
        if b["type"].startswith("server_tool")
    ]
    assert server_blocks == [EXPECTED_CALL, EXPECTED_RESULT]
    assert [(c["name"], c["args"], c["id"]) for c in message.tool_calls] == [
        ("get_weather", {"city": "Utqiagvik, Alaska"}, "fc_weather_1")
    ]
    assert message.response_metadata["finish_reason"] == "STOP"


def assert_replayed_verbatim(request: RecordedRequest) -> None:
    model_turn = next(c for c in request.json["contents"] if c["role"] == "model")
    assert model_turn["parts"] == without_call_ids(MODEL_PARTS)
    assert model_turn["parts"] != MODEL_PARTS  # the sample's call carries an id
    assert request.json["toolConfig"] == {"includeServerSideToolInvocations": True}


# -- request + message out, invoke and stream ----------------------------------------------


def test_invoke(server: FakeGemini) -> None:
    message = bound(server).invoke("Northernmost US city, and its weather?")
    assert_request_combines(server.requests[0])
    assert_message(message)


async def test_ainvoke(server: FakeGemini) -> None:
    message = await bound(server).ainvoke("Northernmost US city, and its weather?")
    assert_request_combines(server.requests[0])
    assert_message(message)


def test_stream(server: FakeGemini) -> None:
    chunks = list(bound(server).stream("Northernmost US city, and its weather?"))
    assert server.requests[0].operation == "streamGenerateContent"
    assert_request_combines(server.requests[0])
    merged: AIMessageChunk = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert_message(merged)


async def test_astream(server: FakeGemini) -> None:
    merged: AIMessageChunk | None = None
    async for chunk in bound(server).astream("Northernmost US city, and its weather?"):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    assert_request_combines(server.requests[0])
    assert_message(merged)


# -- replay: the turn goes back as it came --------------------------------------------------


def test_replay_after_invoke(server: FakeGemini) -> None:
    llm = bound(server)
    first = llm.invoke("Weather up north?")
    from langchain_core.messages import HumanMessage, ToolMessage

    history = [
        HumanMessage("Weather up north?"),
        first,
        ToolMessage("-12C, snow", tool_call_id="fc_weather_1"),
    ]
    assert llm.invoke(history).text == ANSWER
    assert_replayed_verbatim(server.requests[1])


def test_replay_with_function_call_ids_is_verbatim(server: FakeGemini) -> None:
    from langchain_core.messages import HumanMessage, ToolMessage

    llm = bound(server, send_function_call_ids=True)
    first = llm.invoke("Weather up north?")
    llm.invoke(
        [
            HumanMessage("Weather up north?"),
            first,
            ToolMessage("-12C, snow", tool_call_id="fc_weather_1"),
        ]
    )
    contents = server.requests[1].json["contents"]
    assert next(c for c in contents if c["role"] == "model")["parts"] == MODEL_PARTS
    response = contents[-1]["parts"][0]["functionResponse"]
    assert response["id"] == "fc_weather_1"


async def test_replay_after_astream(server: FakeGemini) -> None:
    from langchain_core.messages import HumanMessage, ToolMessage

    llm = bound(server)
    merged: AIMessageChunk | None = None
    async for chunk in llm.astream("Weather up north?"):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    history = [
        HumanMessage("Weather up north?"),
        merged,
        ToolMessage("-12C, snow", tool_call_id="fc_weather_1"),
    ]
    answer = await llm.ainvoke(history)
    assert answer.text == ANSWER
    assert_replayed_verbatim(server.requests[1])


# -- through a create_agent loop ----------------------------------------------------------


def agent_for(server: FakeGemini, **kw: Any) -> Any:
    return create_agent(llm_for(server, **kw), tools=[get_weather, {"google_search": {}}])


def assert_agent_run(server: FakeGemini, result: dict[str, Any]) -> None:
    assert result["messages"][-1].text == ANSWER
    assert len(server.requests) == 2
    assert_request_combines(server.requests[0])
    assert_replayed_verbatim(server.requests[1])
    results = server.requests[1].json["contents"][-1]["parts"]
    assert [p["functionResponse"]["name"] for p in results] == ["get_weather"]


def test_agent_loop(server: FakeGemini) -> None:
    result = agent_for(server).invoke({"messages": [("human", "Weather up north?")]})
    assert_agent_run(server, result)


async def test_agent_loop_async(server: FakeGemini) -> None:
    result = await agent_for(server).ainvoke({"messages": [("human", "Weather up north?")]})
    assert_agent_run(server, result)


def test_agent_loop_streaming(server: FakeGemini) -> None:
    agent = agent_for(server, streaming=True)
    last: dict[str, Any] = {}
    for state in agent.stream({"messages": [("human", "Weather?")]}, stream_mode="values"):
        last = state
    assert all(r.operation == "streamGenerateContent" for r in server.requests)
    assert_agent_run(server, last)


async def test_agent_loop_async_streaming(server: FakeGemini) -> None:
    agent = agent_for(server, streaming=True)
    last: dict[str, Any] = {}
    async for state in agent.astream({"messages": [("human", "Weather?")]}, stream_mode="values"):
        last = state
    assert_agent_run(server, last)


# -- refused before sending ----------------------------------------------------------------


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-2.5-pro"])
def test_model_without_combined_tools_is_refused_before_sending(
    server: FakeGemini, model: str
) -> None:
    with pytest.raises(ToolConversionError, match="cannot combine built-in tools") as info:
        bound(server, model).invoke("hi")
    assert "googleSearch" in str(info.value) and "Gemini 3" in str(info.value)
    assert server.requests == []


def test_builtin_only_or_functions_only_leave_tool_config_alone(server: FakeGemini) -> None:
    server.default = json_response(final_answer_body())
    llm = llm_for(server, "gemini-2.5-flash")
    llm.bind_tools([{"google_search": {}}]).invoke("hi")
    llm.bind_tools([get_weather]).invoke("hi")
    assert ["toolConfig" in r.json for r in server.requests] == [False, False]


def test_explicit_false_is_kept(server: FakeGemini) -> None:
    server.default = json_response(final_answer_body())
    llm = llm_for(server).bind_tools(
        [get_weather, {"code_execution": {}}],
        tool_config={"include_server_side_tool_invocations": False},
    )
    llm.invoke("hi")
    assert server.requests[0].json["toolConfig"] == {"includeServerSideToolInvocations": False}


def test_inferred_gemini3_model_may_combine(server: FakeGemini) -> None:
    bound(server, "gemini-3.5-flash").invoke("hi")
    assert server.requests[0].json["toolConfig"] == {"includeServerSideToolInvocations": True}


# -- a gateway that drops the invocation records -------------------------------------------


@pytest.fixture
def _fresh_record_warnings() -> Iterator[None]:
    from langchain_tokenhot import _tools

    _tools._warned_missing_records.clear()
    yield
    _tools._warned_missing_records.clear()


@pytest.mark.usefixtures("_fresh_record_warnings")
@pytest.mark.parametrize("streaming", [False, True])
def test_search_without_records_warns_once(
    server: FakeGemini, streaming: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """The recorded grounded answer has groundingMetadata but no toolCall parts: what a
    combined-tools request gets back when the gateway dropped includeServerSideToolInvocations."""
    body = load_sample_json("grounding_google_search")
    server.default = sse([body]) if streaming else json_response(body)
    llm = bound(server, streaming=streaming)
    with caplog.at_level("WARNING", logger="langchain_tokenhot._tools"):
        first = llm.invoke("Weather in SF?")
        llm.invoke("Weather in SF?")
    assert first.text
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "no toolCall/toolResponse records came back" in warnings[0]


@pytest.mark.usefixtures("_fresh_record_warnings")
def test_records_present_or_not_asked_for_no_warning(
    server: FakeGemini, caplog: pytest.LogCaptureFixture
) -> None:
    grounded = copy.deepcopy(BODY)
    grounded["candidates"][0]["groundingMetadata"] = load_sample_json("grounding_google_search")[
        "candidates"
    ][0]["groundingMetadata"]
    server.default = json_response(grounded)
    with caplog.at_level("WARNING", logger="langchain_tokenhot._tools"):
        bound(server).invoke("hi")  # search ran and its records came back
        server.default = from_sample("grounding_google_search")
        llm_for(server).bind_tools([{"google_search": {}}]).invoke("hi")  # not asked for
    assert caplog.records == []


def test_a_hand_built_record_that_is_not_json_is_refused() -> None:
    from langchain_core.messages import HumanMessage

    from langchain_tokenhot import UnsupportedContentError
    from langchain_tokenhot._messages import convert_messages

    block = {**EXPECTED_CALL, "args": {"when": object()}}
    message = AIMessage(content=[block], response_metadata={"model_provider": "google_genai"})
    with pytest.raises(UnsupportedContentError, match="JSON"):
        convert_messages([HumanMessage("hi"), message], model=MODEL)
