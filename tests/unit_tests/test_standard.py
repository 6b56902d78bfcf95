"""langchain-tests standard unit suite for ChatTokenhotGemini."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_tests.unit_tests import ChatModelUnitTests
from syrupy.assertion import SnapshotAssertion

from tests.capabilities import TokenhotCapabilities


class TestChatTokenhotGeminiUnit(TokenhotCapabilities, ChatModelUnitTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "gemini-2.5-flash", "api_key": "test-key"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"TOKENHOT_API_KEY": "env-key", "TOKENHOT_BASE_URL": "https://gw.example/v1beta/"},
            {"model": "gemini-2.5-flash"},
            {"base_url": "https://gw.example/v1beta/"},
        )

    @pytest.mark.xfail(
        reason="load(allowed_objects='all') admits only classes listed in langchain-core's own "
        "serialization mapping, which a new partner package cannot join; the same round trip "
        "with allowed_objects=[ChatTokenhotGemini] is tested in test_chat_models.py",
        strict=True,
    )
    def test_serdes(self, model: BaseChatModel, snapshot: SnapshotAssertion) -> None:
        super().test_serdes(model, snapshot)
