"""A proxy set in the environment is still honoured by the shared clients (httpx applies
environment proxies only to clients whose transport it builds itself)."""

from __future__ import annotations

import asyncio

import pytest

from tests.deployment.workers import make
from tests.support.fake_gemini import FakeGemini


def test_an_environment_proxy_carries_the_calls(
    server: FakeGemini, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", server.base_url)  # the fake server plays the proxy
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    llm = make("http://gemini.example.test")
    # A new event loop builds its client now, with the proxy in the environment.
    assert asyncio.run(llm.ainvoke("via proxy")).text == "answer to via proxy"
    assert server.requests[0].path == (
        "http://gemini.example.test/v1beta/models/gemini-2.5-flash:generateContent"
    )
