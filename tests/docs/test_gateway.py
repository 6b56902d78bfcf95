"""docs/examples/gateway.py, run as a user would, against the gateway-shaped fake."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.conftest import RunExample
from tests.support.gateway import FakeGateway

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "gateway.py"
PAGE = ROOT / "docs" / "guides" / "gateway.md"


@pytest.fixture
def server() -> Iterator[FakeGateway]:
    """The gateway-shaped fake in place of the plain one, for `run_example`."""
    with FakeGateway(models=["gemini-2.5-flash", "gemini-9-ultra"], keys=["test"]) as gateway:
        yield gateway


def test_gateway_example(
    server: FakeGateway, run_example: RunExample, capsys: pytest.CaptureFixture[str]
) -> None:
    run_example("gateway")
    sent = server.client_requests
    upstream = server.requests
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "gemini-2.5-flash: 1048576"
    assert printed[1] == "gemini-9-ultra: no profile"
    kept = re.fullmatch(r"kept (\d+) of 31 messages, about (\d+) tokens", printed[2])
    assert kept and 1 < int(kept.group(1)) < 31 and int(kept.group(2)) <= 2_000
    assert printed[3]  # the model's answer
    # One listing and one generation: trimming sent nothing (and cost nothing).
    assert [(r.method, r.operation) for r in sent] == [("GET", None), ("POST", "generateContent")]
    body = upstream[0].json
    assert body["systemInstruction"] == {"parts": [{"text": "You are terse."}]}
    assert len(body["contents"]) == 1  # consecutive human messages merge into one turn
    assert len(body["contents"][0]["parts"]) == int(kept.group(1)) - 1


def test_page_shows_the_example_verbatim() -> None:
    page = PAGE.read_text()
    marker = "<!-- example: docs/examples/gateway.py -->\n```python\n"
    assert marker in page
    shown = page.split(marker, 1)[1].split("```\n", 1)[0]
    assert shown == EXAMPLE.read_text()
