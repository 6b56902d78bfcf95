"""A prompt | model | parser chain (LCEL): invoke, stream and batch.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/chain.py`
"""

from __future__ import annotations

from typing import Any

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_tokenhot import ChatTokenhotGemini

MODEL = "gemini-2.5-flash"


def main(llm: ChatTokenhotGemini | None = None) -> dict[str, Any]:
    # --8<-- [start:chain]
    llm = llm or ChatTokenhotGemini(model=MODEL)

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
    # --8<-- [end:chain]

    # --8<-- [start:stream]
    pieces = []
    for piece in chain.stream({**inputs, "text": "I love programming."}):
        pieces.append(piece)
        print(repr(piece))
    # --8<-- [end:stream]

    # --8<-- [start:batch]
    answers = chain.batch(
        [{**inputs, "text": "I love programming."}, {**inputs, "text": "Good morning!"}]
    )
    print(answers)
    # --8<-- [end:batch]
    return {"invoke": answer, "stream": pieces, "batch": answers}


if __name__ == "__main__":
    main()
