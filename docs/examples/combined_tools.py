"""Gemini 3: Google Search and your own function in one request, through an agent.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/combined_tools.py`
"""

from langchain.agents import create_agent
from langchain_core.messages import AIMessage
from langchain_core.tools import tool

from langchain_tokenhot import ChatTokenhotGemini


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return "-12C, light snow"


llm = ChatTokenhotGemini(model="gemini-3-flash-preview")
agent = create_agent(llm, tools=[get_weather, {"google_search": {}}])
result = agent.invoke(
    {"messages": [("human", "What is the northernmost US city, and its weather today?")]}
)

for message in result["messages"]:
    if not isinstance(message, AIMessage):
        continue
    for block in message.content:
        if isinstance(block, dict) and block["type"] == "server_tool_call":
            print("Gemini ran", block["name"], block["args"])
        elif isinstance(block, dict) and block["type"] == "server_tool_result":
            print("  and got", list(block["output"]))
    for call in message.tool_calls:
        print("Gemini asked for", call["name"], call["args"])
print("Answer:", result["messages"][-1].text)
