"""The gateway suite: the package against `FakeGateway` (new-api's behaviour, as read)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from langchain_tokenhot import ChatTokenhotGemini, TokenhotError, _retry
from tests.support.gateway import FakeGateway

KEY = "sk-gateway-test-key"


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway(keys=[KEY]) as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_backoff_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the transport chose (asserted), without sleeping them."""
    waits: list[float] = []
    real = _retry.backoff_delay

    def record(attempt: int, err: TokenhotError) -> float:
        waits.append(real(attempt, err))
        return 0.0

    monkeypatch.setattr(_retry, "backoff_delay", record)
    return waits


def make(gateway: FakeGateway, **kw: Any) -> ChatTokenhotGemini:
    return ChatTokenhotGemini(
        model=kw.pop("model", "gemini-2.5-flash"), api_key=KEY, base_url=gateway.base_url, **kw
    )
