"""An agent with several tools, built with LangChain's `create_agent`.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/agent.py`
"""

from __future__ import annotations

from langchain.agents import create_agent
from langchain_core.tools import tool

from langchain_tokenhot import ChatTokenhotGemini

MODEL = "gemini-3-flash-preview"


@tool
def get_weather(city: str) -> str:
    """Today's weather forecast for a city."""
    return {"Tokyo": "22°C, sunny", "Paris": "18°C, light rain"}.get(city, "no data")


@tool
def get_local_time(city: str) -> str:
    """The current local time in a city (24h clock)."""
    return {"Tokyo": "21:40", "Paris": "14:40"}.get(city, "unknown")


@tool
def convert_currency(amount: float, from_currency: str, to_currency: str) -> str:
    """Convert an amount between currencies at today's rate (ISO codes, e.g. EUR, JPY)."""
    rates = {("EUR", "JPY"): 162.5, ("JPY", "EUR"): 1 / 162.5}
    rate = rates.get((from_currency.upper(), to_currency.upper()))
    if rate is None:
        return f"no rate for {from_currency}->{to_currency}"
    return f"{amount:g} {from_currency} = {amount * rate:,.0f} {to_currency}"


llm = ChatTokenhotGemini(model=MODEL)
agent = create_agent(
    llm,
    tools=[get_weather, get_local_time, convert_currency],
    system_prompt="You are a travel assistant. Use the tools; answer in two sentences.",
)

result = agent.invoke(
    {
        "messages": [
            (
                "human",
                "I land in Tokyo tonight. What's the weather and local time there, "
                "and how much is 200 EUR in yen?",
            )
        ]
    }
)
for message in result["messages"]:
    if message.type == "ai" and message.tool_calls:
        print("calls:", [(c["name"], c["args"]) for c in message.tool_calls])
    elif message.type == "tool":
        print(f"{message.name} -> {message.content}")
print(result["messages"][-1].text)
