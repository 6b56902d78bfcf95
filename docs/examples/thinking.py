"""Thinking: choose how hard the model thinks, and read its thought summaries.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/thinking.py`
"""

from __future__ import annotations

from typing import Any

from langchain_tokenhot import ChatTokenhotGemini, InvalidOptionError

MODEL = "gemini-3-flash-preview"


def main(
    llm: ChatTokenhotGemini | None = None, llm_25: ChatTokenhotGemini | None = None
) -> dict[str, Any]:
    # --8<-- [start:level]
    llm = llm or ChatTokenhotGemini(model=MODEL, thinking_level="low", include_thoughts=True)
    msg = llm.invoke("Is 1001 a prime number?")

    for block in msg.content_blocks:
        if block["type"] == "reasoning":
            print("THOUGHTS:", block["reasoning"])
        elif block["type"] == "text":
            print("ANSWER:", block["text"])
    print(msg.usage_metadata["output_token_details"])
    # --8<-- [end:level]

    # --8<-- [start:budget]
    pro = llm_25 or ChatTokenhotGemini(
        model="gemini-2.5-pro", thinking_budget=1024, include_thoughts=True
    )
    reasoning, answer = [], []
    for chunk in pro.stream("Name a prime number between 90 and 100."):
        for block in chunk.content_blocks:
            if block["type"] == "reasoning":
                reasoning.append(block["reasoning"])
            elif block["type"] == "text":
                answer.append(block["text"])
    print("THOUGHTS:", "".join(reasoning))
    print("ANSWER:", "".join(answer))
    # --8<-- [end:budget]

    # --8<-- [start:checked]
    try:
        ChatTokenhotGemini(model="gemini-3.1-pro", thinking_level="minimal")
    except InvalidOptionError as err:  # a ValueError, raised before any request
        print(f"{err.option}: {err}")
    # --8<-- [end:checked]
    return {"msg": msg, "reasoning": "".join(reasoning), "answer": "".join(answer)}


if __name__ == "__main__":
    main()
