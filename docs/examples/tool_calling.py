"""Tool calling by hand: bind tools, run the calls the model asks for, send the results back.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/tool_calling.py`
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

from langchain_tokenhot import ChatTokenhotGemini

MODEL = "gemini-3-flash-preview"


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    forecasts = {"Paris": "18°C, light rain", "Oslo": "4°C, clear sky"}
    return forecasts.get(city, "no data")


llm = ChatTokenhotGemini(model=MODEL)
llm_with_tools = llm.bind_tools([get_weather])

messages: list[Any] = [HumanMessage("What's the weather in Paris and in Oslo?")]
ai_msg = llm_with_tools.invoke(messages)
for call in ai_msg.tool_calls:
    print(call["name"], call["args"])

messages.append(ai_msg)
# Invoking a tool with a tool call returns a ToolMessage that answers that call.
messages.extend(get_weather.invoke(call) for call in ai_msg.tool_calls)

final = llm_with_tools.invoke(messages)
print(final.text)
