"""Through Tokenhot's gateway: the models the key can use, and a history trimmed for free."""

from langchain_core.messages import HumanMessage, SystemMessage, trim_messages

from langchain_tokenhot import ChatTokenhotGemini

# Key and base URL come from TOKENHOT_API_KEY and TOKENHOT_BASE_URL.
llm = ChatTokenhotGemini(model="gemini-2.5-flash")

for info in llm.list_models():
    window = info.profile["max_input_tokens"] if info.profile else "no profile"
    print(f"{info.id}: {window}")

history = [SystemMessage("You are terse.")] + [
    HumanMessage(f"Note {i}: " + "the meeting moved to Thursday. " * 40) for i in range(30)
]
# Counted locally (token_counter="approximate", the default): no request, nothing billed.
trimmed = trim_messages(
    history, max_tokens=2_000, token_counter=llm, strategy="last", include_system=True
)
tokens = llm.get_num_tokens_from_messages(trimmed)
print(f"kept {len(trimmed)} of {len(history)} messages, about {tokens} tokens")
print(llm.invoke(trimmed).text)
