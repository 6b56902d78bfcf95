"""docs/examples/migration.py: a langchain-google-genai history is replayed with its signatures."""

from __future__ import annotations

from typing import Any

from tests.docs.conftest import RunExample
from tests.docs.gemini import function_calls, last_user_text, system_text
from tests.support.fake_gemini import Action, FakeGemini, RecordedRequest, json_response

GEMINI3 = "gemini-3-flash-preview"


def porto_responder(request: RecordedRequest) -> Action:
    assert last_user_text(request.json) == "And in Porto?"
    return json_response(function_calls([("get_weather", {"city": "Porto"})], model=GEMINI3))


def test_migration(server: FakeGemini, run_example: RunExample, printed: Any) -> None:
    server.default = porto_responder
    result = run_example("migration")
    history = result["history"]
    call_id = history[2].tool_calls[0]["id"]
    call_sig = history[2].additional_kwargs["__gemini_function_call_thought_signatures__"][call_id]
    text_sig = history[4].content[0]["extras"]["signature"]

    body = server.requests[0].json
    assert system_text(body) == "You are a helpful travel assistant."
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "What's the weather in Lisbon?"}]},
        {
            "role": "model",
            "parts": [
                # The call id genai generated stays home: a DTO gateway would drop it from
                # the call but keep it on the response (send_function_call_ids=False).
                {
                    "functionCall": {"name": "get_weather", "args": {"city": "Lisbon"}},
                    "thoughtSignature": call_sig,
                },
            ],
        },
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "name": "get_weather",
                        "response": {"output": "24°C, sunny"},
                    }
                },
            ],
        },
        {
            "role": "model",
            "parts": [
                {"text": "It's 24°C and sunny in Lisbon.", "thoughtSignature": text_sig},
            ],
        },
        {"role": "user", "parts": [{"text": "And in Porto?"}]},
    ]
    assert result["reply"].tool_calls[0]["args"] == {"city": "Porto"}
    printed("migration")
