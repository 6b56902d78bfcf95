"""Structured output that streams: the object grows as the JSON arrives.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/streamed_structured_output.py`
"""

from pydantic import BaseModel, Field

from langchain_tokenhot import ChatTokenhotGemini


class Recipe(BaseModel):
    """A recipe."""

    title: str = Field(description="Name of the dish")
    ingredients: list[str] = Field(description="What goes in, with amounts")
    minutes: int = Field(description="Total time in minutes")


llm = ChatTokenhotGemini(model="gemini-2.5-flash")
structured = llm.with_structured_output(Recipe)

for partial in structured.stream("A quick tomato pasta for two."):
    # Partial objects are not validated yet: fields that have not arrived are unset.
    print("so far:", sorted(partial.model_fields_set))
print("final:", partial)
