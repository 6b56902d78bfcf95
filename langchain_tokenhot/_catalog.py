"""`list_models()`: the answer of `GET /v1beta/models` as `ModelInfo`s (pure).

Google names models `models/gemini-2.5-flash` and pages the list with `nextPageToken`; a
new-api gateway lists the models the key may use, named without the prefix, in one page.
Both are read the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from langchain_core.language_models.model_profile import ModelProfile

from ._exceptions import TokenhotResponseError
from ._profiles import base_model_id, profile_for

PAGE_SIZE = 1000
"""Google's largest page; a gateway ignores the parameter."""


@dataclass(frozen=True)
class ModelInfo:
    """One model the key can use.

    Attributes:
        id: the model id to pass as `model=` (no `models/` prefix).
        display_name: the server's display name, or the id.
        profile: the package's profile of the model (context window, modalities, thinking
            options), or None for a model this version of the package does not know.
    """

    id: str
    display_name: str
    profile: ModelProfile | None


def models_path(page_token: str | None) -> str:
    """The request path of one page of the model list."""
    path = f"/v1beta/models?pageSize={PAGE_SIZE}"
    return f"{path}&pageToken={quote(page_token, safe='')}" if page_token else path


def next_page_token(page: Any) -> str | None:
    token = page.get("nextPageToken") if isinstance(page, dict) else None
    return token if isinstance(token, str) and token else None


def models_from_pages(pages: Sequence[Any]) -> list[ModelInfo]:
    """Every model of every page, in the server's order, each id once."""
    seen: set[str] = set()
    models: list[ModelInfo] = []
    for page in pages:
        entries = page.get("models") if isinstance(page, dict) else None
        if entries is None and isinstance(page, dict) and not page:
            continue  # Google answers {} when the list is empty
        if not isinstance(entries, list):
            keys = sorted(page) if isinstance(page, dict) else type(page).__name__
            raise TokenhotResponseError(
                f"GET /v1beta/models answered without a models list (got {keys})",
                status_code=200,
            )
        for entry in entries:
            name = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(name, str) or not name:
                continue
            model_id = base_model_id(name)
            if model_id in seen:
                continue
            seen.add(model_id)
            display = entry.get("displayName")
            models.append(
                ModelInfo(
                    id=model_id,
                    display_name=display if isinstance(display, str) and display else model_id,
                    profile=profile_for(model_id),
                )
            )
    return models
