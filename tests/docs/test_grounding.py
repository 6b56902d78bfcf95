"""docs/examples/grounding.py against the recorded Google Search answer, replayed verbatim."""

from __future__ import annotations

from typing import Any

from tests.docs.conftest import RunExample
from tests.support.fake_gemini import FakeGemini, from_sample, load_sample_json

PRO25 = "gemini-2.5-pro"


def test_grounding(server: FakeGemini, run_example: RunExample, printed: Any) -> None:
    server.enqueue(from_sample("grounding_google_search"))
    msg = run_example("grounding")["msg"]

    assert server.last_request.json["tools"] == [{"googleSearch": {}}]
    recorded = load_sample_json("grounding_google_search")["candidates"][0]["groundingMetadata"]
    text_block = next(b for b in msg.content_blocks if b["type"] == "text")
    citations = text_block["annotations"]
    assert len(citations) == len(recorded["groundingSupports"])
    for citation, support in zip(citations, recorded["groundingSupports"], strict=True):
        chunk = recorded["groundingChunks"][support["groundingChunkIndices"][0]]["web"]
        assert (citation["url"], citation["title"]) == (chunk["uri"], chunk["title"])
        assert citation["cited_text"] == support["segment"]["text"]
    # Tool-use prompt tokens (the search results) count as input.
    assert msg.usage_metadata["input_tokens"] == 17 + 119
    printed("grounding")
