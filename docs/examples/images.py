"""Image generation and editing with a Gemini image model.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/images.py` (writes PNG/JPEG files to
the current directory)
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path

from langchain_core.messages import AIMessage, HumanMessage

from langchain_tokenhot import ChatTokenhotGemini

MODEL = "gemini-3-pro-image-preview"
OUT_DIR = Path()  # files are written to the current directory


def save_images(message: AIMessage, stem: str, out_dir: Path) -> list[Path]:
    """Write every image block of a reply to `out_dir`; return the paths."""
    paths = []
    for i, block in enumerate(b for b in message.content_blocks if b["type"] == "image"):
        suffix = mimetypes.guess_extension(block["mime_type"]) or ".bin"
        path = out_dir / f"{stem}-{i}{suffix}"
        path.write_bytes(base64.b64decode(block["base64"]))
        paths.append(path)
    return paths


llm = ChatTokenhotGemini(
    model=MODEL,
    response_modalities=["TEXT", "IMAGE"],
    image_config={"aspect_ratio": "1:1"},
)
ask = HumanMessage("A tiny watercolour of a lighthouse at dawn, warm orange light.")
first = llm.invoke([ask])
print(first.text)
print([b["type"] for b in first.content_blocks])
print([p.name for p in save_images(first, "lighthouse", OUT_DIR)])

edit = HumanMessage("Same picture, but at night under a deep blue sky.")
second = llm.invoke([ask, first, edit])  # the reply goes back with its signatures
print([p.name for p in save_images(second, "lighthouse-night", OUT_DIR)])

photo = OUT_DIR / "lighthouse-0.png"  # any image of yours
own = HumanMessage(
    content=[
        {"type": "text", "text": "Add a small red boat to this picture."},
        {
            "type": "image",
            "base64": base64.b64encode(photo.read_bytes()).decode(),
            "mime_type": "image/png",
        },
    ]
)
third = llm.invoke([own])
print([p.name for p in save_images(third, "lighthouse-boat", OUT_DIR)])
