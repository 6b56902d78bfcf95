"""Model ids as they evolve: GA ids next to preview ids, and family inference (issue 16, item 7)."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_tokenhot import ChatTokenhotGemini
from langchain_tokenhot._profiles import PROFILES, THINKING_RULES, family_template, profile_for
from tests.support.fake_gemini import FakeGemini, from_sample


@pytest.mark.parametrize(
    ("ga", "preview"),
    [
        ("gemini-3-flash", "gemini-3-flash-preview"),
        ("gemini-3-pro-image", "gemini-3-pro-image-preview"),
        ("gemini-3.1-flash-image", "gemini-3.1-flash-image-preview"),
    ],
)
def test_ga_ids_share_their_preview_rules(ga: str, preview: str) -> None:
    assert THINKING_RULES[ga] == THINKING_RULES[preview]
    strip = {"name"}
    assert {k: v for k, v in PROFILES[ga].items() if k not in strip} == {
        k: v for k, v in PROFILES[preview].items() if k not in strip
    }
    profile = ChatTokenhotGemini(model=ga, api_key="k").profile
    assert profile is not None and "status" not in profile


@pytest.mark.parametrize(
    ("model", "template"),
    [
        ("gemini-3.5-flash", "gemini-3-flash"),
        ("gemini-3.5-flash-preview", "gemini-3-flash"),
        ("models/gemini-4-pro", "gemini-3.1-pro"),
        ("gemini-3.5-flash-image-preview", "gemini-3.1-flash-image"),
        ("gemini-3.5-pro-image", "gemini-3-pro-image"),
        ("gemini-2.5-flash-preview-09-2025", "gemini-2.5-flash"),
        ("gemini-2.5-pro-tts", "gemini-2.5-pro-preview-tts"),
        ("gemini-2.5-flash-lite", None),
        ("gemini-2.0-flash", None),
        ("gemini-next", None),
        ("text-embedding-004", None),
    ],
)
def test_family_inference(model: str, template: str | None) -> None:
    assert family_template(model) == template
    profile = profile_for(model)
    if template is None:
        assert profile is None
    else:
        assert profile is not None
        assert profile["status"] == "inferred"
        assert profile["name"] == f"{model.removeprefix('models/')} (inferred from {template})"
        rest = {k: v for k, v in profile.items() if k not in ("status", "name")}
        assert rest == {k: v for k, v in PROFILES[template].items() if k != "name"}


def test_inferred_gemini3_gets_gemini3_thinking_rules_on_the_wire() -> None:
    with FakeGemini(default=from_sample("text_gemini3_signature")) as server:
        llm = ChatTokenhotGemini(model="gemini-3.5-flash", api_key="k", base_url=server.base_url)
        llm.invoke("hi", thinking_level="MINIMAL")
        assert server.requests[0].json["generationConfig"]["thinkingConfig"] == {
            "thinkingLevel": "minimal"
        }
        assert server.requests[0].path == "/v1beta/models/gemini-3.5-flash:generateContent"


@pytest.mark.parametrize(
    ("model", "options", "match"),
    [
        ("gemini-3.5-pro", {"thinking_level": "minimal"}, "not in the model table"),
        ("gemini-3.5-flash-image", {"thinking_budget": 100}, "takes no thinking_budget"),
        ("gemini-2.5-flash-preview-09-2025", {"thinking_level": "low"}, "takes no thinking_level"),
    ],
)
def test_inferred_rules_refuse_before_sending(
    model: str, options: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        ChatTokenhotGemini(model=model, api_key="k", **options)


def test_unchecked_escape_hatch_for_inferred_rules() -> None:
    with FakeGemini(default=from_sample("text_gemini3_signature")) as server:
        llm = ChatTokenhotGemini(
            model="gemini-3.5-pro",
            api_key="k",
            base_url=server.base_url,
            model_kwargs={"thinkingConfig": {"thinkingLevel": "minimal"}},
        )
        llm.invoke("hi")
        config = server.requests[0].json["generationConfig"]
        assert config["thinkingConfig"] == {"thinkingLevel": "minimal"}


def test_unknown_family_is_left_to_the_server() -> None:
    llm = ChatTokenhotGemini(model="gemini-next", api_key="k", thinking_level="whatever")
    assert llm.profile is None


async def test_inferred_model_streams_blocks_and_sends_its_rules() -> None:
    """Gemini 3 family: signed blocks in the stream, the level checked and sent (async too)."""
    with FakeGemini(default=from_sample("stream_signature_on_empty_text_gemini3")) as server:
        llm = ChatTokenhotGemini(
            model="gemini-3.5-flash", api_key="k", base_url=server.base_url, thinking_level="low"
        )
        chunks = list(llm.stream("hi"))
        achunks = [c async for c in llm.astream("hi")]
    for got in (chunks, achunks):
        assert all(isinstance(c.content, list) for c in got)
        merged = got[0]
        for chunk in got[1:]:
            merged += chunk
        assert any("signature" in (b.get("extras") or {}) for b in merged.content)
    for request in server.requests:
        assert request.json["generationConfig"]["thinkingConfig"] == {"thinkingLevel": "low"}
