"""Getting started: a first call, streaming, batch and async.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/quickstart.py`
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_tokenhot import ChatTokenhotGemini

MODEL = "gemini-2.5-flash"


def first_call(llm: ChatTokenhotGemini) -> Any:
    # --8<-- [start:invoke]
    msg = llm.invoke(
        [
            ("system", "You are a concise assistant."),
            ("human", "What is the capital of France?"),
        ]
    )
    print(msg.text)
    print(msg.usage_metadata)
    print(msg.response_metadata["finish_reason"], msg.response_metadata["model_name"])
    # --8<-- [end:invoke]
    return msg


def streaming(llm: ChatTokenhotGemini) -> list[str]:
    # --8<-- [start:stream]
    pieces = []
    for chunk in llm.stream("Write a haiku about the sea."):
        pieces.append(chunk.text)
        print(chunk.text, end="", flush=True)
    print()
    # --8<-- [end:stream]
    return pieces


def batch(llm: ChatTokenhotGemini) -> list[Any]:
    # --8<-- [start:batch]
    replies = llm.batch(["What is 2 + 2?", "Name one primary colour."])
    for reply in replies:
        print(reply.text)
    # --8<-- [end:batch]
    return replies


# --8<-- [start:async]
async def ask_async(llm: ChatTokenhotGemini) -> str:
    reply = await llm.ainvoke("Say hello in Spanish.")
    print(reply.text)
    streamed = [chunk.text async for chunk in llm.astream("Say goodbye in Spanish.")]
    print("".join(streamed))
    return reply.text


# --8<-- [end:async]


def main(llm: ChatTokenhotGemini | None = None) -> dict[str, Any]:
    if llm is None:
        # --8<-- [start:model]
        llm = ChatTokenhotGemini(model=MODEL)  # the key comes from TOKENHOT_API_KEY
        # --8<-- [end:model]
    return {
        "first": first_call(llm),
        "stream": streaming(llm),
        "batch": batch(llm),
        "async": asyncio.run(ask_async(llm)),
    }


if __name__ == "__main__":
    main()
