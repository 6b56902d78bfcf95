"""Tool calling through the gateway: declarations, modes, parallel signed calls, replay.

The agent suite (test_agents_through_gateway.py) runs whole tool loops; these check the pieces
the DTO could lose: the raw `tools` list, `toolConfig` modes, and a recorded parallel Gemini 3
answer whose first call alone is signed, replayed with a multimodal tool result.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from tests.gateway.conftest import make
from tests.support.fake_gemini import from_sample, load_sample_json, text_response
from tests.support.fake_gemini import json_response as upstream_json
from tests.support.gateway import FakeGateway

MODEL = "gemini-3-flash-preview"


@tool
def generate_topic(seed: str) -> str:
    """Pick a topic for a joke."""
    return seed


def test_declarations_and_forced_mode_reach_google(gateway: FakeGateway) -> None:
    llm = make(gateway, model=MODEL).bind_tools(
        [generate_topic, {"google_search": {}}], tool_choice="generate_topic"
    )
    gateway.enqueue(from_sample("function_call_parallel_gemini3"))
    reply = llm.invoke("Three jokes.")
    sent = gateway.requests[0].json
    assert sent["tools"] == gateway.client_requests[0].json["tools"]  # forwarded raw
    assert sent["tools"][0]["functionDeclarations"][0]["name"] == "generate_topic"
    assert sent["toolConfig"]["functionCallingConfig"] == {
        "mode": "ANY",
        "allowedFunctionNames": ["generate_topic"],
    }
    assert [c["name"] for c in reply.tool_calls] == ["generate_topic"] * 3


def test_validated_mode_and_server_side_invocations_survive(gateway: FakeGateway) -> None:
    config = {
        "function_calling_config": {"mode": "VALIDATED"},
        "include_server_side_tool_invocations": True,
    }
    make(gateway, model=MODEL).bind_tools([generate_topic], tool_config=config).invoke("hi")
    assert gateway.requests[0].json["toolConfig"] == {
        "functionCallingConfig": {"mode": "VALIDATED"},
        "includeServerSideToolInvocations": True,
    }


def test_parallel_signed_calls_replayed_with_a_multimodal_result(gateway: FakeGateway) -> None:
    llm = make(gateway, model=MODEL).bind_tools([generate_topic])
    gateway.enqueue(from_sample("function_call_parallel_gemini3"))
    question = HumanMessage("Three jokes.")
    calls = llm.invoke([question])
    png = {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"}
    results: list[Any] = [
        ToolMessage([{"type": "text", "text": "cars"}, png], tool_call_id=c["id"])
        for c in calls.tool_calls
    ]
    gateway.enqueue(upstream_json(text_response("Here are three jokes.", model=MODEL)))
    assert llm.invoke([question, calls, *results]).text == "Here are three jokes."
    model_turn, results_turn = gateway.requests[1].json["contents"][1:]
    recorded = load_sample_json("function_call_parallel_gemini3")["candidates"][0]["content"]
    # Each call back exactly as it came: the first signed, the others not, no ids.
    assert model_turn["parts"] == [
        {k: v for k, v in part.items() if k in ("functionCall", "thoughtSignature")}
        for part in recorded["parts"]
    ]
    responses = [p["functionResponse"] for p in results_turn["parts"]]
    assert [r["name"] for r in responses] == ["generate_topic"] * 3
    assert all("id" not in r for r in responses)
    assert responses[0]["parts"] == [
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}
    ]


class Joke(BaseModel):
    setup: str
    punchline: str


def test_structured_output_schema_survives(gateway: FakeGateway) -> None:
    gateway.enqueue(
        upstream_json(text_response('{"setup": "A", "punchline": "B"}', model="gemini-2.5-flash"))
    )
    joke = make(gateway).with_structured_output(Joke).invoke("A joke.")
    assert joke == Joke(setup="A", punchline="B")
    config = gateway.requests[0].json["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["required"] == ["setup", "punchline"]
