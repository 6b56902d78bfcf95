"""Docs pages show their examples inline, exactly as stored (see conftest.py, the convention).

Every `<!-- example: PATH -->` line is followed by a ```python block equal to the file at PATH,
and every `<!-- output: PATH -->` line by a ```text block equal to that output file, so a page
reads on its own (on the repository page, in an editor) and never drifts from what the tests
run. `UPDATE_DOC_OUTPUTS=1 python -m pytest tests/docs` rewrites the blocks from the files.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.docs.conftest import EXAMPLES, ROOT

DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if EXAMPLES not in p.parents)
BLOCK = re.compile(
    r"^<!-- (?P<kind>example|output): (?P<path>\S+) -->\n"
    r"```(?P<lang>\w+)\n(?P<body>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
LANG = {"example": "python", "output": "text"}


def blocks(text: str) -> list[re.Match[str]]:
    return list(BLOCK.finditer(text))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_inline_blocks_equal_their_files(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    markers = re.findall(r"^<!-- (?:example|output): .*-->$", text, re.MULTILINE)
    found = blocks(text)
    assert len(found) == len(markers), (
        f"{page.name}: a `<!-- example/output: PATH -->` line is not directly followed by a "
        "fenced block"
    )
    if os.environ.get("UPDATE_DOC_OUTPUTS"):
        for match in reversed(found):
            body = (ROOT / match["path"]).read_text(encoding="utf-8")
            fence = f"<!-- {match['kind']}: {match['path']} -->\n```{LANG[match['kind']]}\n"
            text = text[: match.start()] + fence + body + "```" + text[match.end() :]
        page.write_text(text, encoding="utf-8")
        found = blocks(text)
    for match in found:
        path = ROOT / match["path"]
        assert path.is_file(), f"{page.name} shows {match['path']}, which does not exist"
        assert match["lang"] == LANG[match["kind"]], f"{page.name}: {match['path']} fence"
        assert match["body"] == path.read_text(encoding="utf-8"), (
            f"{page.name} shows {match['path']} differently from the file; "
            "rerun with UPDATE_DOC_OUTPUTS=1 to copy the file into the page"
        )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_no_snippet_includes(page: Path) -> None:
    """An include shows a file path on the repository page, not the code."""
    assert "--8<--" not in page.read_text(encoding="utf-8"), f"{page.name} uses --8<-- includes"


def test_every_example_is_shown_on_a_page_and_run_by_a_test() -> None:
    shown = {m["path"] for page in PAGES for m in blocks(page.read_text(encoding="utf-8"))}
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests/docs").glob("*.py"))
    for example in sorted(EXAMPLES.glob("*.py")):
        rel = example.relative_to(ROOT).as_posix()
        assert rel in shown, f"{rel} is on no docs page (add `<!-- example: {rel} -->`)"
        runs = re.search(rf'run_example\(\s*"{re.escape(example.stem)}"', tests)
        assert runs, f"no test in tests/docs runs {rel}"
