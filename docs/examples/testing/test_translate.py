"""Tests of a small chain, replayed from cassettes/ next to this file."""

from __future__ import annotations

import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_tokenhot import ChatTokenhotGemini


def build_chain():  # in a real app: from myapp.chains import build_chain
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Translate to French. Reply with the translation only."), ("human", "{text}")]
    )
    return prompt | ChatTokenhotGemini(model="gemini-2.5-flash", max_retries=0) | StrOutputParser()


@pytest.mark.vcr
def test_translate() -> None:
    assert build_chain().invoke({"text": "Good morning!"}) == "Bonjour !"


@pytest.mark.vcr
def test_translate_streaming() -> None:
    pieces = list(build_chain().stream({"text": "Thank you very much."}))
    assert "".join(pieces) == "Merci beaucoup."
    assert len(pieces) > 1
