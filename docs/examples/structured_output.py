"""Structured output: a Pydantic model in, a validated instance out.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/structured_output.py`
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from langchain_tokenhot import ChatTokenhotGemini

MODEL = "gemini-2.5-flash"


class Movie(BaseModel):
    """A film and its key facts."""

    title: str
    year: int = Field(description="Year of the first release")
    director: str
    genres: list[str] = Field(description="At most three genres")


llm = ChatTokenhotGemini(model=MODEL)
structured = llm.with_structured_output(Movie)
movie = structured.invoke("Give me the key facts about the film Inception.")
print(repr(movie))

with_raw = llm.with_structured_output(Movie, include_raw=True)
result = with_raw.invoke("Give me the key facts about the film Spirited Away.")
print(result["parsed"].title, result["parsed"].year)
print(result["raw"].usage_metadata)
print(result["parsing_error"])

as_tool = llm.with_structured_output(Movie, method="function_calling")
print(repr(as_tool.invoke("Give me the key facts about the film Alien.")))
