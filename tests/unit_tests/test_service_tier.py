"""Service tiers (issue 16, item 2): `serviceTier` on the wire, the served tier in metadata.

The served tier comes from the `x-gemini-service-tier` response header (Google's priority
guide: a priority request over its limit is served at `standard` and says so there; no
recording has it, so the fake server sends it), else from `usageMetadata.serviceTier` (recorded
in `cached_content_usage.json` and `stream_text.sse`). When neither is there the key is absent,
never guessed from the request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from pydantic import ValidationError

from langchain_tokenhot import ChatTokenhotGemini, _service_tier
from tests.support.fake_gemini import (
    FakeGemini,
    from_sample,
    json_response,
    load_sample_events,
    load_sample_json,
    sse,
)

MODEL = "gemini-2.5-flash"
HEADER = {"x-gemini-service-tier": "standard"}


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh_warnings() -> Iterator[None]:
    _service_tier._warned.clear()
    yield
    _service_tier._warned.clear()


def llm_for(server: FakeGemini, **kw: Any) -> ChatTokenhotGemini:
    return ChatTokenhotGemini(
        model=MODEL, api_key="k", base_url=server.base_url, max_retries=0, **kw
    )


def text_reply(headers: dict[str, str] | None = None) -> Any:
    return json_response(load_sample_json("text_basic"), headers=headers)


def stream_reply(headers: dict[str, str] | None = None, *, usage_tier: bool = True) -> Any:
    events = load_sample_events("stream_text")
    if not usage_tier:
        for event in events:
            event["usageMetadata"].pop("serviceTier", None)
    return sse(events, headers=headers)


# -- on the wire ---------------------------------------------------------------------------


def test_field_and_per_call_value_are_sent(server: FakeGemini) -> None:
    server.default = text_reply()
    llm = llm_for(server, service_tier="flex")
    llm.invoke("hi")
    llm.invoke("hi", service_tier="PRIORITY")
    llm_for(server).invoke("hi")
    sent = [r.json.get("serviceTier") for r in server.requests]
    assert sent == ["flex", "priority", None]
    assert "serviceTier" not in server.requests[2].json


def test_bad_values_are_refused_before_sending(server: FakeGemini) -> None:
    with pytest.raises(ValidationError, match="service_tier"):
        llm_for(server, service_tier="gold")
    with pytest.raises(ValueError, match=r"service_tier.*'standard', 'flex'"):
        llm_for(server).invoke("hi", service_tier="batch")
    assert server.requests == []


# -- the served tier in response_metadata ------------------------------------------------


def test_invoke_reports_a_downgrade(server: FakeGemini) -> None:
    server.default = text_reply(HEADER)
    msg = llm_for(server, service_tier="priority").invoke("hi")
    assert msg.response_metadata["service_tier"] == "standard"


async def test_ainvoke_reports_the_header(server: FakeGemini) -> None:
    server.default = text_reply({"x-gemini-service-tier": "flex"})
    msg = await llm_for(server, service_tier="flex").ainvoke("hi")
    assert msg.response_metadata["service_tier"] == "flex"


def test_stream_reports_the_header_on_the_last_chunk(server: FakeGemini) -> None:
    server.default = stream_reply(HEADER)
    chunks = list(llm_for(server, service_tier="priority").stream("hi"))
    assert [c.response_metadata.get("service_tier") for c in chunks][-1] == "standard"
    assert all("service_tier" not in c.response_metadata for c in chunks[:-1])


async def test_astream_reports_the_header(server: FakeGemini) -> None:
    server.default = stream_reply({"x-gemini-service-tier": "priority"})
    merged: AIMessageChunk | None = None
    async for chunk in llm_for(server).astream("hi", service_tier="priority"):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    assert merged.response_metadata["service_tier"] == "priority"


def test_usage_field_is_the_fallback(server: FakeGemini) -> None:
    server.default = from_sample("cached_content_usage")
    msg = llm_for(server, service_tier="standard").invoke("hi")
    assert msg.response_metadata["service_tier"] == "standard"


async def test_usage_field_in_a_stream(server: FakeGemini) -> None:
    events = load_sample_events("stream_text")
    events[-1]["usageMetadata"]["serviceTier"] = "flex"
    server.default = sse(events)
    chunks = [c async for c in llm_for(server).astream("hi")]
    assert chunks[-1].response_metadata["service_tier"] == "flex"


@pytest.mark.parametrize("streaming", [False, True])
def test_absent_when_not_forwarded_with_one_warning(
    server: FakeGemini, streaming: bool, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = stream_reply(usage_tier=False) if streaming else text_reply()
    llm = llm_for(server, service_tier="flex", streaming=streaming)
    with caplog.at_level(logging.WARNING, logger="langchain_tokenhot._service_tier"):
        first = llm.invoke("hi")
        second = llm.invoke("hi")
    assert "service_tier" not in first.response_metadata
    assert "service_tier" not in second.response_metadata
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "service_tier='flex' was requested but the answer does not say" in warnings[0]


def test_no_warning_when_no_tier_was_asked_for(
    server: FakeGemini, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = text_reply()
    with caplog.at_level(logging.WARNING):
        msg = llm_for(server).invoke("hi")
    assert "service_tier" not in msg.response_metadata
    assert not [r for r in caplog.records if "service_tier" in r.getMessage()]


def test_a_dropped_field_shows_as_standard_and_warns_once(
    server: FakeGemini, caplog: pytest.LogCaptureFixture
) -> None:
    """Through a gateway that drops serviceTier, Google serves (and reports) standard."""
    server.default = from_sample("cached_content_usage")  # recorded usageMetadata.serviceTier
    llm = llm_for(server, service_tier="flex")
    with caplog.at_level(logging.WARNING, logger="langchain_tokenhot._service_tier"):
        first = llm.invoke("hi")
        llm.invoke("hi")
    assert first.response_metadata["service_tier"] == "standard"
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "service_tier='flex' was requested but 'standard' served it" in warnings[0]


def test_the_tier_asked_for_is_confirmed_silently(
    server: FakeGemini, caplog: pytest.LogCaptureFixture
) -> None:
    server.default = text_reply({"x-gemini-service-tier": "priority"})
    with caplog.at_level(logging.WARNING, logger="langchain_tokenhot._service_tier"):
        llm_for(server, service_tier="priority").invoke("hi")
    assert caplog.records == []
