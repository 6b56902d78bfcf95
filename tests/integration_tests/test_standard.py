"""langchain-tests standard integration suite for ChatTokenhotGemini, replayed from cassettes.

Every test records/replays `cassettes/TestChatTokenhotGeminiIntegration/<test name>.yaml`
(see conftest.py for the VCR set-up and cassettes/README.md for where each cassette's bodies
came from). Rebuild or re-record them all with `python scripts/record_cassettes.py`.
"""

from __future__ import annotations

import itertools
import os
import types
import uuid
from typing import Any

import langchain_core.utils.function_calling as lc_function_calling
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_tokenhot import ChatTokenhotGemini
from tests.capabilities import TokenhotCapabilities
from tests.integration_tests.conftest import BUILD, RECORD_BASE_URL

pytestmark = pytest.mark.vcr

OFFLINE_KEY = "offline-replay-key"

REASONING_PROMPT = "What is 17 * 24? Think it through, then answer with the number only."


def cache_document() -> str:
    """A deterministic ~2,300-token document, long enough for Gemini's implicit prompt cache."""
    lines = [
        f"Section {i}: The harbour log for week {i} records {40 + 7 * i} arrivals, "
        f"{31 + 5 * i} departures and {i % 4} days of storm warnings; the lighthouse keeper "
        f"noted that the north pier lamp was serviced on day {1 + i % 7} of the week."
        for i in range(1, 13)
    ]
    body = "\n".join(lines)
    return "Read this document carefully.\n\n" + "\n\n".join([body] * 4)


@pytest.fixture(autouse=True)
def _deterministic_example_ids(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stable tool-call ids from langchain-core's `tool_example_to_messages`.

    It stamps each few-shot example with `uuid.uuid4()`, and those ids go into the request body
    (`functionCall.id` / `functionResponse.id`); cassettes match on exact body bytes, so the ids
    must be the same at record and replay time. Only that module's `uuid` is replaced.
    """
    counter = itertools.count()
    name = request.node.name

    def uuid4() -> uuid.UUID:
        return uuid.uuid5(
            uuid.NAMESPACE_URL, f"langchain-tokenhot-cassettes/{name}/{next(counter)}"
        )

    monkeypatch.setattr(lc_function_calling, "uuid", types.SimpleNamespace(uuid4=uuid4))


def _collect(llm: ChatTokenhotGemini, messages: list[BaseMessage], *, stream: bool) -> AIMessage:
    if not stream:
        return llm.invoke(messages)
    full: AIMessageChunk | None = None
    for chunk in llm.stream(messages):
        full = chunk if full is None else full + chunk
    assert full is not None
    return full


class TestChatTokenhotGeminiIntegration(TokenhotCapabilities, ChatModelIntegrationTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "model": "gemini-3-flash-preview",
            "api_key": os.environ.get("TOKENHOT_API_KEY") or OFFLINE_KEY,
            "max_retries": 0,
            # Recording (offline build or live) talks to TOKENHOT_BASE_URL when set; replays
            # always use the default URL that the cassettes hold.
            "base_url": RECORD_BASE_URL,
            # An offline build reroutes media downloads to the fake server on 127.0.0.1 (below
            # vcrpy), which the media-URL policy refuses unless allowed; replays and live
            # recordings download nothing from loopback, so the option changes nothing there.
            **({"media_allowed_hosts": ["127.0.0.1"]} if BUILD else {}),
        }

    @property
    def enable_vcr_tests(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "gemini-2.5-flash"

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[str]]:  # type: ignore[override]
        return {
            "invoke": ["reasoning_output", "cache_read_input"],
            "stream": ["reasoning_output", "cache_read_input"],
        }

    def _llm(self, **overrides: Any) -> ChatTokenhotGemini:
        return ChatTokenhotGemini(**{**self.chat_model_params, **overrides})

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        llm = self._llm(thinking_level="low")
        return _collect(llm, [HumanMessage(REASONING_PROMPT)], stream=stream)

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        # Gemini caches long prompt prefixes implicitly: send the document once, then ask a
        # second question after the same prefix and report that answer's usage.
        llm = self._llm()
        document = {"type": "text", "text": cache_document()}

        def ask(question: str) -> HumanMessage:
            return HumanMessage([document, {"type": "text", "text": question}])

        llm.invoke([ask("Reply with OK once you have read the document.")])
        return _collect(
            llm,
            [ask("How many sections does each copy of the document have? Number only.")],
            stream=stream,
        )
