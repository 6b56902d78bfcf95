"""Getting started: a first call, streaming, batch and async.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/quickstart.py`
"""

from __future__ import annotations

import asyncio

from langchain_tokenhot import ChatTokenhotGemini

# The key comes from TOKENHOT_API_KEY (and the API root from TOKENHOT_BASE_URL, when set).
llm = ChatTokenhotGemini(model="gemini-2.5-flash")

# A first call: a list of (role, text) messages in, an AIMessage out.
msg = llm.invoke(
    [
        ("system", "You are a concise assistant."),
        ("human", "What is the capital of France?"),
    ]
)
print(msg.text)
print(msg.usage_metadata)
print(msg.response_metadata["finish_reason"], msg.response_metadata["model_name"])

# Streaming: text as it is generated.
pieces = []
for chunk in llm.stream("Write a haiku about the sea."):
    pieces.append(chunk.text)
    print(chunk.text, end="", flush=True)
print()

# Batch: several prompts, answered concurrently.
replies = llm.batch(["What is 2 + 2?", "Name one primary colour."])
for reply in replies:
    print(reply.text)


# Async: the same calls with await.
async def ask_async() -> str:
    reply = await llm.ainvoke("Say hello in Spanish.")
    print(reply.text)
    streamed = [chunk.text async for chunk in llm.astream("Say goodbye in Spanish.")]
    print("".join(streamed))
    return reply.text


greeting = asyncio.run(ask_async())
