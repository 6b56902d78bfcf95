"""Grounding with Google Search: a built-in tool, answers with web citations.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/grounding.py`
"""

from __future__ import annotations

from typing import Any

from langchain_tokenhot import ChatTokenhotGemini

MODEL = "gemini-2.5-pro"


def main(llm: ChatTokenhotGemini | None = None) -> Any:
    # --8<-- [start:search]
    llm = llm or ChatTokenhotGemini(model=MODEL)
    search_llm = llm.bind_tools([{"google_search": {}}])
    msg = search_llm.invoke("What's the weather in San Francisco today?")

    print(msg.text.splitlines()[0])
    metadata = msg.response_metadata["grounding_metadata"]
    print("queries:", metadata["web_search_queries"])
    # --8<-- [end:search]

    # --8<-- [start:citations]
    text_block = next(b for b in msg.content_blocks if b["type"] == "text")
    for citation in text_block.get("annotations", []):
        start, end = citation["start_index"], citation["end_index"]
        assert text_block["text"][start:end] == citation["cited_text"]
        print(f"{citation['title']}: {citation['cited_text'][:60]!r}")
    # --8<-- [end:citations]
    print(msg.usage_metadata)
    return msg


if __name__ == "__main__":
    main()
