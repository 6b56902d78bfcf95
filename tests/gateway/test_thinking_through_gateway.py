"""tests/unit_tests/test_thinking.py again, with the gateway-shaped fake in front of Google."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateway.rerun import server_tests
from tests.support.gateway import FakeGateway
from tests.unit_tests import test_thinking as suite

globals().update(server_tests(suite))


@pytest.fixture
def server() -> Iterator[FakeGateway]:
    with FakeGateway() as fake:
        yield fake
