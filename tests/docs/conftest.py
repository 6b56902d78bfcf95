"""Running the documentation examples offline, as a user runs them.

The convention (every example, every guide):

* `docs/examples/NAME.py` is a complete script a user can paste and run: imports,
  `ChatTokenhotGemini(model=...)` taking its key and base URL from the environment
  (`TOKENHOT_API_KEY`, `TOKENHOT_BASE_URL`), printed output. No harness-only parameters.
* Its test starts the fake Gemini server (`server`), answers with a responder written for that
  example, and calls `run_example("NAME")`: with `TOKENHOT_BASE_URL` pointing at the server and
  `TOKENHOT_API_KEY=test` (monkeypatched), in an empty working directory (`tmp_path`), the script
  runs through `runpy.run_path(..., run_name="__main__")`; the script's globals come back for
  assertions. The test asserts on what the server received and on what came back, and
  `printed("NAME")` checks that the output is exactly `docs/examples/output/NAME.txt`
  (`UPDATE_DOC_OUTPUTS=1 python -m pytest tests/docs` rewrites those files).
* A docs page shows the script inline: the line `<!-- example: docs/examples/NAME.py -->`, then
  a fenced ```python block holding the file exactly; output likewise after
  `<!-- output: docs/examples/output/NAME.txt -->` in a ```text block.
  `test_pages.py` keeps pages and files identical (`UPDATE_DOC_OUTPUTS=1` rewrites the pages).
"""

from __future__ import annotations

import os
import runpy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_gemini import FakeGemini

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
OUTPUTS = EXAMPLES / "output"
API_KEY = "test"

RunExample = Callable[[str], dict[str, Any]]


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


@pytest.fixture
def run_example(server: FakeGemini, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RunExample:
    """`run_example("NAME")`: run `docs/examples/NAME.py` against `server`; its globals."""

    def run(name: str) -> dict[str, Any]:
        monkeypatch.setenv("TOKENHOT_BASE_URL", server.base_url)
        monkeypatch.setenv("TOKENHOT_API_KEY", API_KEY)
        monkeypatch.chdir(tmp_path)
        return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__main__")

    return run


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
