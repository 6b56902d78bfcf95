"""Transport behaviour over real HTTP against the local fake Gemini server (127.0.0.1 only).

Error mapping, retries and their backoff, auth headers, pooled connections, stream cuts,
early close — each asserted on what the server saw and what the caller got.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

from langchain_tokenhot import (
    ChatTokenhotGemini,
    TokenhotAuthenticationError,
    TokenhotError,
    TokenhotRateLimitError,
    TokenhotResponseError,
    _retry,
)
from langchain_tokenhot._errors import error_from_response
from langchain_tokenhot._retry import backoff_delay
from tests.support.backoff import record_backoff
from tests.support.fake_gemini import (
    FakeGemini,
    close_without_response,
    cut_sse_between_events,
    cut_sse_mid_event,
    empty_error,
    error,
    from_sample,
    html_error,
    json_response,
    load_sample_events,
    load_sample_json,
    malformed_json,
    rate_limited,
    reset,
    sse,
    stall,
    unused_port,
    wrong_shape_json,
)

SECRET = "sk-test-SECRET-0123456789abcdef"


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the waits instead of sleeping them (Retry-After values are asserted)."""
    return record_backoff(monkeypatch)


def make(server: FakeGemini, **kw: Any) -> ChatTokenhotGemini:
    return ChatTokenhotGemini(
        model=kw.pop("model", "gemini-2.5-flash"), api_key=SECRET, base_url=server.base_url, **kw
    )


# -- error mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "core_type"),
    [
        ("error_400_api_key_invalid", ModelAuthenticationError),
        ("error_400_unknown_field_field_violations", ModelInvalidRequestError),
        ("error_400_missing_thought_signature", ModelInvalidRequestError),
        ("error_404_model_not_found", ModelNotFoundError),
        ("error_429_resource_exhausted", ModelRateLimitError),
        ("error_503_unavailable", ModelAPIError),
        ("error_reseller_wrapped_503", ModelAPIError),
    ],
)
def test_recorded_error_bodies_map_to_core_types(
    server: FakeGemini, sample: str, core_type: type[Exception]
) -> None:
    server.default = from_sample(sample)
    with pytest.raises(core_type) as info:
        make(server, max_retries=0).invoke("hi")
    err = info.value
    assert isinstance(err, TokenhotError)
    expected_status = load_sample_json(sample)["error"].get("code")
    if isinstance(expected_status, int):
        assert err.status_code == expected_status
    assert err.message and "Tokenhot" in str(err)
    assert err.body


def test_reseller_wrapped_error_is_unwrapped(server: FakeGemini) -> None:
    server.default = from_sample("error_reseller_wrapped_503")
    with pytest.raises(TokenhotError) as info:
        make(server, max_retries=0).invoke("hi")
    assert info.value.status == "UNAVAILABLE"
    assert not info.value.message.lstrip().startswith("{")


@pytest.mark.parametrize(
    ("status", "core_type"),
    [
        (401, ModelAuthenticationError),
        (403, ModelPermissionDeniedError),
        (413, ModelInvalidRequestError),
    ],
)
def test_openai_shaped_gateway_errors(
    server: FakeGemini, status: int, core_type: type[Exception]
) -> None:
    body = {
        "error": {
            "message": "invalid token (request id: abc)",
            "type": "new_api_error",
            "code": "invalid_token",
        }
    }
    server.default = error(status, body)
    with pytest.raises(core_type) as info:
        make(server).invoke("hi")
    assert info.value.message.startswith("invalid token (request id: abc)")  # type: ignore[attr-defined]
    assert info.value.status == "invalid_token"  # type: ignore[attr-defined]
    assert len(server.requests) == 1  # never retried


def test_context_overflow() -> None:
    body = (
        b'{"error": {"code": 400, "message": "The input token count (1200000) exceeds the '
        b'maximum number of tokens allowed (1048576).", "status": "INVALID_ARGUMENT"}}'
    )
    err = error_from_response(400, {}, body)
    assert isinstance(err, ContextOverflowError)
    assert isinstance(err, ModelInvalidRequestError)


def test_html_and_empty_error_bodies(server: FakeGemini) -> None:
    server.enqueue(html_error(502), empty_error(503))
    with pytest.raises(ModelAPIError) as info:
        make(server, max_retries=0).invoke("hi")
    assert "<" not in info.value.message  # type: ignore[attr-defined]
    assert info.value.status_code == 502  # type: ignore[attr-defined]
    with pytest.raises(ModelAPIError) as info:
        make(server, max_retries=0).invoke("hi")
    assert info.value.status_code == 503  # type: ignore[attr-defined]


def test_200_with_non_json_or_wrong_shape(server: FakeGemini) -> None:
    server.enqueue(malformed_json(), wrong_shape_json())
    with pytest.raises(TokenhotResponseError, match="not JSON"):
        make(server).invoke("hi")
    with pytest.raises(TokenhotResponseError, match="malformed"):
        make(server).invoke("hi")
    assert len(server.requests) == 2  # not retried


# -- retries ---------------------------------------------------------------------------------


def test_429_honours_retry_after_then_succeeds(server: FakeGemini, fast_backoff: list) -> None:
    server.enqueue(rate_limited(retry_after=7, retry_delay="3s"))
    msg = make(server, max_retries=2).invoke("hi")
    assert msg.text
    assert len(server.requests) == 2
    assert fast_backoff == [7.0]  # the header wins over RetryInfo


def test_retry_info_delay_used_and_capped(server: FakeGemini, fast_backoff: list) -> None:
    details = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3600s"}]
    body = {
        "error": {
            "code": 429,
            "message": "quota",
            "status": "RESOURCE_EXHAUSTED",
            "details": details,
        }
    }
    server.enqueue(error(429, body))
    make(server, max_retries=1).invoke("hi")
    assert fast_backoff == [_retry.MAX_RETRY_DELAY]


def test_5xx_burst_retried_with_growing_backoff(server: FakeGemini, fast_backoff: list) -> None:
    server.enqueue(error(500), error(502), error(503), error(504))
    assert make(server, max_retries=4).invoke("hi").text
    assert len(server.requests) == 5
    assert len(fast_backoff) == 4
    ceilings = [min(_retry.INITIAL_BACKOFF * 2**i, _retry.MAX_BACKOFF) for i in range(4)]
    assert all(c / 2 <= w <= c for w, c in zip(fast_backoff, ceilings, strict=True))


def test_retries_bounded_by_max_retries(server: FakeGemini) -> None:
    server.default = error(503)
    with pytest.raises(ModelAPIError):
        make(server, max_retries=2).invoke("hi")
    assert len(server.requests) == 3
    server.clear()
    with pytest.raises(ModelAPIError):
        make(server, max_retries=0).invoke("hi")
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_never_retried(server: FakeGemini, status: int) -> None:
    server.default = error(status)
    with pytest.raises(TokenhotError):
        make(server, max_retries=3).invoke("hi")
    assert len(server.requests) == 1


def test_connection_reset_and_close_are_retried(server: FakeGemini) -> None:
    server.enqueue(reset(), close_without_response())
    assert make(server, max_retries=2).invoke("hi").text
    assert len(server.requests) == 3


def test_refused_connection() -> None:
    llm = ChatTokenhotGemini(
        model="gemini-2.5-flash",
        api_key=SECRET,
        base_url=f"http://127.0.0.1:{unused_port()}",
        max_retries=1,
    )
    with pytest.raises(ModelConnectionError) as info:
        llm.invoke("hi")
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None  # httpx's request (with headers) is not chained


def test_timeout_is_typed_and_bounded(server: FakeGemini) -> None:
    server.default = stall(seconds=10)
    start = time.monotonic()
    with pytest.raises(ModelTimeoutError):
        make(server, timeout=0.3, max_retries=1).invoke("hi")
    assert time.monotonic() - start < 2.0
    assert len(server.requests) == 2


def test_backoff_delay_without_server_hint() -> None:
    err = TokenhotRateLimitError("x")
    for attempt in range(10):
        ceiling = min(_retry.INITIAL_BACKOFF * 2**attempt, _retry.MAX_BACKOFF)
        assert ceiling / 2 <= backoff_delay(attempt, err) <= ceiling


# -- auth, headers, URLs, secrets ------------------------------------------------------------


def test_bearer_auth_by_default_and_goog_header_on_request(server: FakeGemini) -> None:
    make(server).invoke("hi")
    headers = server.requests[0].headers
    assert headers["authorization"] == f"Bearer {SECRET}"
    assert "x-goog-api-key" not in headers
    assert "key" not in server.requests[0].query
    make(server, auth_header="x-goog-api-key", default_headers={"X-Team": "a"}).invoke("hi")
    headers = server.requests[1].headers
    assert headers["x-goog-api-key"] == SECRET
    assert "authorization" not in headers
    assert headers["x-team"] == "a"


@pytest.mark.parametrize("suffix", ["", "/", "/v1beta", "/v1beta/"])
def test_base_url_suffixes_tolerated(server: FakeGemini, suffix: str) -> None:
    llm = ChatTokenhotGemini(
        model="gemini-2.5-flash", api_key=SECRET, base_url=server.base_url + suffix
    )
    llm.invoke("hi")
    assert server.requests[-1].path == "/v1beta/models/gemini-2.5-flash:generateContent"


def test_key_scrubbed_from_echoing_error(server: FakeGemini) -> None:
    server.default = error(401, {"error": {"message": f"bad key {SECRET}", "code": 401}})
    with pytest.raises(TokenhotAuthenticationError) as info:
        make(server).invoke("hi")
    err = info.value
    for text in (str(err), repr(err), err.message, err.body or ""):
        assert SECRET not in text


# -- pooling and streams ---------------------------------------------------------------------


def test_one_pooled_connection_across_calls_and_copies(server: FakeGemini) -> None:
    llm = make(server)
    llm.invoke("a")
    llm.invoke("b")
    make(server, temperature=0.1).invoke("c")  # another configuration, same pool
    assert server.total_connections == 1


def test_stream_cut_between_events_is_an_error_not_a_short_answer(server: FakeGemini) -> None:
    events = load_sample_events("stream_text")
    server.default = cut_sse_between_events(events, after=2, terminate=True)
    llm = make(server, max_retries=2)
    got: list[str] = []
    with pytest.raises(TokenhotResponseError, match="no finishReason"):
        for chunk in llm.stream("count"):
            got.append(chunk.text)
    assert "".join(got)  # partial output was delivered...
    assert len(server.requests) == 1  # ...so it was not retried


def test_stream_cut_mid_event_raises(server: FakeGemini) -> None:
    server.default = cut_sse_mid_event(load_sample_events("stream_text"), after=1)
    with pytest.raises(TokenhotResponseError, match="cut short"):
        list(make(server, max_retries=2).stream("count"))
    assert len(server.requests) == 1


def test_error_event_after_200_raises(server: FakeGemini) -> None:
    events: list[Any] = load_sample_events("stream_text")[:1]
    events.append({"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}})
    server.default = sse(events)
    with pytest.raises(TokenhotResponseError, match="overloaded") as info:
        list(make(server).stream("count"))
    assert info.value.status == "UNAVAILABLE"


def test_stream_retried_before_first_event(server: FakeGemini) -> None:
    server.enqueue(error(503), from_sample("stream_text"))
    chunks = list(make(server, max_retries=1).stream("count"))
    assert chunks[-1].response_metadata["finish_reason"] == "STOP"
    assert len(server.requests) == 2


def test_closing_a_stream_early_returns_the_connection(server: FakeGemini) -> None:
    events = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": f"{i} "}]}}]}
        for i in range(200)
    ]
    server.default = sse(events, delay_s=0.005)
    stream = make(server).stream("go")
    next(stream)
    stream.close()
    assert server.wait_until(lambda: server.open_connections <= 1, timeout=2.0)
    server.default = from_sample("text_basic")
    make(server).invoke("again")  # the pool is healthy


async def test_async_paths(server: FakeGemini) -> None:
    llm = make(server)
    server.enqueue(rate_limited(retry_after=0))
    msg = await llm.ainvoke("hi")
    assert msg.text
    server.enqueue(from_sample("stream_text"))
    text = "".join([c.text async for c in llm.astream("count")])
    assert text.startswith("1\n2\n3")
    results = await asyncio.gather(*(llm.ainvoke(f"q{i}") for i in range(20)))
    assert all(r.text for r in results)


async def test_cancelled_astream_releases_its_connection(server: FakeGemini) -> None:
    events = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "x"}]}}]}
        for _ in range(500)
    ]
    server.default = sse(events, delay_s=0.01)
    llm = make(server)

    async def consume() -> None:
        async for _ in llm.astream("go"):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert server.wait_until(lambda: server.open_connections == 0, timeout=2.0)


def test_json_body_is_what_gemini_expects(server: FakeGemini) -> None:
    server.default = json_response(
        {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}
            ]
        }
    )
    make(server, temperature=0.2, max_tokens=50, stop=["END"], top_k=3).invoke(
        [("system", "sys"), ("human", "hi")], stop=["STOP"]
    )
    body = server.requests[0].json
    assert body == {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "systemInstruction": {"parts": [{"text": "sys"}]},
        "generationConfig": {
            "temperature": 0.2,
            "maxOutputTokens": 50,
            "topK": 3,
            "stopSequences": ["STOP"],
        },
    }


# -- the driver's reply: status, headers and body reach the caller ------------------------------


def _transport(server: FakeGemini, **kw: Any) -> Any:
    return make(server, **kw).transport


def test_request_returns_the_first_2xx_reply_with_its_headers(server: FakeGemini) -> None:
    server.enqueue(
        error(503),
        json_response({"ok": 1}, headers={"x-gemini-service-tier": "flex"}),
    )
    t = _transport(server, max_retries=1)
    reply = t.request("POST", t.url("gemini-2.5-flash", "generateContent"), b"{}", model="m")
    assert (reply.status, reply.content) == (200, b'{"ok":1}')
    assert reply.headers["x-gemini-service-tier"] == "flex"
    assert len(server.requests) == 2


def test_request_sends_a_get_without_a_body(server: FakeGemini) -> None:
    server.enqueue(json_response({"models": []}))
    t = _transport(server)
    reply = t.request("GET", f"{t.base_url}/v1beta/models", None, model=None)
    assert reply.status == 200
    (seen,) = server.requests
    assert (seen.method, seen.path, seen.body) == ("GET", "/v1beta/models", b"")
    assert seen.headers["authorization"] == f"Bearer {SECRET}"


async def test_arequest_is_the_same_driver(server: FakeGemini, fast_backoff: list) -> None:
    server.enqueue(
        rate_limited(retry_after=2, retry_delay=None),
        json_response({"ok": 2}, headers={"x-gemini-service-tier": "standard"}),
    )
    t = _transport(server, max_retries=1)
    reply = await t.arequest("POST", t.url("g", "generateContent"), b"{}", model="g")
    assert reply.content == b'{"ok":2}' and reply.headers["x-gemini-service-tier"] == "standard"
    assert fast_backoff == [2.0]
    server.enqueue(error(400))
    with pytest.raises(TokenhotError) as raised:
        await t.arequest("POST", t.url("g", "generateContent"), b"{}", model="g")
    assert raised.value.status_code == 400
