"""tests/unit_tests/test_chat_models.py again, with the gateway-shaped fake in front of Google."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateway.rerun import server_tests
from tests.support.gateway import FakeGateway
from tests.unit_tests import test_chat_models as suite

globals().update(
    server_tests(
        suite,
        skip={
            # The DTO always writes generationConfig (a struct: omitempty does not apply), so
            # Google gets `"generationConfig": {}`; everything set still arrives.
            "test_only_set_fields_go_on_the_wire": "generationConfig is always written",
        },
    )
)


@pytest.fixture
def server() -> Iterator[FakeGateway]:
    with FakeGateway() as fake:
        yield fake
