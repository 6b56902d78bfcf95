"""Per-part media resolution (Gemini 3): spend tokens on the image that needs detail.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/media_resolution.py`
"""

import base64
from pathlib import Path

from langchain_core.messages import HumanMessage

from langchain_tokenhot import ChatTokenhotGemini

ASSETS = Path(__file__).parent / "assets"
swatch = base64.b64encode((ASSETS / "swatch.png").read_bytes()).decode()

# Every image at low resolution, except the one block that asks for more.
llm = ChatTokenhotGemini(model="gemini-3-flash-preview", media_resolution="low")
message = HumanMessage(
    content=[
        {"type": "text", "text": "Is the colour of the first swatch the same as the second?"},
        {
            "type": "image",
            "base64": swatch,
            "mime_type": "image/png",
            "media_resolution": "ultra_high",
        },
        {"type": "image", "base64": swatch, "mime_type": "image/png"},
    ]
)
answer = llm.invoke([message])
print(answer.text)
print("input tokens:", answer.usage_metadata["input_tokens"])
