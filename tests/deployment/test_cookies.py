"""Pooled clients are shared by every model of the process, whatever its key: a cookie one
tenant's answer sets must never be sent with another tenant's request (nor kept at all)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deployment.workers import make, prompt_of
from tests.support.fake_gemini import (
    Action,
    FakeGemini,
    RecordedRequest,
    json_response,
    sse,
    text_events,
    text_response,
)


def cookie_setting(request: RecordedRequest) -> Action:
    """`echo`'s answer, plus a session cookie naming the key that asked (as a gateway or CDN
    in front of it might set)."""
    key = request.headers.get("authorization", "").removeprefix("Bearer ")
    cookie = {"Set-Cookie": f"session=for-{key}; Path=/"}
    text = f"answer to {prompt_of(request)}"
    if request.operation == "streamGenerateContent":
        return sse(text_events([text]), headers=cookie)
    return json_response(text_response(text), headers=cookie)


@pytest.fixture
def setting_cookies() -> Iterator[FakeGemini]:
    with FakeGemini(default=cookie_setting) as fake:
        yield fake


def _cookies(server: FakeGemini) -> list[str | None]:
    return [r.headers.get("cookie") for r in server.requests]


def test_a_cookie_set_for_one_key_is_not_sent_with_another(setting_cookies: FakeGemini) -> None:
    tenant_a = make(setting_cookies.base_url, api_key="key-a")
    tenant_b = make(setting_cookies.base_url, api_key="key-b")
    assert tenant_a.invoke("a1").text == "answer to a1"
    assert tenant_b.invoke("b1").text == "answer to b1"
    assert tenant_a.invoke("a2").text == "answer to a2"
    assert _cookies(setting_cookies) == [None, None, None]


async def test_async_a_cookie_set_for_one_key_is_not_sent_with_another(
    setting_cookies: FakeGemini,
) -> None:
    tenant_a = make(setting_cookies.base_url, api_key="key-a")
    tenant_b = make(setting_cookies.base_url, api_key="key-b")
    assert (await tenant_a.ainvoke("a1")).text == "answer to a1"
    assert (await tenant_b.ainvoke("b1")).text == "answer to b1"
    assert [c async for c in tenant_a.astream("a2")]
    assert _cookies(setting_cookies) == [None, None, None]
