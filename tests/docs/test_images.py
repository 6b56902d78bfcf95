"""docs/examples/images.py: generated images decode; edits send the earlier image back signed."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from tests.docs.conftest import RunExample
from tests.docs.gemini import image_reply, last_user_text, png, read_png
from tests.support.fake_gemini import Action, FakeGemini, RecordedRequest, json_response

IMAGE_MODEL = "gemini-3-pro-image-preview"
DAWN = png(32, 32, (255, 160, 60))
NIGHT = png(32, 32, (20, 30, 120))
BOAT = png(32, 32, (200, 40, 40))


def image_responder(request: RecordedRequest) -> Action:
    body = request.json
    assert body["generationConfig"] == {
        "responseModalities": ["TEXT", "IMAGE"],
        "imageConfig": {"aspectRatio": "1:1"},
    }
    question = last_user_text(body)
    if question.startswith("A tiny watercolour"):
        reply = image_reply(
            "Here is your lighthouse at dawn.",
            DAWN,
            model=IMAGE_MODEL,
            signatures=("SIG_T1", "SIG_I1"),
        )
    elif question.startswith("Same picture"):
        reply = image_reply(
            "Here it is at night.", NIGHT, model=IMAGE_MODEL, signatures=("SIG_T2", "SIG_I2")
        )
    else:
        sent = next(p["inlineData"] for p in body["contents"][-1]["parts"] if "inlineData" in p)
        assert read_png(base64.b64decode(sent["data"]))[2] == (255, 160, 60)
        reply = image_reply(
            "I added a small red boat.", BOAT, model=IMAGE_MODEL, signatures=("SIG_T3", "SIG_I3")
        )
    return json_response(reply)


def test_images(server: FakeGemini, run_example: RunExample, printed: Any, tmp_path: Path) -> None:
    server.default = image_responder
    result = run_example("images")

    files = {p.name: read_png(p.read_bytes()) for p in tmp_path.iterdir()}
    assert files == {
        "lighthouse-0.png": (32, 32, (255, 160, 60)),
        "lighthouse-night-0.png": (32, 32, (20, 30, 120)),
        "lighthouse-boat-0.png": (32, 32, (200, 40, 40)),
    }
    assert result["first"].text == "Here is your lighthouse at dawn."

    # The edit replays the first answer part by part, each with its own signature.
    history = server.requests[1].json["contents"]
    assert [c["role"] for c in history] == ["user", "model", "user"]
    assert history[1]["parts"] == [
        {"text": "Here is your lighthouse at dawn.", "thoughtSignature": "SIG_T1"},
        {
            "inlineData": {"mimeType": "image/png", "data": base64.b64encode(DAWN).decode()},
            "thoughtSignature": "SIG_I1",
        },
    ]
    printed("images")
