"""Service tiers: flex for a background job, priority for an interactive one.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/service_tiers.py`
"""

from langchain_tokenhot import ChatTokenhotGemini

# Flex trades latency for price: give each attempt room, and retry a busy answer.
batch_llm = ChatTokenhotGemini(
    model="gemini-3-flash-preview", service_tier="flex", timeout=900, max_retries=4
)
summary = batch_llm.invoke("Summarize the plot of Hamlet in one sentence.")
print("flex ->", summary.response_metadata.get("service_tier", "not reported"))

# Per call: ask for priority; a request over the priority limit is served at standard.
llm = ChatTokenhotGemini(model="gemini-3-flash-preview")
answer = llm.invoke("Is the support line open on Sundays?", service_tier="priority")
print("priority ->", answer.response_metadata.get("service_tier", "not reported"))
