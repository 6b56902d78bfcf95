"""Fixtures for running the documentation examples offline.

Each example in `docs/examples/` exposes `main(llm=None, ...)`. A test starts the fake Gemini
server on 127.0.0.1 with a responder written for that example, hands `main` a
`ChatTokenhotGemini` pointed at it, asserts on what came back and on what was sent, and checks
that what the example printed is exactly `docs/examples/output/<name>.txt`, the output the
guides show (`UPDATE_DOC_OUTPUTS=1 python -m pytest tests/docs` rewrites those files).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from langchain_tokenhot import ChatTokenhotGemini
from tests.support.fake_gemini import FakeGemini

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
OUTPUTS = EXAMPLES / "output"


def load_example(name: str) -> ModuleType:
    """Import `docs/examples/<name>.py` as a fresh module."""
    module_name = f"docs_example_{name}"
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


@pytest.fixture
def make_llm(server: FakeGemini) -> Any:
    def make(model: str, **kwargs: Any) -> ChatTokenhotGemini:
        return ChatTokenhotGemini(
            model=model, api_key="test", base_url=server.base_url, max_retries=0, **kwargs
        )

    return make


@pytest.fixture
def printed(capsys: pytest.CaptureFixture[str]) -> Any:
    """`printed("name")`: what the example printed so far, checked against its output file."""

    def check(name: str) -> str:
        out = capsys.readouterr().out
        path = OUTPUTS / f"{name}.txt"
        if os.environ.get("UPDATE_DOC_OUTPUTS"):
            path.write_text(out, encoding="utf-8")
        assert path.is_file(), f"{path} missing: run with UPDATE_DOC_OUTPUTS=1"
        assert out == path.read_text(encoding="utf-8"), (
            f"{name}.py printed something else than {path.name} (shown in the docs); "
            "rerun with UPDATE_DOC_OUTPUTS=1 if the change is intended"
        )
        return out

    return check
