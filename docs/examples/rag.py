"""A small RAG pipeline: retrieve from an in-memory vector store, answer with citations.

The embedding is a deterministic keyword embedding, so the example runs without any embedding
service; swap in a real `Embeddings` class for real documents.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/rag.py` (needs `numpy`, which
`InMemoryVectorStore` uses for cosine similarity)
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore
from pydantic import BaseModel, Field

from langchain_tokenhot import ChatTokenhotGemini

MODEL = "gemini-2.5-flash"


class KeywordEmbeddings(Embeddings):
    """Bag-of-words vectors via the hashing trick: offline, deterministic, crude but real."""

    def __init__(self, size: int = 256) -> None:
        self.size = size

    def _embed(self, text: str) -> list[float]:
        vector = [0.0] * self.size
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            word = word.removesuffix("s")  # "refunds" and "refund" share a slot
            slot = int(hashlib.sha256(word.encode()).hexdigest(), 16) % self.size
            vector[slot] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)


DOCS = [
    Document(
        id="returns",
        page_content="Refunds: items can be returned within 30 days of delivery for a full "
        "refund. The refund goes back to the original payment method within 5 business days.",
        metadata={"source": "help/returns.md"},
    ),
    Document(
        id="shipping",
        page_content="Shipping: standard delivery takes 3 to 5 business days; express "
        "delivery takes 1 business day and costs 9 EUR.",
        metadata={"source": "help/shipping.md"},
    ),
    Document(
        id="warranty",
        page_content="Warranty: electronics carry a 2 year warranty covering manufacturing "
        "defects, not accidental damage.",
        metadata={"source": "help/warranty.md"},
    ),
    Document(
        id="gift-cards",
        page_content="Gift cards are valid for 3 years and cannot be exchanged for cash; a "
        "refund of a gift card purchase is not possible.",
        metadata={"source": "help/gift-cards.md"},
    ),
]

store = InMemoryVectorStore(embedding=KeywordEmbeddings())
store.add_documents(DOCS)
retriever = store.as_retriever(search_kwargs={"k": 2})


class CitedAnswer(BaseModel):
    """An answer grounded in the sources, with the ids of the sources it used."""

    answer: str = Field(description="The answer, using only the sources")
    citations: list[str] = Field(description="Ids of the sources that support the answer")


PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            "Answer the question using only these sources. Cite the ids of the sources "
            "you used. If they do not contain the answer, say so.\n\n{context}",
        ),
        ("human", "{question}"),
    ]
)


def format_docs(docs: list[Document]) -> str:
    return "\n\n".join(f"[{doc.id}] {doc.page_content}" for doc in docs)


def build_chain(llm: ChatTokenhotGemini) -> Any:
    answer = (
        RunnablePassthrough.assign(context=lambda x: format_docs(x["docs"]))
        | PROMPT
        | llm.with_structured_output(CitedAnswer)
    )
    return {
        "docs": retriever,
        "question": RunnablePassthrough(),
    } | RunnablePassthrough.assign(answer=answer)


llm = ChatTokenhotGemini(model=MODEL)
chain = build_chain(llm)
result = chain.invoke("How long do I have to return an item, and how is the refund paid?")

print("retrieved:", [doc.id for doc in result["docs"]])
print(result["answer"].answer)
retrieved = {doc.id: doc for doc in result["docs"]}
for cid in result["answer"].citations:
    doc = retrieved.get(cid)  # never trust a citation you did not retrieve
    print(f"  [{cid}] {doc.metadata['source'] if doc else 'NOT RETRIEVED'}")
