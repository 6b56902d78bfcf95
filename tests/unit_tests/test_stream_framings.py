"""Streams framed the ways gateways frame them, end to end over HTTP (sync and async).

The recorded `stream_text` events are served with LF-only or CR-only line ends, a trailing
`data: [DONE]`, keep-alive comments, or as Google's JSON array (the framing without `alt=sse`),
split into small reads; each must give the same message as Google's CRLF framing. Cut before
the final event, each must still raise instead of returning a short answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from langchain_tokenhot import ChatTokenhotGemini, TokenhotResponseError
from tests.support.fake_gemini import (
    FakeGemini,
    SseStream,
    load_sample_events,
    sse,
)

EVENTS: list[Any] = load_sample_events("stream_text")


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


def make(server: FakeGemini) -> ChatTokenhotGemini:
    return ChatTokenhotGemini(
        model="gemini-2.5-flash", api_key="sk-test", base_url=server.base_url, max_retries=0
    )


def body(framing: str, events: list[Any]) -> list[bytes]:
    """The wire events of a framing (each element one HTTP chunk, split again by the server)."""
    payloads = [orjson.dumps(e) for e in events]
    if framing == "json-array":
        joined = b"[" + b",\r\n".join(payloads) + b"]"
        return [joined[i : i + 40] for i in range(0, len(joined), 40)]
    eol = {"crlf": b"\r\n", "lf": b"\n", "cr": b"\r"}[framing.split("+")[0]]
    wire = [b"data: " + p + eol + eol for p in payloads]
    if "pings" in framing:
        wire = [w + b": keep-alive" + eol + eol for w in wire]
        wire.insert(0, b": ping" + eol + eol)
    if "done" in framing:
        wire.append(b"data: [DONE]" + eol + eol)
    return wire


FRAMINGS = ["crlf", "lf", "cr", "lf+done", "crlf+pings+done", "json-array"]


def serve(framing: str, events: list[Any]) -> SseStream:
    stream = sse(body(framing, events), chunk_size=7)
    if framing == "json-array":
        # Google's framing without alt=sse: a JSON body, not an event stream.
        return SseStream(
            stream.events, headers=(("Content-Type", "application/json"),), chunk_size=7
        )
    return stream


def expected_text() -> str:
    return "".join(
        p.get("text", "")
        for e in EVENTS
        for c in e.get("candidates", [])
        for p in c["content"]["parts"]
    )


@pytest.mark.parametrize("framing", FRAMINGS)
def test_framing_streams_the_whole_answer(server: FakeGemini, framing: str) -> None:
    server.default = serve(framing, EVENTS)
    chunks = list(make(server).stream("count"))
    assert "".join(c.text for c in chunks) == expected_text()
    assert chunks[-1].response_metadata["finish_reason"] == "STOP"


@pytest.mark.parametrize("framing", FRAMINGS)
async def test_framing_streams_the_whole_answer_async(server: FakeGemini, framing: str) -> None:
    server.default = serve(framing, EVENTS)
    chunks = [c async for c in make(server).astream("count")]
    assert "".join(c.text for c in chunks) == expected_text()


@pytest.mark.parametrize("framing", FRAMINGS)
def test_framing_cut_before_finish_reason_raises(server: FakeGemini, framing: str) -> None:
    server.default = serve(framing, EVENTS[:-1])
    with pytest.raises(TokenhotResponseError, match="no finishReason"):
        list(make(server).stream("count"))


def test_json_array_cut_mid_element_raises(server: FakeGemini) -> None:
    wire = b"".join(body("json-array", EVENTS))
    server.default = SseStream(
        (wire[: len(wire) - 30],), headers=(("Content-Type", "application/json"),)
    )
    with pytest.raises(TokenhotResponseError, match="middle of an event"):
        list(make(server).stream("count"))
