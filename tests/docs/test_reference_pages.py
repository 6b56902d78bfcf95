"""The reference pages stay true to the code: every field documented, the model table current."""

from __future__ import annotations

import re

from langchain_core.language_models import BaseChatModel

from langchain_tokenhot import ChatTokenhotGemini
from langchain_tokenhot._profiles import PROFILES, THINKING_RULES
from tests.docs.conftest import ROOT

DOCS = ROOT / "docs"


def _yes(flag: object) -> str:
    return "✅" if flag else "—"


def model_rows() -> list[str]:
    """The rows of the table in docs/reference/models.md, built from the profiles."""
    rows = []
    for model, p in PROFILES.items():
        rules = THINKING_RULES[model]
        inputs = [k for k in ("text", "image", "pdf", "audio", "video") if p.get(f"{k}_inputs")]
        outputs = [k for k in ("text", "image", "audio") if p.get(f"{k}_outputs")]
        if not rules.thinks:
            thinking = "no"
        else:
            parts = []
            if rules.levels:
                parts.append("levels " + ", ".join(rules.levels))
            if rules.budget:
                parts.append(f"budget {rules.budget[0]:,}–{rules.budget[1]:,}")
            thinking = "; ".join(parts) or "yes"
        rows.append(
            f"| `{model}` | {p['name']} | {p['max_input_tokens']:,} | {p['max_output_tokens']:,} "
            f"| {', '.join(inputs)} | {', '.join(outputs)} | {_yes(p.get('tool_calling'))} "
            f"| {_yes(p.get('structured_output'))} | {thinking} |"
        )
    return rows


def test_model_table_matches_profiles() -> None:
    page = (DOCS / "reference" / "models.md").read_text()
    table = [line for line in page.splitlines() if line.startswith("| `gemini")]
    assert table == model_rows(), "\n" + "\n".join(model_rows())


def test_every_constructor_field_is_documented() -> None:
    page = (DOCS / "reference" / "configuration.md").read_text()
    first_cells = {m.group(1) for m in re.finditer(r"^\| `(\w+)`", page, re.MULTILINE)}
    own = set(ChatTokenhotGemini.model_fields) - set(BaseChatModel.model_fields)
    assert own - first_cells == set()
    for name, field in ChatTokenhotGemini.model_fields.items():
        if field.alias and name in own:
            assert f"`{name}` (`{field.alias}`)" in page, name


def test_every_exported_error_is_documented() -> None:
    import langchain_tokenhot

    page = (DOCS / "reference" / "errors.md").read_text()
    errors = [n for n in langchain_tokenhot.__all__ if n.endswith("Error")]
    missing = [n for n in errors if f"`{n}`" not in page]
    assert missing == []
