"""pytest-recording set-up for an app built on langchain-tokenhot (copy into your tests/).

Record once with a real key, then replay offline forever:

    TOKENHOT_API_KEY=sk-... pytest --record-mode=once   # records what is missing
    pytest --record-mode=none                           # replays; any new request fails
"""

from __future__ import annotations

import os
from typing import Any

import pytest


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        # The key travels in a header: never write it to a cassette.
        "filter_headers": ["authorization", "x-goog-api-key"],
        "filter_query_parameters": ["key"],
        # Same prompt, same answer: match on the exact request body too.
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
        "decode_compressed_response": True,
    }


@pytest.fixture(autouse=True)
def _replay_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # ChatTokenhotGemini needs some key to be built; replays never send it anywhere.
    if not os.environ.get("TOKENHOT_API_KEY"):
        monkeypatch.setenv("TOKENHOT_API_KEY", "replay-only")
