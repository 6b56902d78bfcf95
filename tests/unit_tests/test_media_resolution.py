"""Per-part media resolution (issue 16, item 6): `parts[].mediaResolution` on that part only.

No recorded request carries a per-part `mediaResolution`; the part shape is Google's `Part`
reference (`mediaResolution: {"level": "MEDIA_RESOLUTION_*"}`, `ULTRA_HIGH` per part only).
Answers are the recorded `text_gemini3_signature.json` and `stream_text.sse`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from langchain_tokenhot import ChatTokenhotGemini, UnsupportedContentError
from tests.support.fake_gemini import FakeGemini, RecordedRequest, from_sample

MODEL = "gemini-3-flash-preview"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\0" * 16).decode()


def question() -> HumanMessage:
    return HumanMessage(
        content=[
            {"type": "text", "text": "Read the small print on the label; what is the bottle?"},
            {
                "type": "image",
                "base64": PNG,
                "mime_type": "image/png",
                "media_resolution": "ultra_high",
            },
            {"type": "image", "base64": JPEG, "mime_type": "image/jpeg"},
        ]
    )


EXPECTED_PARTS = [
    {"text": "Read the small print on the label; what is the bottle?"},
    {
        "inlineData": {"mimeType": "image/png", "data": PNG},
        "mediaResolution": {"level": "MEDIA_RESOLUTION_ULTRA_HIGH"},
    },
    {"inlineData": {"mimeType": "image/jpeg", "data": JPEG}},
]


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    def answer(request: RecordedRequest) -> Any:
        if request.operation == "streamGenerateContent":
            return from_sample("stream_text")
        return from_sample("text_gemini3_signature")

    with FakeGemini(default=answer) as fake:
        yield fake


def llm_for(server: FakeGemini, model: str = MODEL, **kw: Any) -> ChatTokenhotGemini:
    return ChatTokenhotGemini(
        model=model, api_key="k", base_url=server.base_url, max_retries=0, **kw
    )


def assert_sent(request: RecordedRequest) -> None:
    assert request.json["contents"][0]["parts"] == EXPECTED_PARTS
    assert request.json["generationConfig"] == {"mediaResolution": "MEDIA_RESOLUTION_LOW"}


def test_invoke(server: FakeGemini) -> None:
    msg = llm_for(server, media_resolution="low").invoke([question()])
    assert isinstance(msg, AIMessage) and msg.text
    assert_sent(server.requests[0])


async def test_ainvoke(server: FakeGemini) -> None:
    await llm_for(server, media_resolution="LOW").ainvoke([question()])
    assert_sent(server.requests[0])


def test_stream(server: FakeGemini) -> None:
    text = "".join(c.text for c in llm_for(server, media_resolution="low").stream([question()]))
    assert text
    assert server.requests[0].operation == "streamGenerateContent"
    assert_sent(server.requests[0])


async def test_astream(server: FakeGemini) -> None:
    chunks = [c async for c in llm_for(server, media_resolution="low").astream([question()])]
    assert chunks
    assert_sent(server.requests[0])


async def test_replayed_history_keeps_the_level_on_that_part_only(server: FakeGemini) -> None:
    llm = llm_for(server, media_resolution="low")
    first = await llm.ainvoke([question()])
    llm.invoke([question(), first, HumanMessage("And the year on it?")])
    contents = server.requests[1].json["contents"]
    assert contents[0]["parts"] == EXPECTED_PARTS
    assert all("mediaResolution" not in p for c in contents[1:] for p in c["parts"])


# -- refused before sending ----------------------------------------------------------------


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-2.5-pro"])
def test_per_part_level_on_gemini_25_is_refused(server: FakeGemini, model: str) -> None:
    with pytest.raises(UnsupportedContentError, match=r"contents\[0\]\.parts\[1\] sets its own"):
        llm_for(server, model).invoke([question()])
    assert server.requests == []


def test_unknown_family_is_left_to_the_server(server: FakeGemini) -> None:
    llm_for(server, "gemini-next").invoke([question()])
    assert server.requests[0].json["contents"][0]["parts"] == EXPECTED_PARTS


def test_ultra_high_model_wide_is_refused(server: FakeGemini) -> None:
    with pytest.raises(ValueError, match="exists only per part"):
        llm_for(server, media_resolution="ultra_high")
    with pytest.raises(ValueError, match="exists only per part"):
        llm_for(server).invoke("hi", media_resolution="MEDIA_RESOLUTION_ULTRA_HIGH")
    with pytest.raises(ValueError, match="is not one of 'low', 'medium', 'high'"):
        llm_for(server).invoke("hi", media_resolution="crisp")
    assert server.requests == []


def test_model_wide_level_alone_on_gemini_25(server: FakeGemini) -> None:
    image = {"type": "image", "base64": PNG, "mime_type": "image/png"}
    llm_for(server, "gemini-2.5-flash", media_resolution="MEDIA_RESOLUTION_HIGH").invoke(
        [HumanMessage(content=[image])]
    )
    body = server.requests[0].json
    assert body["generationConfig"]["mediaResolution"] == "MEDIA_RESOLUTION_HIGH"
    assert "mediaResolution" not in body["contents"][0]["parts"][0]
