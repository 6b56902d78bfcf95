"""Large inputs: a 20 MB inline image and a 1,000-message history with tool calls.

Base64 media must reach the request by identity (no decode/re-encode, no copy), and converting a
conversation must be linear in its length. Both also go end to end through the fake server.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import os
import time
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_tokenhot._messages import convert_messages
from tests.reliability.conftest import make
from tests.support.fake_gemini import FakeGemini

MB = 1024 * 1024


@pytest.fixture(scope="module")
def image_b64() -> str:
    """~20 MB of base64 (15 MB of bytes) that starts like a PNG."""
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(15 * MB - 8)
    return base64.b64encode(data).decode("ascii")


def _image_message(**extra: Any) -> HumanMessage:
    return HumanMessage(
        content=[{"type": "text", "text": "What is in this image?"}, {"type": "image", **extra}]
    )


def _best_of(n: int, fn: Callable[[], Any]) -> float:
    """Fastest of `n` runs, with the garbage collector paused (its pauses depend on everything
    else the test process holds, not on the code measured)."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(n):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
    finally:
        gc.enable()
    return best


@pytest.mark.parametrize("mime", ["image/png", None], ids=["mime-given", "mime-sniffed"])
def test_20mb_base64_reaches_the_request_by_identity(image_b64: str, mime: str | None) -> None:
    block: dict[str, Any] = {"type": "image", "base64": image_b64}
    if mime:
        block["mime_type"] = mime
    message = HumanMessage(content=[{"type": "text", "text": "describe"}, block])
    seconds = _best_of(3, lambda: convert_messages([message], model="gemini-2.5-flash"))
    _, contents = convert_messages([message], model="gemini-2.5-flash")
    inline = contents[0]["parts"][1]["inlineData"]  # type: ignore[typeddict-item]
    assert inline["data"] is image_b64, "the base64 string was copied"
    assert inline["mimeType"] == "image/png"
    assert seconds < 0.05, f"converting a 20 MB image took {seconds * 1000:.1f} ms"
    print(f"\n20 MB image conversion ({mime or 'sniffed'}): {seconds * 1000:.2f} ms")


def test_20mb_v0_and_openai_forms_are_not_decoded(image_b64: str) -> None:
    """Other spellings of the same image: no decode/re-encode (a slice at most)."""
    forms = [
        {"type": "image", "source_type": "base64", "data": image_b64, "mime_type": "image/png"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{image_b64}"}},
        {"type": "inline_data", "inline_data": {"mime_type": "image/png", "data": image_b64}},
    ]
    for block in forms:
        message = HumanMessage(content=[block])
        seconds = _best_of(2, lambda m=message: convert_messages([m], model="gemini-2.5-flash"))  # type: ignore[misc]
        _, contents = convert_messages([message], model="gemini-2.5-flash")
        data = contents[0]["parts"][0]["inlineData"]["data"]  # type: ignore[typeddict-item]
        assert len(data) == len(image_b64)
        assert seconds < 0.1, f"{block['type']}: {seconds * 1000:.1f} ms"


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_20mb_image_end_to_end(server: FakeGemini, image_b64: str, flavour: str) -> None:
    llm = make(server, timeout=60, max_retries=0)
    message = _image_message(base64=image_b64, mime_type="image/png")
    start = time.perf_counter()
    if flavour == "sync":
        reply = await asyncio.to_thread(llm.invoke, [message])
    else:
        reply = await llm.ainvoke([message])
    elapsed = time.perf_counter() - start
    assert reply.text
    body = server.last_request.body
    assert len(body) >= len(image_b64)
    assert len(body) < len(image_b64) + 4096  # one copy of the image, not two
    sent = server.last_request.json["contents"][0]["parts"][1]["inlineData"]["data"]
    assert sent == image_b64
    assert elapsed < 10, f"{elapsed:.2f} s"
    print(f"\n20 MB image end to end ({flavour}): {elapsed:.2f} s")


def history(n: int) -> list[BaseMessage]:
    """`n` messages: system, then rounds of question, tool call, tool result, answer."""
    messages: list[BaseMessage] = [SystemMessage("You are terse.")]
    i = 0
    while len(messages) < n:
        call_id = f"call_{i}"
        messages.extend(
            [
                HumanMessage(f"Question {i}: what is the weather in city {i}? " + "ü" * 40),
                AIMessage(
                    "",
                    tool_calls=[
                        {
                            "name": "weather",
                            "args": {"city": i, "opts": {"units": "C"}},
                            "id": call_id,
                        },
                    ],
                ),
                ToolMessage(f'{{"temp": {i % 30}, "sky": "clear"}}', tool_call_id=call_id),
                AIMessage(f"It is {i % 30} °C in city {i}."),
            ]
        )
        i += 1
    return messages[:n]


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-3-flash-preview"])
def test_1000_message_history_converts_in_linear_time(model: str) -> None:
    small, large = history(500), history(1000)
    # Milliseconds on a shared machine are noisy: a linear converter shows a ratio near 2 in at
    # least one of three trials, a quadratic one near 4 in all of them.
    trials = []
    for _ in range(3):
        t_small = _best_of(9, lambda: convert_messages(small, model=model))
        t_large = _best_of(9, lambda: convert_messages(large, model=model))
        trials.append((t_large / t_small, t_small, t_large))
    ratio, t_small, t_large = min(trials)
    _, contents = convert_messages(large, model=model)
    assert sum(len(c["parts"]) for c in contents) == 999  # every message became a part
    assert ratio < 3, f"500: {t_small * 1000:.1f} ms, 1000: {t_large * 1000:.1f} ms"
    assert t_large < 0.5
    print(f"\n{model}: 500 messages {t_small * 1000:.1f} ms, 1000 messages {t_large * 1000:.1f} ms")


async def test_1000_message_history_end_to_end(server: FakeGemini) -> None:
    llm = make(server, timeout=30, max_retries=0)
    start = time.perf_counter()
    reply = await llm.ainvoke(history(1000))
    elapsed = time.perf_counter() - start
    assert reply.text
    sent = server.last_request.json
    assert len(sent["contents"]) == 999  # alternating user/model turns, system separate
    assert sent["systemInstruction"] == {"parts": [{"text": "You are terse."}]}
    calls = [p for c in sent["contents"] for p in c["parts"] if "functionCall" in p]
    assert len(calls) == 250 and calls[0]["functionCall"] == {
        "name": "weather",
        "args": {"city": 0, "opts": {"units": "C"}},
    }
    assert elapsed < 5
    print(f"\n1,000-message history end to end: {elapsed:.2f} s")
