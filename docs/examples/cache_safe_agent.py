"""A named context cache under an agent that sends a system prompt and tools every step.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/cache_safe_agent.py`
The cache must exist and hold the system instruction and the tool (see the guide).
"""

from langchain.agents import create_agent
from langchain_core.tools import tool

from langchain_tokenhot import ChatTokenhotGemini


@tool
def lookup_clause(number: int) -> str:
    """The text of a clause of the contract."""
    return "Either party may end the contract with 30 days' notice."


llm = ChatTokenhotGemini(model="gemini-2.5-flash", cached_content="cachedContents/contract-v3")
agent = create_agent(llm, tools=[lookup_clause], system_prompt="Answer from the contract only.")
result = agent.invoke({"messages": [("human", "What does clause 12 say about ending it?")]})

answer = result["messages"][-1]
print(answer.text)
print("cached tokens read:", answer.usage_metadata["input_token_details"]["cache_read"])
