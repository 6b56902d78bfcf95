"""docs/examples/quickstart.py and chain.py against the fake server."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from tests.docs.conftest import RunExample
from tests.docs.gemini import last_user_text, stream_events, system_text, text_reply
from tests.support.fake_gemini import Action, FakeGemini, RecordedRequest, json_response, sse

FLASH = "gemini-2.5-flash"

ANSWERS = {
    "What is the capital of France?": "The capital of France is Paris.",
    "What is 2 + 2?": "2 + 2 = 4.",
    "Name one primary colour.": "Red.",
    "Say hello in Spanish.": "¡Hola!",
}
STREAMS = {
    "Write a haiku about the sea.": [
        "Grey waves fold and break,\n",
        "salt wind combs the restless foam,\n",
        "the tide keeps its time.",
    ],
    "Say goodbye in Spanish.": ["¡Adi", "ós!"],
}


def quickstart_responder(request: RecordedRequest) -> Action:
    question = last_user_text(request.json)
    if request.operation == "streamGenerateContent":
        return sse(stream_events(STREAMS[question], model=FLASH, thoughts=21))
    return json_response(text_reply(ANSWERS[question], model=FLASH, thoughts=32, prompt_tokens=14))


def test_quickstart(server: FakeGemini, run_example: RunExample, printed: Any) -> None:
    server.default = quickstart_responder
    result = run_example("quickstart")

    first: AIMessage = result["msg"]
    assert first.text == "The capital of France is Paris."
    # output tokens = candidates + thoughts; total from the server.
    assert first.usage_metadata == {
        "input_tokens": 14,
        "output_tokens": 7 + 32,
        "total_tokens": 14 + 7 + 32,
        "input_token_details": {"cache_read": 0},
        "output_token_details": {"reasoning": 32},
    }
    assert result["pieces"][:3] == STREAMS["Write a haiku about the sea."]
    assert [r.text for r in result["replies"]] == ["2 + 2 = 4.", "Red."]
    assert result["greeting"] == "¡Hola!"

    ops = [(r.operation, r.query.get("alt")) for r in server.requests]
    assert ops.count(("streamGenerateContent", "sse")) == 2
    assert ops.count(("generateContent", None)) == 4
    sent = server.requests[0]
    assert sent.headers["authorization"] == "Bearer test"
    assert system_text(sent.json) == "You are a concise assistant."
    assert sent.json["contents"] == [
        {"role": "user", "parts": [{"text": "What is the capital of France?"}]}
    ]
    printed("quickstart")


TRANSLATIONS = {"I love programming.": "J'adore la programmation.", "Good morning!": "Bonjour !"}


def chain_responder(request: RecordedRequest) -> Action:
    system = system_text(request.json)
    assert "from English to French" in system, system
    text = TRANSLATIONS[last_user_text(request.json)]
    if request.operation == "streamGenerateContent":
        words = text.split(" ")
        return sse(stream_events([w + " " for w in words[:-1]] + words[-1:], model=FLASH))
    return json_response(text_reply(text, model=FLASH))


def test_chain(server: FakeGemini, run_example: RunExample, printed: Any) -> None:
    server.default = chain_responder
    result = run_example("chain")
    assert result["answer"] == "J'adore la programmation."
    # The closing chunk (usage, finish reason) adds an empty string.
    assert result["pieces"] == ["J'adore ", "la ", "programmation.", ""]
    assert result["answers"] == ["J'adore la programmation.", "Bonjour !"]
    # The prompt's variables reached the wire: system instruction + the human turn.
    first = server.requests[0].json
    assert system_text(first) == (
        "You translate from English to French. Reply with the translation only."
    )
    assert first["contents"] == [{"role": "user", "parts": [{"text": "I love programming."}]}]
    assert len(server.requests) == 4
    printed("chain")
