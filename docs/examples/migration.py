"""Continue a conversation stored by langchain-google-genai with ChatTokenhotGemini.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/migration.py`
"""

from __future__ import annotations

import json
from pathlib import Path

from langchain_core.messages import HumanMessage, messages_from_dict
from langchain_core.tools import tool

from langchain_tokenhot import ChatTokenhotGemini

MODEL = "gemini-3-flash-preview"
HISTORY = Path(__file__).parent / "assets" / "genai_history.json"


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return {"Lisbon": "24°C, sunny", "Porto": "19°C, cloudy"}.get(city, "no data")


# A history saved from a ChatGoogleGenerativeAI session (messages_to_dict, a checkpointer...)
history = messages_from_dict(json.loads(HISTORY.read_text(encoding="utf-8")))

llm = ChatTokenhotGemini(model=MODEL)
reply = llm.bind_tools([get_weather]).invoke([*history, HumanMessage("And in Porto?")])
print(reply.tool_calls[0]["name"], reply.tool_calls[0]["args"])
