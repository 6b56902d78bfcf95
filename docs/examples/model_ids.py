"""Model ids as they evolve: GA ids, and new ids inferred from their family.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/model_ids.py`
"""

from langchain_tokenhot import ChatTokenhotGemini

for model in ["gemini-3-flash-preview", "gemini-3-flash", "gemini-3.5-flash"]:
    profile = ChatTokenhotGemini(model=model).profile
    print(f"{model}: {profile['name']} [{profile.get('status', 'listed')}]")

# A new id gets its family's thinking rules: checked before sending, like a listed model's.
llm = ChatTokenhotGemini(model="gemini-3.5-flash", thinking_level="minimal")
print(llm.invoke("One word for a very small amount.").text)
