"""tests/unit_tests/test_multimodal.py again, with the gateway-shaped fake in front of Google."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateway.rerun import server_tests
from tests.support.gateway import FakeGateway
from tests.unit_tests import test_multimodal as suite

_DOWNLOADS = "the media URL is served by the fake Google itself; a gateway serves no media"
globals().update(
    server_tests(
        suite,
        skip={
            "test_http_image_url_is_downloaded_and_inlined": _DOWNLOADS,
            "test_async_download": _DOWNLOADS,
            "test_download_size_cap": _DOWNLOADS,
            "test_failed_download_is_reported_before_generation": _DOWNLOADS,
            # With a system message and tools, counting needs the generateContentRequest form,
            # which the gateway refuses: asserted in test_through_gateway.py.
            "test_count_tokens_is_one_call_for_the_whole_conversation": "refused by the gateway",
        },
    )
)


@pytest.fixture
def server() -> Iterator[FakeGateway]:
    with FakeGateway(default=suite.media_and_gemini) as fake:
        yield fake
