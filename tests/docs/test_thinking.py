"""docs/examples/thinking.py: thinking options on the wire, thought summaries read back."""

from __future__ import annotations

import copy
from typing import Any

from tests.docs.conftest import RunExample
from tests.docs.gemini import response, usage
from tests.support.fake_gemini import (
    Action,
    FakeGemini,
    RecordedRequest,
    json_response,
    load_sample_events,
    sse,
)

GEMINI3 = "gemini-3-flash-preview"
PRO25 = "gemini-2.5-pro"
THOUGHT = (
    "**Checking divisibility**\n\n1001 is odd and its digit sum is 2, so neither 2 nor 3 "
    "divides it. Trying 7: 7 × 143 = 1001."
)
ANSWER = "No. 1001 = 7 × 11 × 13, so it is not prime."
STREAM_THOUGHTS = [
    "**Listing candidates**\n\n91 = 7 × 13, 93 = 3 × 31, 97 ",
    "has no divisor up to its square root.",
]
STREAM_ANSWER = ["97 is the only prime ", "between 90 and 100."]


def thinking_stream() -> list[dict[str, Any]]:
    """`stream_thoughts_gemini25pro.sse` with our words: thoughts, then answer text whose first
    part carries the signature; cumulative usage; finishReason last."""
    template = load_sample_events("stream_thoughts_gemini25pro")[0]
    events = []
    parts: list[dict[str, Any]] = [{"text": t, "thought": True} for t in STREAM_THOUGHTS]
    parts += [
        {"text": STREAM_ANSWER[0], "thoughtSignature": "SIG_ANSWER"},
        {"text": STREAM_ANSWER[1]},
    ]
    for i, part in enumerate(parts):
        event = copy.deepcopy(template)
        event["candidates"][0]["content"]["parts"] = [part]
        event["usageMetadata"] = usage(34, 5 * max(0, i - 1), thoughts=150)
        if i == len(parts) - 1:
            event["candidates"][0]["finishReason"] = "STOP"
        events.append(event)
    return events


def thinking_responder(request: RecordedRequest) -> Action:
    config = request.json["generationConfig"]
    if request.model == GEMINI3:
        assert config == {"thinkingConfig": {"thinkingLevel": "low", "includeThoughts": True}}
        parts = [
            {"text": THOUGHT, "thought": True},
            {"text": ANSWER, "thoughtSignature": "SIG_ANSWER"},
        ]
        return json_response(response(parts, model=GEMINI3, thoughts=310, prompt_tokens=10))
    assert request.model == PRO25
    assert request.operation == "streamGenerateContent"
    assert config == {"thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": True}}
    return sse(thinking_stream())


def test_thinking(server: FakeGemini, run_example: RunExample, printed: Any) -> None:
    server.default = thinking_responder
    result = run_example("thinking")

    msg = result["msg"]
    assert msg.text == ANSWER
    assert [b["type"] for b in msg.content_blocks] == ["reasoning", "text"]
    assert msg.content_blocks[0]["reasoning"] == THOUGHT
    assert msg.usage_metadata["output_token_details"] == {"reasoning": 310}
    assert "".join(result["reasoning"]) == "".join(STREAM_THOUGHTS)
    assert "".join(result["answer"]) == "".join(STREAM_ANSWER)
    assert len(server.requests) == 2  # the bad level never left the machine
    printed("thinking")
