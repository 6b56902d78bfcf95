"""A prompt | model | parser chain (LCEL): invoke, stream and batch.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/chain.py`
"""

from __future__ import annotations

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_tokenhot import ChatTokenhotGemini

MODEL = "gemini-2.5-flash"


llm = ChatTokenhotGemini(model=MODEL)

prompt = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "You translate from {input_language} to {output_language}. "
            "Reply with the translation only.",
        ),
        ("human", "{text}"),
    ]
)
chain = prompt | llm | StrOutputParser()

inputs = {"input_language": "English", "output_language": "French"}
answer = chain.invoke({**inputs, "text": "I love programming."})
print(answer)

pieces = []
for piece in chain.stream({**inputs, "text": "I love programming."}):
    pieces.append(piece)
    print(repr(piece))

answers = chain.batch(
    [{**inputs, "text": "I love programming."}, {**inputs, "text": "Good morning!"}]
)
print(answers)
