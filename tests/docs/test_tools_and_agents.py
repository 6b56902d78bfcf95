"""docs/examples/tool_calling.py and agent.py: the tools really run, their results go back.

The fake plays Gemini 3 (`function_call_parallel_gemini3.json` shape: parallel calls, only
the first signed) and writes its final answer from the `functionResponse` parts it receives,
so the final text can only contain the tool outputs if the round trip worked.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import ToolMessage

from tests.docs.conftest import RunExample
from tests.docs.gemini import (
    function_calls,
    function_responses,
    last_user_text,
    model_turns,
    system_text,
    text_reply,
)
from tests.support.fake_gemini import Action, FakeGemini, RecordedRequest, json_response

GEMINI3 = "gemini-3-flash-preview"


def weather_responder(request: RecordedRequest) -> Action:
    body = request.json
    declared = [d["name"] for t in body["tools"] for d in t.get("functionDeclarations", [])]
    assert declared == ["get_weather"]
    if not function_responses(body):
        assert last_user_text(body) == "What's the weather in Paris and in Oslo?"
        calls = [("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Oslo"})]
        return json_response(function_calls(calls, model=GEMINI3, signature="SIG_WEATHER"))
    results = {
        r["name"] + ":" + str(i): r["response"]["output"]
        for i, r in enumerate(function_responses(body))
    }
    paris, oslo = results["get_weather:0"], results["get_weather:1"]
    return json_response(
        text_reply(
            f"Paris has {paris}, while Oslo has {oslo}.",
            model=GEMINI3,
            signature="SIG_ANSWER",
        )
    )


def test_tool_calling(server: FakeGemini, run_example: RunExample, printed: Any) -> None:
    server.default = weather_responder
    result = run_example("tool_calling")

    calls = result["ai_msg"].tool_calls
    assert [(c["name"], c["args"]) for c in calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_weather", {"city": "Oslo"}),
    ]
    tool_messages = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert [m.content for m in tool_messages] == ["18°C, light rain", "4°C, clear sky"]
    assert [m.tool_call_id for m in tool_messages] == [c["id"] for c in calls]
    assert result["final"].text == "Paris has 18°C, light rain, while Oslo has 4°C, clear sky."

    # The second request replays the model's turn exactly (signature on the first call only)
    # and answers both calls in one user turn.
    second = server.requests[1].json["contents"]
    assert second[1] == {
        "role": "model",
        "parts": [
            {
                "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                "thoughtSignature": "SIG_WEATHER",
            },
            {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}},
        ],
    }
    assert second[2] == {
        "role": "user",
        "parts": [
            {
                "functionResponse": {
                    "name": "get_weather",
                    "response": {"output": "18°C, light rain"},
                }
            },
            {"functionResponse": {"name": "get_weather", "response": {"output": "4°C, clear sky"}}},
        ],
    }
    printed("tool_calling")


def agent_responder(request: RecordedRequest) -> Action:
    body = request.json
    assert system_text(body).startswith("You are a travel assistant.")
    declared = {d["name"] for t in body["tools"] for d in t.get("functionDeclarations", [])}
    assert declared == {"get_weather", "get_local_time", "convert_currency"}
    step = model_turns(body)
    assert step <= 2, "the agent loops: a model turn was lost"
    if step == 0:
        calls = [("get_weather", {"city": "Tokyo"}), ("get_local_time", {"city": "Tokyo"})]
        return json_response(function_calls(calls, model=GEMINI3, signature="SIG_STEP1"))
    if step == 1:
        calls = [
            ("convert_currency", {"amount": 200, "from_currency": "EUR", "to_currency": "JPY"})
        ]
        return json_response(function_calls(calls, model=GEMINI3, signature="SIG_STEP2"))
    seen = {
        r["name"]: r["response"]["output"]
        for c in body["contents"]
        for p in c["parts"]
        if (r := p.get("functionResponse"))
    }
    answer = (
        f"Tokyo is {seen['get_weather']} and it is {seen['get_local_time']} there now. "
        f"At today's rate, {seen['convert_currency']}."
    )
    return json_response(text_reply(answer, model=GEMINI3, signature="SIG_ANSWER", thoughts=40))


def test_agent(server: FakeGemini, run_example: RunExample, printed: Any) -> None:
    server.default = agent_responder
    result = run_example("agent")["result"]

    tool_messages = {m.name: m.content for m in result["messages"] if m.type == "tool"}
    assert tool_messages == {
        "get_weather": "22°C, sunny",
        "get_local_time": "21:40",
        "convert_currency": "200 EUR = 32,500 JPY",
    }
    assert result["messages"][-1].text == (
        "Tokyo is 22°C, sunny and it is 21:40 there now. At today's rate, 200 EUR = 32,500 JPY."
    )
    assert len(server.requests) == 3
    # Each step's calls go back with the signature they came with.
    last = server.requests[-1].json["contents"]
    signed = [p.get("thoughtSignature") for c in last if c["role"] == "model" for p in c["parts"]]
    assert signed == ["SIG_STEP1", None, "SIG_STEP2"]
    printed("agent")
