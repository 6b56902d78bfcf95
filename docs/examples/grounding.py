"""Grounding with Google Search: a built-in tool, answers with web citations.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/grounding.py`
"""

from __future__ import annotations

from langchain_tokenhot import ChatTokenhotGemini

MODEL = "gemini-2.5-pro"


llm = ChatTokenhotGemini(model=MODEL)
search_llm = llm.bind_tools([{"google_search": {}}])
msg = search_llm.invoke("What's the weather in San Francisco today?")

print(msg.text.splitlines()[0])
# Only present when the model chose to search; a question it can answer alone has none.
metadata = msg.response_metadata.get("grounding_metadata")
if metadata is None:
    print("no search was run for this question")
else:
    print("queries:", metadata.get("web_search_queries", []))

text_block = next(b for b in msg.content_blocks if b["type"] == "text")
for citation in text_block.get("annotations", []):
    start, end = citation["start_index"], citation["end_index"]
    assert text_block["text"][start:end] == citation["cited_text"]
    print(f"{citation['title']}: {citation['cited_text'][:60]!r}")
print(msg.usage_metadata)
