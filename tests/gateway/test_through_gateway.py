"""What a new user meets through Tokenhot's gateway: errors, ids, token counting, model list.

Every test runs against `FakeGateway` and asserts what reached the upstream (`requests`), what
the client sent (`client_requests`) and what the caller got.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    trim_messages,
)

from langchain_tokenhot import (
    ChatTokenhotGemini,
    CountTokensBilledWarning,
    TokenhotAuthenticationError,
    TokenhotInvalidRequestError,
    TokenhotNotFoundError,
    TokenhotQuotaExhaustedError,
    TokenhotResponseError,
    UnsupportedContentError,
    _token_count,
)
from tests.gateway.conftest import KEY, make
from tests.support import gateway as gw
from tests.support.fake_gemini import cut_sse_mid_event, from_sample, load_sample_events
from tests.support.gateway import FakeGateway

# -- errors, end to end -------------------------------------------------------------------------


def test_mistyped_model_fails_at_once_naming_the_model(gateway: FakeGateway) -> None:
    llm = make(gateway, model="gemini-2.5-flsh")
    with pytest.raises(TokenhotNotFoundError) as info:
        llm.invoke("hi")
    assert "'gemini-2.5-flsh'" in info.value.message and "list_models()" in info.value.message
    assert len(gateway.client_requests) == 1  # not retried as an outage
    assert gateway.requests == []  # and nothing reached Google


def test_wrong_key_names_the_environment_variable(gateway: FakeGateway) -> None:
    llm = ChatTokenhotGemini(model="gemini-2.5-flash", api_key="sk-typo", base_url=gateway.base_url)
    with pytest.raises(TokenhotAuthenticationError, match="TOKENHOT_API_KEY"):
        llm.invoke("hi")
    assert len(gateway.client_requests) == 1


@pytest.mark.parametrize(
    "answer", [gw.insufficient_user_quota(), gw.token_quota_exhausted()], ids=["balance", "key"]
)
def test_exhausted_quota_is_not_retried(gateway: FakeGateway, answer: Any) -> None:
    gateway.answer(answer)
    with pytest.raises(TokenhotQuotaExhaustedError, match="exhausted"):
        make(gateway).invoke("hi")
    assert len(gateway.client_requests) == 1


def test_empty_429_backs_off_then_succeeds(gateway: FakeGateway, no_backoff_sleep: list) -> None:
    gateway.answer(gw.rate_limited_empty(), gw.rate_limited_empty())
    assert make(gateway).invoke("hi").text
    assert len(gateway.client_requests) == 3
    assert len(no_backoff_sleep) == 2 and 0 < no_backoff_sleep[0] <= no_backoff_sleep[1] * 2


def test_unreachable_upstream_is_retried_as_an_outage(gateway: FakeGateway) -> None:
    from tests.support.fake_gemini import reset

    gateway.enqueue(reset())  # the upstream resets; the gateway says do_request_failed
    assert make(gateway).invoke("hi").text
    assert len(gateway.requests) == 2


def test_upstream_stream_cut_is_not_a_short_answer(gateway: FakeGateway) -> None:
    # new-api ends the stream cleanly when the upstream breaks: only the missing finishReason
    # betrays the cut.
    gateway.enqueue(cut_sse_mid_event(load_sample_events("stream_text"), after=2))
    with pytest.raises(TokenhotResponseError, match="no finishReason"):
        list(make(gateway).stream("count"))


def test_stream_through_gateway_is_lf_framed_and_complete(gateway: FakeGateway) -> None:
    gateway.enqueue(from_sample("stream_text"))
    chunks = list(make(gateway).stream("count"))
    assert chunks[-1].response_metadata["finish_reason"] == "STOP"
    assert gateway.requests[0].query == {"alt": "sse"}


# -- fields the DTO drops -----------------------------------------------------------------------


def tool_history() -> list[BaseMessage]:
    return [
        HumanMessage("Weather in Paris?"),
        AIMessage(
            "",
            tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}],
            response_metadata={"model_provider": "openai"},
        ),
        ToolMessage("21C", tool_call_id="call_1"),
    ]


def upstream_ids(gateway: FakeGateway) -> tuple[list[Any], list[Any]]:
    parts = [p for c in gateway.requests[-1].json["contents"] for p in c["parts"]]
    calls = [p["functionCall"].get("id") for p in parts if "functionCall" in p]
    responses = [p["functionResponse"].get("id") for p in parts if "functionResponse" in p]
    return calls, responses


def test_call_ids_are_not_split_by_the_gateway(gateway: FakeGateway) -> None:
    history = tool_history()
    history[1].response_metadata = {}  # an id-carrying history of unknown origin
    make(gateway).invoke(history)
    assert upstream_ids(gateway) == ([None], [None])  # neither half: Google pairs by order


def test_opting_into_ids_through_the_dto_splits_the_pair(gateway: FakeGateway) -> None:
    # Why the default is off: the DTO keeps functionResponse.id and drops functionCall.id.
    history = tool_history()
    history[1].response_metadata = {}
    make(gateway, send_function_call_ids=True).invoke(history)
    assert upstream_ids(gateway) == ([None], ["call_1"])


def test_pass_through_gateway_keeps_both_ids() -> None:
    with FakeGateway(pass_through=True) as fake:
        history = tool_history()
        history[1].response_metadata = {}
        make(fake, send_function_call_ids=True).invoke(history)
        assert upstream_ids(fake) == (["call_1"], ["call_1"])


def test_system_instruction_reaches_google(gateway: FakeGateway) -> None:
    make(gateway).invoke([SystemMessage("Be brief."), HumanMessage("hi")])
    assert gateway.requests[0].json["systemInstruction"] == {"parts": [{"text": "Be brief."}]}


def test_system_message_without_text_is_refused_before_sending(gateway: FakeGateway) -> None:
    image = {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"}
    with pytest.raises(UnsupportedContentError, match="no text"):
        make(gateway).invoke([SystemMessage([image]), HumanMessage("hi")])
    assert gateway.client_requests == []


# -- token counting -----------------------------------------------------------------------------


def conversation(n: int) -> list[BaseMessage]:
    messages: list[BaseMessage] = [SystemMessage("You answer in one sentence.")]
    for i in range(n):
        messages += [HumanMessage(f"Question {i}: " + "word " * 30), AIMessage(f"Answer {i}.")]
    return messages


def test_default_counting_is_local_and_trim_messages_sends_nothing(gateway: FakeGateway) -> None:
    llm = make(gateway)
    messages = conversation(20)
    trimmed = trim_messages(
        messages, max_tokens=200, token_counter=llm, strategy="last", include_system=True
    )
    assert gateway.client_requests == []  # no request, nothing billed
    assert isinstance(trimmed[0], SystemMessage) and 1 < len(trimmed) < len(messages)
    assert llm.get_num_tokens_from_messages(trimmed) <= 200
    assert llm.get_num_tokens("hello world, " * 100) == pytest.approx(325, rel=0.05)


def test_server_counting_through_the_gateway_reads_the_generation_and_warns_once(
    gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_token_count, "_warned", set())
    llm = make(gateway, token_counter="server")
    with pytest.warns(CountTokensBilledWarning, match="billed"):
        first = llm.get_num_tokens("hello")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = llm.get_num_tokens_from_messages([HumanMessage("hello again")])
    # DefaultResponder's generation reports promptTokenCount 9.
    assert first == second == 9
    # The gateway ran (and would bill) a generation for each count.
    assert [r.operation for r in gateway.requests] == ["generateContent", "generateContent"]
    assert gateway.client_requests[0].json == {
        "contents": [{"role": "user", "parts": [{"text": "hello"}]}]
    }


def test_server_counting_with_a_system_message_is_refused_by_the_gateway(
    gateway: FakeGateway,
) -> None:
    llm = make(gateway, token_counter="server")
    with pytest.raises(TokenhotInvalidRequestError, match="contents is required"):
        llm.get_num_tokens_from_messages([SystemMessage("sys"), HumanMessage("hi")])
    assert "generateContentRequest" in gateway.client_requests[0].json
    assert gateway.requests == []


# -- model list ---------------------------------------------------------------------------------


def test_list_models_through_the_gateway(gateway: FakeGateway) -> None:
    models = make(gateway).list_models()
    assert [m.id for m in models] == list(gateway.models)
    flash = models[0]
    assert flash.id == "gemini-2.5-flash" and flash.display_name == "gemini-2.5-flash"
    assert flash.profile is not None and flash.profile["max_input_tokens"]
    request = gateway.client_requests[0]
    assert request.method == "GET" and request.path == "/v1beta/models"
    assert request.headers["authorization"] == f"Bearer {KEY}"


async def test_alist_models_and_unknown_models_have_no_profile() -> None:
    with FakeGateway(models=["gemini-2.5-flash", "gemini-9-ultra"]) as fake:
        models = await make(fake).alist_models()
    assert [(m.id, m.profile is None) for m in models] == [
        ("gemini-2.5-flash", False),
        ("gemini-9-ultra", True),
    ]


def test_list_models_with_a_wrong_key(gateway: FakeGateway) -> None:
    llm = ChatTokenhotGemini(model="gemini-2.5-flash", api_key="sk-typo", base_url=gateway.base_url)
    with pytest.raises(TokenhotAuthenticationError, match="TOKENHOT_API_KEY"):
        llm.list_models()
