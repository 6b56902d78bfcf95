"""docs/examples/multimodal.py: the file bytes reach Gemini as inlineData parts, unchanged."""

from __future__ import annotations

import base64
from typing import Any

from tests.docs.conftest import EXAMPLES, RunExample
from tests.docs.gemini import read_png, text_reply
from tests.support.fake_gemini import Action, FakeGemini, RecordedRequest, json_response

FLASH = "gemini-2.5-flash"


def media_responder(request: RecordedRequest) -> Action:
    """Answers from the bytes it received (the swatch's pixel colour, the PDF's text)."""
    parts = request.json["contents"][-1]["parts"]
    blob = next(p["inlineData"] for p in parts if "inlineData" in p)
    data = base64.b64decode(blob["data"])
    if blob["mimeType"] == "image/png":
        _, _, rgb = read_png(data)
        assert rgb == (255, 140, 0)
        text = "The swatch is a solid orange."
    else:
        assert blob["mimeType"] == "application/pdf"
        assert b"(Total due: 42.00 EUR)" in data
        text = "The total due is 42.00 EUR."
    return json_response(text_reply(text, model=FLASH, prompt_tokens=270))


def test_multimodal(server: FakeGemini, run_example: RunExample, printed: Any) -> None:
    server.default = media_responder
    result = run_example("multimodal")

    image_req, pdf_req = (r.json["contents"] for r in server.requests)
    assert image_req == [
        {
            "role": "user",
            "parts": [
                {"text": "What colour is this swatch? One short sentence."},
                {"inlineData": {"mimeType": "image/png", "data": result["image_b64"]}},
            ],
        }
    ]
    assert pdf_req[0]["parts"][1] == {
        "inlineData": {"mimeType": "application/pdf", "data": result["pdf_b64"]}
    }
    assert base64.b64decode(result["pdf_b64"]) == (EXAMPLES / "assets/invoice.pdf").read_bytes()
    assert result["reply"].text == "The total due is 42.00 EUR."
    printed("multimodal")
