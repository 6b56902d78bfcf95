"""`list_models()` against Google's own shape: `models/` names, pages, an empty list."""

from __future__ import annotations

import pytest

from langchain_tokenhot import ChatTokenhotGemini, ModelInfo, TokenhotResponseError
from langchain_tokenhot._catalog import models_from_pages
from tests.support.fake_gemini import Action, FakeGemini, RecordedRequest, json_response

PAGES = {
    "": {
        "models": [
            {"name": "models/gemini-2.5-flash", "displayName": "Gemini 2.5 Flash"},
            {"name": "models/embedding-001", "displayName": "Embedding 001"},
        ],
        "nextPageToken": "page/2=",
    },
    "page/2=": {"models": [{"name": "models/gemini-3-flash-preview"}]},
}


def google_lister(request: RecordedRequest) -> Action:
    assert request.method == "GET" and request.path == "/v1beta/models"
    assert request.query["pageSize"] == "1000"
    return json_response(PAGES[request.query.get("pageToken", "")])


def test_google_pages_are_followed_and_prefixes_dropped() -> None:
    with FakeGemini(default=google_lister) as server:
        llm = ChatTokenhotGemini(model="gemini-2.5-flash", api_key="k", base_url=server.base_url)
        models = llm.list_models()
        assert len(server.requests) == 2
    assert [m.id for m in models] == ["gemini-2.5-flash", "embedding-001", "gemini-3-flash-preview"]
    assert models[0].display_name == "Gemini 2.5 Flash"
    assert models[2].display_name == "gemini-3-flash-preview"  # none given: the id
    assert models[1].profile is None and models[0].profile is not None
    assert isinstance(models[0], ModelInfo)


def test_empty_list_and_duplicates() -> None:
    assert models_from_pages([{}]) == []
    page = {"models": [{"name": "gemini-2.5-flash"}, {"name": "models/gemini-2.5-flash"}, {}]}
    assert [m.id for m in models_from_pages([page])] == ["gemini-2.5-flash"]


def test_a_body_without_models_is_an_error_not_an_empty_list() -> None:
    with pytest.raises(TokenhotResponseError, match="models list"):
        models_from_pages([{"data": []}])
