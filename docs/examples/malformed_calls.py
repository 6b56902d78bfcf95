"""A malformed function call is re-asked, then raised: an agent never just stops.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/malformed_calls.py`
"""

from langchain.agents import create_agent
from langchain_core.tools import tool

from langchain_tokenhot import ChatTokenhotGemini, TokenhotMalformedFunctionCallError


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return "18C, sunny"


llm = ChatTokenhotGemini(model="gemini-3-flash-preview", malformed_call_retries=2)
agent = create_agent(llm, tools=[get_weather])
try:
    result = agent.invoke({"messages": [("human", "Weather in Lisbon?")]})
except TokenhotMalformedFunctionCallError as err:
    print(f"Gemini could not call the tool after {err.attempts} tries: {err.finish_message}")
else:
    for message in result["messages"]:
        for retry in message.response_metadata.get("malformed_call_retries", []):
            print("re-asked after", retry["finish_reason"])
    print(result["messages"][-1].text)
