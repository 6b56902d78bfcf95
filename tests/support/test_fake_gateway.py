"""The gateway-shaped fake does what the module docstring says (raw HTTP, no package code)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest

from tests.support.fake_gemini import from_sample, rate_limited, sse
from tests.support.gateway import FakeGateway, remarshal

SIG = "c2lnbmF0dXJl"

REQUEST = {
    "contents": [
        {"parts": [{"text": "q", "mediaResolution": {"level": "MEDIA_RESOLUTION_LOW"}}]},
        {
            "role": "model",
            "parts": [
                {"functionCall": {"name": "f", "args": {}, "id": "c1"}, "thoughtSignature": SIG},
                {"toolCall": {"id": "t1", "toolType": "GOOGLE_SEARCH_WEB"}},
                {"text": "", "thoughtSignature": SIG, "thought": False, "partMetadata": {"a": 1}},
            ],
        },
        {
            "role": "user",
            "parts": [{"functionResponse": {"name": "f", "response": {"ok": 1}, "id": "c1"}}],
        },
    ],
    "systemInstruction": {"parts": [{"inlineData": {"mimeType": "image/png", "data": "AA=="}}]},
    "generationConfig": {
        "temperature": 0,
        "thinkingConfig": {"thinkingLevel": "low", "includeThoughts": False, "thinkingBudget": 0},
        "responseJsonSchema": {"type": "object"},
        "imageConfig": {"aspectRatio": "16:9"},
        "futureKnob": True,
    },
    "toolConfig": {
        "functionCallingConfig": {"mode": "VALIDATED"},
        "includeServerSideToolInvocations": True,
    },
    "tools": [{"googleSearch": {}}, {"functionDeclarations": [{"name": "f"}]}],
    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF", "method": "X"}],
    "cachedContent": "cachedContents/abc",
    "serviceTier": "flex",
    "labels": {"team": "a"},
}


def test_remarshal_keeps_and_drops_what_the_dto_does() -> None:
    out = remarshal(REQUEST)
    assert set(out) == {
        "contents",
        "generationConfig",
        "toolConfig",
        "tools",
        "safetySettings",
        "cachedContent",
    }  # serviceTier, labels and the text-less systemInstruction are gone
    user, model, results = out["contents"]
    assert user == {
        "role": "user",
        "parts": [{"text": "q", "mediaResolution": {"level": "MEDIA_RESOLUTION_LOW"}}],
    }
    assert model["parts"] == [
        {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": SIG},  # id dropped
        {},  # a toolCall part has no field left
        {"thoughtSignature": SIG},  # empty text and false are omitempty
    ]
    assert results["parts"][0]["functionResponse"]["id"] == "c1"  # ...but this id is kept
    assert out["generationConfig"] == {
        "temperature": 0,
        "thinkingConfig": {"thinkingLevel": "low", "thinkingBudget": 0},
        "responseJsonSchema": {"type": "object"},
        "imageConfig": {"aspectRatio": "16:9"},
    }
    assert out["toolConfig"] == REQUEST["toolConfig"]
    assert out["safetySettings"] == [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"}]


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway() as fake:
        yield fake


def post(gateway: FakeGateway, operation: str, body: object, **kw: object) -> httpx.Response:
    suffix = "?alt=sse" if operation == "streamGenerateContent" else ""
    url = f"{gateway.base_url}/v1beta/models/gemini-2.5-flash:{operation}{suffix}"
    return httpx.post(url, content=orjson.dumps(body), headers={"authorization": "Bearer k"})


def test_upstream_sees_the_remarshalled_body_and_the_gateways_key(gateway: FakeGateway) -> None:
    post(gateway, "generateContent", REQUEST)
    [upstream] = gateway.requests
    assert upstream.json == remarshal(REQUEST)
    assert upstream.headers["x-goog-api-key"] != "k" and "authorization" not in upstream.headers
    assert gateway.client_requests[0].json == REQUEST


def test_streams_are_lf_framed_without_upstream_headers(gateway: FakeGateway) -> None:
    gateway.enqueue(sse([{"a": 1}, {"b": 2}], headers={"x-gemini-service-tier": "flex"}))
    response = post(gateway, "streamGenerateContent", {"contents": [{"parts": [{"text": "q"}]}]})
    assert response.content == b'data: {"a":1}\n\ndata: {"b":2}\n\n'
    assert "x-gemini-service-tier" not in response.headers


def test_google_errors_are_rewritten_without_status_details_or_retry_after(
    gateway: FakeGateway,
) -> None:
    gateway.enqueue(rate_limited(retry_after=3, retry_delay="3s"))
    response = post(gateway, "generateContent", {"contents": [{"parts": [{"text": "q"}]}]})
    assert response.status_code == 429 and "retry-after" not in response.headers
    error = response.json()["error"]
    assert error["type"] == "upstream_error" and error["code"] == 429
    assert set(error) == {"message", "type", "param", "code"}


def test_count_tokens_runs_as_a_generation(gateway: FakeGateway) -> None:
    response = post(gateway, "countTokens", {"contents": [{"parts": [{"text": "q"}]}]})
    assert "candidates" in response.json() and "totalTokens" not in response.json()
    assert gateway.requests[0].operation == "generateContent"
    nested = post(gateway, "countTokens", {"generateContentRequest": {"contents": []}})
    assert nested.status_code == 400 and "contents is required" in nested.text


def test_own_routes(gateway: FakeGateway) -> None:
    listed = httpx.get(f"{gateway.base_url}/v1beta/models").json()
    assert listed["models"][0]["name"] == "gemini-2.5-flash" and listed["nextPageToken"] is None
    missing = httpx.get(f"{gateway.base_url}/v1beta/cachedContents")
    assert missing.status_code == 404 and "Invalid URL" in missing.text
    url = f"{gateway.base_url}/v1beta/models/gemini-2.5-flsh:generateContent"
    unknown = httpx.post(url, json={"contents": [{"parts": [{"text": "q"}]}]})
    assert unknown.status_code == 503 and unknown.json()["error"]["code"] == "model_not_found"
    assert gateway.requests == []


def test_pass_through_forwards_the_body_unchanged() -> None:
    with FakeGateway(pass_through=True) as fake:
        gateway_body = {**REQUEST}
        post(fake, "generateContent", gateway_body)
        assert fake.requests[0].json == REQUEST


def test_recorded_sample_relayed_byte_for_byte(gateway: FakeGateway) -> None:
    gateway.enqueue(from_sample("text_basic"))
    response = post(gateway, "generateContent", {"contents": [{"parts": [{"text": "q"}]}]})
    assert response.content == from_sample("text_basic").body  # type: ignore[attr-defined]
