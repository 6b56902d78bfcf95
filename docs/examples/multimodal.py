"""Multimodal input: an image and a PDF in a human message, as standard content blocks.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/multimodal.py`
"""

from __future__ import annotations

import base64
from pathlib import Path

from langchain_core.messages import HumanMessage

from langchain_tokenhot import ChatTokenhotGemini

MODEL = "gemini-2.5-flash"
ASSETS = Path(__file__).parent / "assets"


llm = ChatTokenhotGemini(model=MODEL)
image_b64 = base64.b64encode((ASSETS / "swatch.png").read_bytes()).decode()
message = HumanMessage(
    content=[
        {"type": "text", "text": "What colour is this swatch? One short sentence."},
        {"type": "image", "base64": image_b64, "mime_type": "image/png"},
    ]
)
print(llm.invoke([message]).text)

pdf_b64 = base64.b64encode((ASSETS / "invoice.pdf").read_bytes()).decode()
message = HumanMessage(
    content=[
        {"type": "text", "text": "What is the total due on this invoice?"},
        {"type": "file", "base64": pdf_b64, "mime_type": "application/pdf"},
    ]
)
reply = llm.invoke([message])
print(reply.text)
