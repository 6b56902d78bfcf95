"""Retry waits recorded instead of slept, for tests that assert what backoff chose."""

from __future__ import annotations

import pytest

from langchain_tokenhot import TokenhotError, _retry


def record_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the transport chooses from now on (appended in order), none of them slept."""
    waits: list[float] = []
    real = _retry.backoff_delay

    def record(attempt: int, err: TokenhotError) -> float:
        waits.append(real(attempt, err))
        return 0.0

    monkeypatch.setattr(_retry, "backoff_delay", record)
    return waits
