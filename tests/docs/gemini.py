"""Gemini response bodies for the documentation examples, and request readers.

Every body copies the shape of a recorded sample in `tests/fixtures/gemini/` (keys, where
signatures sit, cumulative stream usage, `thoughtsTokenCount`); only the words differ, so each
example's answer fits its question. Which sample a builder copies is named in its docstring.
"""

from __future__ import annotations

import base64
import copy
import math
import struct
import zlib
from typing import Any

from tests.support.fake_gemini import load_sample_json


def system_text(request_json: dict[str, Any]) -> str:
    """The text of `systemInstruction`, or ''."""
    parts = (request_json.get("systemInstruction") or {}).get("parts", [])
    return "".join(p.get("text", "") for p in parts)


def last_turn(request_json: dict[str, Any]) -> dict[str, Any]:
    return request_json["contents"][-1]


def last_user_text(request_json: dict[str, Any]) -> str:
    """The text parts of the last turn (the user's question)."""
    return "".join(p.get("text", "") for p in last_turn(request_json)["parts"])


def function_responses(request_json: dict[str, Any]) -> list[dict[str, Any]]:
    """The `functionResponse` parts of the last turn."""
    return [
        p["functionResponse"] for p in last_turn(request_json)["parts"] if "functionResponse" in p
    ]


def model_turns(request_json: dict[str, Any]) -> int:
    return sum(1 for c in request_json["contents"] if c["role"] == "model")


def usage(prompt: int, candidates: int, thoughts: int = 0, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates + thoughts,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
    }
    if thoughts:
        body["thoughtsTokenCount"] = thoughts
    body.update(extra)
    return body


def tokens(text: str) -> int:
    return max(1, len(text) // 4)


def response(
    parts: list[dict[str, Any]],
    *,
    model: str,
    prompt_tokens: int = 12,
    thoughts: int = 0,
    response_id: str | None = None,
    finish_message: str | None = None,
    **candidate: Any,
) -> dict[str, Any]:
    """A generateContent body shaped like `text_basic.json` / `text_gemini3_signature.json`."""
    text = "".join(p.get("text", "") for p in parts if not p.get("thought"))
    cand: dict[str, Any] = {
        "content": {"parts": parts, "role": "model"},
        "finishReason": "STOP",
        "index": 0,
        **candidate,
    }
    if finish_message:
        cand["finishMessage"] = finish_message
    return {
        "candidates": [cand],
        "usageMetadata": usage(prompt_tokens, tokens(text) if text else 10, thoughts),
        "modelVersion": model,
        # Unique per answer, as Gemini's are (LangGraph replaces messages sharing an id).
        "responseId": response_id or f"docs-{zlib.crc32(repr(parts).encode()):08x}",
    }


def text_reply(text: str, *, model: str, signature: str | None = None, **kw: Any) -> dict[str, Any]:
    """A plain answer (`text_basic.json`); Gemini 3 signs its text part
    (`text_gemini3_signature.json`)."""
    part: dict[str, Any] = {"text": text}
    if signature:
        part["thoughtSignature"] = signature
    return response([part], model=model, **kw)


def stream_events(
    pieces: list[str], *, model: str, prompt_tokens: int = 9, thoughts: int = 0
) -> list[dict[str, Any]]:
    """Stream events shaped like `stream_text.sse`: cumulative usage, finishReason last."""
    events = []
    total = 0
    for i, piece in enumerate(pieces):
        total += tokens(piece)
        cand: dict[str, Any] = {
            "content": {"parts": [{"text": piece}], "role": "model"},
            "index": 0,
        }
        if i == len(pieces) - 1:
            cand["finishReason"] = "STOP"
        events.append(
            {
                "candidates": [cand],
                "usageMetadata": usage(prompt_tokens, total, thoughts),
                "modelVersion": model,
                "responseId": "docs-stream-0001",
            }
        )
    return events


def function_calls(
    calls: list[tuple[str, dict[str, Any]]], *, model: str, signature: str = "SIG_CALLS"
) -> dict[str, Any]:
    """Parallel calls shaped like `function_call_parallel_gemini3.json`: only the first part
    carries a thoughtSignature; finishReason STOP with finishMessage."""
    sample = load_sample_json("function_call_parallel_gemini3")
    parts = []
    for i, (name, args) in enumerate(calls):
        part: dict[str, Any] = {"functionCall": {"args": args, "name": name}}
        if i == 0:
            part["thoughtSignature"] = signature
        parts.append(part)
    body = copy.deepcopy(sample)
    body["candidates"][0]["content"]["parts"] = parts
    body["modelVersion"] = model
    # A fresh id per response, as Gemini sends: LangGraph replaces messages that share an id.
    body["responseId"] = f"docs-calls-{signature}"
    return body


# -- media ---------------------------------------------------------------------------------


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid solid-colour RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def read_png(data: bytes) -> tuple[int, int, tuple[int, int, int]]:
    """(width, height, colour of the first pixel) of a PNG written by `png`; checks CRCs."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, size = 8, b"", (0, 0)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    return size[0], size[1], (raw[1], raw[2], raw[3])


def image_reply(
    caption: str, image: bytes, *, model: str, signatures: tuple[str, str]
) -> dict[str, Any]:
    """Text + image, both signed, shaped like `image_output_gemini3_pro_image.json`."""
    body = copy.deepcopy(load_sample_json("image_output_gemini3_pro_image"))
    text_part, image_part = body["candidates"][0]["content"]["parts"]
    text_part["text"] = caption
    text_part["thoughtSignature"] = signatures[0]
    image_part["inlineData"] = {"data": base64.b64encode(image).decode(), "mimeType": "image/png"}
    image_part["thoughtSignature"] = signatures[1]
    body["modelVersion"] = model
    return body


def tone_pcm(seconds: float, *, rate: int = 24000, freq: float = 440.0) -> bytes:
    """16-bit little-endian mono PCM of a sine tone (what Gemini TTS sends, headerless)."""
    n = int(seconds * rate)
    return b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(n)
    )


def tts_reply(pcm: bytes, *, model: str) -> dict[str, Any]:
    """Raw PCM audio shaped like `tts_audio.json` (`audio/L16;codec=pcm;rate=24000`)."""
    body = copy.deepcopy(load_sample_json("tts_audio"))
    part = body["candidates"][0]["content"]["parts"][0]
    part["inlineData"]["data"] = base64.b64encode(pcm).decode()
    audio_tokens = len(pcm) // 2 // 960  # 25 tokens per second of 24 kHz audio
    meta = body["usageMetadata"]
    meta["candidatesTokenCount"] = audio_tokens
    meta["candidatesTokensDetails"][0]["tokenCount"] = audio_tokens
    meta["totalTokenCount"] = meta["promptTokenCount"] + audio_tokens
    body["modelVersion"] = model
    return body
