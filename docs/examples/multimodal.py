"""Multimodal input: an image and a PDF in a human message, as standard content blocks.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/multimodal.py`
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage

from langchain_tokenhot import ChatTokenhotGemini

MODEL = "gemini-2.5-flash"
ASSETS = Path(__file__).parent / "assets"


def main(llm: ChatTokenhotGemini | None = None) -> dict[str, Any]:
    llm = llm or ChatTokenhotGemini(model=MODEL)
    # --8<-- [start:image]
    image_b64 = base64.b64encode((ASSETS / "swatch.png").read_bytes()).decode()
    message = HumanMessage(
        content=[
            {"type": "text", "text": "What colour is this swatch? One short sentence."},
            {"type": "image", "base64": image_b64, "mime_type": "image/png"},
        ]
    )
    print(llm.invoke([message]).text)
    # --8<-- [end:image]

    # --8<-- [start:pdf]
    pdf_b64 = base64.b64encode((ASSETS / "invoice.pdf").read_bytes()).decode()
    message = HumanMessage(
        content=[
            {"type": "text", "text": "What is the total due on this invoice?"},
            {"type": "file", "base64": pdf_b64, "mime_type": "application/pdf"},
        ]
    )
    reply = llm.invoke([message])
    print(reply.text)
    # --8<-- [end:pdf]
    return {"image_b64": image_b64, "pdf_b64": pdf_b64, "reply": reply}


if __name__ == "__main__":
    main()
