"""docs/examples/rag.py: retrieval is offline and meaningful; citations point at retrieved docs."""

from __future__ import annotations

import re
from typing import Any

import orjson

from tests.docs.conftest import RunExample
from tests.docs.gemini import last_user_text, system_text, text_reply
from tests.support.fake_gemini import Action, FakeGemini, RecordedRequest, json_response

FLASH = "gemini-2.5-flash"


def rag_responder(request: RecordedRequest) -> Action:
    """Answers from the sources in the system instruction and cites the ids it used."""
    body = request.json
    assert body["generationConfig"]["responseMimeType"] == "application/json"
    sources = dict(re.findall(r"\[([a-z-]+)\] (.+)", system_text(body)))
    assert "return" in last_user_text(body)
    used = [sid for sid, text in sources.items() if "30 days" in text]
    answer = {
        "answer": "You can return an item within 30 days of delivery; the refund goes back to "
        "your original payment method within 5 business days.",
        "citations": used,
    }
    return json_response(text_reply(orjson.dumps(answer).decode(), model=FLASH, thoughts=120))


def test_rag(server: FakeGemini, run_example: RunExample, printed: Any) -> None:
    server.default = rag_responder
    script = run_example("rag")
    result = script["result"]

    retrieved = [doc.id for doc in result["docs"]]
    assert len(retrieved) == 2
    assert retrieved[0] == "returns"  # the keyword embedding ranks the right document first
    answer = result["answer"]
    assert isinstance(answer, script["CitedAnswer"])
    assert answer.citations == ["returns"]
    assert set(answer.citations) <= set(retrieved)
    # Exactly the retrieved documents reached the model, numbered by id.
    system = system_text(server.requests[0].json)
    for doc in result["docs"]:
        assert f"[{doc.id}] {doc.page_content}" in system
    assert len(server.requests) == 1
    printed("rag")


def test_keyword_embedding_is_deterministic_and_normalised(
    run_example: RunExample, server: FakeGemini
) -> None:
    server.default = rag_responder
    embeddings = run_example("rag")["KeywordEmbeddings"]()
    a = embeddings.embed_query("Refunds and returns")
    assert a == embeddings.embed_documents(["Refunds and returns"])[0]
    assert abs(sum(v * v for v in a) - 1.0) < 1e-9
