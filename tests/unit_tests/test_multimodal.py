"""Multimodal end to end over HTTP: media downloads, image editing turns, token counting, TTS,
built-in tools."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

from langchain_tokenhot import ChatTokenhotGemini, MediaDownloadError, _download
from langchain_tokenhot.audio import audio_block_to_wav
from tests.support.fake_gemini import (
    Action,
    FakeGemini,
    RecordedRequest,
    error,
    json_response,
    load_sample_json,
)

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


def answer(text: str = "ok") -> dict[str, Any]:
    return {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}
        ]
    }


def media_and_gemini(request: RecordedRequest) -> Action:
    if request.method == "GET":
        if request.path == "/cat.png":
            return json_response(PNG, headers={"Content-Type": "image/png"})
        return error(404)
    if request.operation == "countTokens":
        return json_response({"totalTokens": 42})
    return json_response(answer())


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini(default=media_and_gemini) as fake:
        yield fake


def make(server: FakeGemini, model: str = "gemini-2.5-flash", **kw: Any) -> ChatTokenhotGemini:
    # The media server is the fake on 127.0.0.1, which the media-URL policy refuses by default.
    kw.setdefault("media_allowed_hosts", ["127.0.0.1"])
    return ChatTokenhotGemini(model=model, api_key="k", base_url=server.base_url, **kw)


def image_message(server: FakeGemini) -> HumanMessage:
    return HumanMessage(
        [
            {"type": "text", "text": "What is this?"},
            {"type": "image", "url": f"{server.base_url}/cat.png"},
        ]
    )


def test_http_image_url_is_downloaded_and_inlined(server: FakeGemini) -> None:
    make(server).invoke([image_message(server)])
    get, post = server.requests
    assert get.method == "GET"
    assert "authorization" not in get.headers  # the key never goes to third-party hosts
    assert post.json["contents"][0]["parts"][1] == {
        "inlineData": {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}
    }


async def test_async_download(server: FakeGemini) -> None:
    await make(server).ainvoke([image_message(server)])
    assert [r.method for r in server.requests] == ["GET", "POST"]


def test_download_size_cap(server: FakeGemini, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_download, "MAX_DOWNLOAD_BYTES", 10)
    with pytest.raises(MediaDownloadError, match="larger than"):
        make(server).invoke([image_message(server)])
    assert [r.method for r in server.requests] == ["GET"]


def test_failed_download_is_reported_before_generation(server: FakeGemini) -> None:
    message = HumanMessage([{"type": "image", "url": f"{server.base_url}/missing.png"}])
    with pytest.raises(MediaDownloadError, match=r"missing\.png") as caught:
        make(server).invoke([message])
    # The 404 is the media host's, and said so; not "Tokenhot HTTP 404".
    assert "Tokenhot HTTP" not in str(caught.value)
    assert "media host 127.0.0.1 answered HTTP 404" in str(caught.value)
    assert (caught.value.media_status, caught.value.host) == (404, "127.0.0.1")
    assert caught.value.status_code is None and not caught.value.is_retryable
    assert [r.method for r in server.requests] == ["GET"]


def test_gs_and_youtube_urls_are_not_downloaded(server: FakeGemini) -> None:
    make(server).invoke(
        [
            HumanMessage(
                [
                    {"type": "video", "url": "https://www.youtube.com/watch?v=abc"},
                    {"type": "file", "url": "gs://bucket/doc.pdf", "mime_type": "application/pdf"},
                    {"type": "text", "text": "summarise"},
                ]
            )
        ]
    )
    [post] = server.requests
    parts = post.json["contents"][0]["parts"]
    assert parts[0]["fileData"]["fileUri"] == "https://www.youtube.com/watch?v=abc"
    assert parts[1] == {
        "fileData": {"mimeType": "application/pdf", "fileUri": "gs://bucket/doc.pdf"}
    }


def test_count_tokens_is_one_call_for_the_whole_conversation(server: FakeGemini) -> None:
    @tool
    def lookup(term: str) -> str:
        """Look a term up."""
        return term

    messages = [("system", "sys"), ("human", "a"), ("ai", "b"), ("human", "c")]
    llm = make(server, token_counter="server")
    from langchain_core.messages import convert_to_messages

    assert llm.get_num_tokens_from_messages(convert_to_messages(messages), tools=[lookup]) == 42
    [request] = server.requests
    assert request.operation == "countTokens"
    inner = request.json["generateContentRequest"]
    assert inner["model"] == "models/gemini-2.5-flash"
    assert [c["role"] for c in inner["contents"]] == ["user", "model", "user"]
    assert inner["systemInstruction"] == {"parts": [{"text": "sys"}]}
    assert inner["tools"][0]["functionDeclarations"][0]["name"] == "lookup"
    assert llm.get_num_tokens("hello") == 42
    # Contents alone go in the plain form, which a DTO gateway also accepts.
    assert server.last_request.json == {
        "contents": [{"role": "user", "parts": [{"text": "hello"}]}]
    }


def test_image_editing_over_several_turns(server: FakeGemini) -> None:
    sample = load_sample_json("image_output_gemini3_pro_image")
    server.default = json_response(sample)
    llm = make(
        server,
        "gemini-3-pro-image-preview",
        response_modalities=["TEXT", "IMAGE"],
        image_config={"aspect_ratio": "16:9", "image_size": "2K"},
    )
    source = {"type": "image", "base64": base64.b64encode(PNG).decode(), "mime_type": "image/png"}
    first = llm.invoke([HumanMessage([{"type": "text", "text": "Make it blue"}, source])])
    config = server.requests[0].json["generationConfig"]
    assert config["responseModalities"] == ["TEXT", "IMAGE"]
    assert config["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "2K"}
    images = [b for b in first.content_blocks if b["type"] == "image"]
    assert images
    second_turn = [
        HumanMessage([{"type": "text", "text": "Make it blue"}, source]),
        first,
        HumanMessage("Now add a hat"),
    ]
    llm.invoke(second_turn)
    replayed = server.requests[1].json["contents"][1]["parts"]
    original = sample["candidates"][0]["content"]["parts"]
    # The model turn goes back part for part, each (huge) signature on its own part, unchanged.
    assert replayed == original


def test_tts_output_is_a_playable_wav(server: FakeGemini) -> None:
    server.default = json_response(load_sample_json("tts_audio"))
    msg = make(server, "gemini-2.5-flash-preview-tts").invoke("Say hi")
    [audio] = [b for b in msg.content_blocks if b["type"] == "audio"]
    wav = audio_block_to_wav(audio)
    assert wav[:4] == b"RIFF"
    assert wav[8:12] == b"WAVE"


def test_builtin_tools_on_the_wire(server: FakeGemini) -> None:
    @tool
    def lookup(term: str) -> str:
        """Look a term up."""
        return term

    make(server, "gemini-3-flash-preview").bind_tools(
        [lookup, {"google_search": {}}, {"code_execution": {}}, {"url_context": {}}]
    ).invoke("search")
    tools = server.requests[0].json["tools"]
    assert tools[0]["functionDeclarations"][0]["name"] == "lookup"
    assert tools[1:] == [{"googleSearch": {}}, {"codeExecution": {}}, {"urlContext": {}}]


def test_grounded_answer_has_citations(server: FakeGemini) -> None:
    server.default = json_response(load_sample_json("grounding_google_search"))
    msg = make(server).bind_tools([{"google_search": {}}]).invoke("Who won Euro 2024?")
    text = next(b for b in msg.content_blocks if b["type"] == "text")
    citations = text.get("annotations") or []
    assert citations
    assert all(c["type"] == "citation" and c.get("url") for c in citations)
