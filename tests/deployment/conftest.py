"""The deployment suite: the package in the process shapes applications run it in (forked
workers, spawn pools, one event loop per request, per-tenant copies, thread pools).

Black-box: every test asserts on what the fake server received (requests, keys, connections
accepted) and what the caller got, never on the package's internals.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deployment.workers import echo
from tests.support.fake_gemini import FakeGemini


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini(default=echo) as fake:
        yield fake
