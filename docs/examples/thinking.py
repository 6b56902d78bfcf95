"""Thinking: choose how hard the model thinks, and read its thought summaries.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/thinking.py`
"""

from __future__ import annotations

from langchain_tokenhot import ChatTokenhotGemini, InvalidOptionError

MODEL = "gemini-3-flash-preview"


llm = ChatTokenhotGemini(model=MODEL, thinking_level="low", include_thoughts=True)
msg = llm.invoke("Is 1001 a prime number?")

for block in msg.content_blocks:
    if block["type"] == "reasoning":
        print("THOUGHTS:", block["reasoning"])
    elif block["type"] == "text":
        print("ANSWER:", block["text"])
print(msg.usage_metadata["output_token_details"])

pro = ChatTokenhotGemini(model="gemini-2.5-pro", thinking_budget=1024, include_thoughts=True)
reasoning, answer = [], []
for chunk in pro.stream("Name a prime number between 90 and 100."):
    for block in chunk.content_blocks:
        if block["type"] == "reasoning":
            reasoning.append(block["reasoning"])
        elif block["type"] == "text":
            answer.append(block["text"])
print("THOUGHTS:", "".join(reasoning))
print("ANSWER:", "".join(answer))

try:
    ChatTokenhotGemini(model="gemini-3.1-pro", thinking_level="minimal")
except InvalidOptionError as err:  # a ValueError, raised before any request
    print(f"{err.option}: {err}")
