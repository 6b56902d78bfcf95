"""The gateway suite: the package against `FakeGateway` (new-api's behaviour, as read)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from langchain_tokenhot import ChatTokenhotGemini
from tests.support.backoff import record_backoff
from tests.support.gateway import FakeGateway

KEY = "sk-gateway-test-key"


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway(keys=[KEY]) as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_backoff_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the transport chose (asserted), without sleeping them."""
    return record_backoff(monkeypatch)


def make(gateway: FakeGateway, **kw: Any) -> ChatTokenhotGemini:
    return ChatTokenhotGemini(
        model=kw.pop("model", "gemini-2.5-flash"), api_key=KEY, base_url=gateway.base_url, **kw
    )
