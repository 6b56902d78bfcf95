"""Options never silently dropped: unknown names refused, per-call values win and are validated
like constructor values, documented forms normalized, header secrets masked (issue 13, items
2-8). Wire assertions are on what the local fake server received.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.runnables import ConfigurableField
from langchain_core.tools import tool

from langchain_tokenhot import (
    ChatTokenhotGemini,
    InvalidOptionError,
    TokenhotError,
    TokenhotInvalidRequestError,
    UnknownOptionError,
)
from langchain_tokenhot._messages import BYPASS_SIGNATURE, FUNCTION_CALL_SIGNATURES_KEY
from tests.support.fake_gemini import (
    FakeGemini,
    RecordedRequest,
    error,
    google_error,
    json_response,
    sse,
)

KEY = "sk-options-0123456789abcdef"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh(server: FakeGemini) -> None:
    server.clear()


def make(server: FakeGemini, model: str = "gemini-2.5-flash", **kw: Any) -> ChatTokenhotGemini:
    return ChatTokenhotGemini(model=model, api_key=KEY, base_url=server.base_url, **kw)


def sent(server: FakeGemini) -> RecordedRequest:
    [request] = server.requests
    return request


@tool
def get_weather(city: str) -> str:
    """Weather in a city."""
    return "sunny"


# -- 2. unknown options are refused, naming the closest valid one -------------------------------


def test_misspelt_constructor_option_is_refused_with_a_suggestion() -> None:
    with pytest.raises(UnknownOptionError) as caught:
        ChatTokenhotGemini(model="gemini-2.5-flash", api_key=KEY, temprature=0.2)
    err = caught.value
    assert err.option == "temprature" and err.suggestion == "temperature"
    assert "'temprature'" in str(err) and "Did you mean 'temperature'?" in str(err)
    assert isinstance(err, ValueError) and isinstance(err, TypeError)


def test_unknown_constructor_option_without_a_close_match() -> None:
    with pytest.raises(UnknownOptionError, match="'frobnicate'") as caught:
        ChatTokenhotGemini(model="gemini-2.5-flash", api_key=KEY, frobnicate=1)
    assert caught.value.suggestion is None
    assert "model_kwargs" in str(caught.value)


def test_every_declared_field_and_alias_is_accepted() -> None:
    # The check is derived from the declared fields, so a field added later (service_tier,
    # issue 16) is accepted without touching it.
    base = ChatTokenhotGemini(model="gemini-2.5-flash", api_key=KEY)
    for name, field in ChatTokenhotGemini.model_fields.items():
        for spelling in {name, field.alias} - {None, "model", "api_key"}:
            ChatTokenhotGemini(
                model="gemini-2.5-flash", api_key=KEY, **{spelling: getattr(base, name)}
            )


def test_service_tier_is_not_silently_dropped() -> None:
    if "service_tier" in ChatTokenhotGemini.model_fields:
        pytest.skip("service_tier is a declared field (issue 16); its wire test is there")
    with pytest.raises(UnknownOptionError, match="'service_tier'"):
        ChatTokenhotGemini(model="gemini-2.5-flash", api_key=KEY, service_tier="flex")


@pytest.mark.parametrize("how", ["invoke", "bind"])
def test_misspelt_per_call_option_is_refused_before_any_request(
    server: FakeGemini, how: str
) -> None:
    llm = make(server)
    with pytest.raises(UnknownOptionError, match="Did you mean 'temperature'") as caught:
        if how == "invoke":
            llm.invoke("hi", temprature=0.1)
        else:
            llm.bind(temprature=0.1).invoke("hi")
    assert caught.value.option == "temprature"
    assert "generation_config" in str(caught.value)
    assert server.requests == []


# -- 3. precedence: a per-call value always wins, and LangSmith records what was sent -----------


class _LsParams(BaseCallbackHandler):
    def __init__(self) -> None:
        self.metadata: dict[str, Any] = {}

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.metadata = kwargs.get("metadata") or {}


def test_per_call_temperature_beats_model_kwargs_and_is_what_langsmith_records(
    server: FakeGemini,
) -> None:
    seen = _LsParams()
    make(server, model_kwargs={"temperature": 0.5}).invoke(
        "hi", temperature=0.9, config={"callbacks": [seen]}
    )
    assert sent(server).json["generationConfig"]["temperature"] == 0.9
    assert seen.metadata["ls_temperature"] == 0.9


def test_model_kwargs_value_is_recorded_when_it_is_what_was_sent(server: FakeGemini) -> None:
    seen = _LsParams()
    make(server, model_kwargs={"temperature": 0.5, "maxOutputTokens": 64}).invoke(
        "hi", config={"callbacks": [seen]}
    )
    assert sent(server).json["generationConfig"] == {"temperature": 0.5, "maxOutputTokens": 64}
    assert (seen.metadata["ls_temperature"], seen.metadata["ls_max_tokens"]) == (0.5, 64)


def test_bound_value_beats_instance_and_model_kwargs(server: FakeGemini) -> None:
    llm = make(server, temperature=0.1, model_kwargs={"temperature": 0.5, "topK": 3})
    llm.bind(temperature=0.7).invoke("hi")
    assert sent(server).json["generationConfig"] == {"temperature": 0.7, "topK": 3}


def test_instance_field_beats_model_kwargs(server: FakeGemini) -> None:
    make(server, temperature=0.1, model_kwargs={"temperature": 0.5}).invoke("hi")
    assert sent(server).json["generationConfig"] == {"temperature": 0.1}


def test_configurable_field_beats_model_kwargs(server: FakeGemini) -> None:
    llm = make(server, model_kwargs={"temperature": 0.5}).configurable_fields(
        temperature=ConfigurableField(id="temperature")
    )
    llm.invoke("hi", config={"configurable": {"temperature": 0.8}})
    assert sent(server).json["generationConfig"] == {"temperature": 0.8}


def test_per_call_generation_config_beats_instance_but_not_per_call_options(
    server: FakeGemini,
) -> None:
    llm = make(server, temperature=0.1, top_p=0.5)
    llm.invoke("hi", generation_config={"temperature": 0.3, "top_p": 0.6}, top_p=0.9)
    assert sent(server).json["generationConfig"] == {"temperature": 0.3, "topP": 0.9}


def test_per_call_thinking_option_beats_raw_thinking_config(server: FakeGemini) -> None:
    make(
        server, model_kwargs={"thinkingConfig": {"thinkingBudget": 512, "includeThoughts": True}}
    ).invoke("hi", thinking_budget=1024)
    assert sent(server).json["generationConfig"]["thinkingConfig"] == {
        "thinkingBudget": 1024,
        "includeThoughts": True,
    }


# Every documented per-call option, and what must reach the wire. (keyword, value, model,
# path into the request body, expected value)
PER_CALL = [
    ("temperature", 0.3, None, "generationConfig.temperature", 0.3),
    ("max_tokens", 77, None, "generationConfig.maxOutputTokens", 77),
    ("max_output_tokens", 78, None, "generationConfig.maxOutputTokens", 78),
    ("top_p", 0.4, None, "generationConfig.topP", 0.4),
    ("top_k", 5, None, "generationConfig.topK", 5),
    ("stop", ["END"], None, "generationConfig.stopSequences", ["END"]),
    ("stop_sequences", ["X"], None, "generationConfig.stopSequences", ["X"]),
    ("n", 2, None, "generationConfig.candidateCount", 2),
    ("candidate_count", 3, None, "generationConfig.candidateCount", 3),
    ("seed", 11, None, "generationConfig.seed", 11),
    ("presence_penalty", 0.2, None, "generationConfig.presencePenalty", 0.2),
    ("frequency_penalty", 0.1, None, "generationConfig.frequencyPenalty", 0.1),
    ("response_mime_type", "text/x.enum", None, "generationConfig.responseMimeType", "text/x.enum"),
    (
        "response_json_schema",
        {"type": "object"},
        None,
        "generationConfig.responseJsonSchema",
        {"type": "object"},
    ),
    (
        "response_schema",
        {"type": "string"},
        None,
        "generationConfig.responseJsonSchema",
        {"type": "string"},
    ),
    ("response_modalities", ["text"], None, "generationConfig.responseModalities", ["TEXT"]),
    ("media_resolution", "low", None, "generationConfig.mediaResolution", "MEDIA_RESOLUTION_LOW"),
    ("response_logprobs", True, None, "generationConfig.responseLogprobs", True),
    ("logprobs", 3, None, "generationConfig.logprobs", 3),
    (
        "image_config",
        {"aspect_ratio": "16:9"},
        "gemini-2.5-flash-image",
        "generationConfig.imageConfig",
        {"aspectRatio": "16:9"},
    ),
    (
        "speech_config",
        {"voice_config": {"prebuilt_voice_config": {"voice_name": "Kore"}}},
        "gemini-2.5-flash-preview-tts",
        "generationConfig.speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName",
        "Kore",
    ),
    (
        "voice_name",
        "Puck",
        "gemini-2.5-flash-preview-tts",
        "generationConfig.speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName",
        "Puck",
    ),
    ("thinking_budget", 1024, None, "generationConfig.thinkingConfig.thinkingBudget", 1024),
    ("include_thoughts", True, None, "generationConfig.thinkingConfig.includeThoughts", True),
    (
        "thinking_level",
        "LOW",
        "gemini-3-flash-preview",
        "generationConfig.thinkingConfig.thinkingLevel",
        "low",
    ),
    (
        "reasoning_effort",
        "high",
        "gemini-3-flash-preview",
        "generationConfig.thinkingConfig.thinkingLevel",
        "high",
    ),
    (
        "safety_settings",
        {"harassment": "block_none"},
        None,
        "safetySettings",
        [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
    ),
    ("cached_content", "cachedContents/abc", None, "cachedContent", "cachedContents/abc"),
    ("generation_config", {"top_k": 9}, None, "generationConfig.topK", 9),
    (
        "response_format",
        {"type": "json_object"},
        None,
        "generationConfig.responseMimeType",
        "application/json",
    ),
]


def _at(body: Any, path: str) -> Any:
    for key in path.split("."):
        body = body[key]
    return body


@pytest.mark.parametrize("how", ["invoke", "bind"])
@pytest.mark.parametrize(
    ("keyword", "value", "model", "path", "expected"), PER_CALL, ids=[r[0] for r in PER_CALL]
)
def test_every_per_call_option_reaches_the_wire(
    server: FakeGemini,
    how: str,
    keyword: str,
    value: Any,
    model: str | None,
    path: str,
    expected: Any,
) -> None:
    llm = make(server, model or "gemini-2.5-flash")
    if how == "invoke":
        llm.invoke("hi", **{keyword: value})
    else:
        llm.bind(**{keyword: value}).invoke("hi")
    assert _at(sent(server).json, path) == expected


def test_per_call_model_reaches_the_path(server: FakeGemini) -> None:
    make(server).invoke("hi", model="models/gemini-2.5-pro")
    assert sent(server).path == "/v1beta/models/gemini-2.5-pro:generateContent"


def test_per_call_tool_config_reaches_the_wire(server: FakeGemini) -> None:
    make(server).bind_tools([get_weather]).invoke(
        "hi", tool_config={"function_calling_config": {"mode": "any"}}
    )
    assert sent(server).json["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}


@pytest.mark.parametrize("where", ["bind_tools", "invoke"])
def test_strict_maps_to_validated_mode(server: FakeGemini, where: str) -> None:
    llm = make(server)
    if where == "bind_tools":
        llm.bind_tools([get_weather], strict=True).invoke("hi")
    else:
        llm.bind_tools([get_weather]).invoke("hi", strict=True)
    assert sent(server).json["toolConfig"] == {"functionCallingConfig": {"mode": "VALIDATED"}}


def test_strict_keeps_a_forced_choice(server: FakeGemini) -> None:
    make(server).bind_tools([get_weather], tool_choice="get_weather", strict=True).invoke("hi")
    assert sent(server).json["toolConfig"]["functionCallingConfig"]["mode"] == "ANY"


def test_strict_without_tools_is_refused(server: FakeGemini) -> None:
    with pytest.raises(InvalidOptionError, match="no function tools are bound") as caught:
        make(server).invoke("hi", strict=True)
    assert caught.value.option == "strict"
    assert server.requests == []


def test_bound_voice_name_reaches_the_wire(server: FakeGemini) -> None:
    server.enqueue(error(400))  # the fake's default answer is text; the body is what counts
    with pytest.raises(TokenhotInvalidRequestError):
        make(server, "gemini-2.5-flash-preview-tts").bind(voice_name="Puck").invoke("hi")
    voice = sent(server).json["generationConfig"]["speechConfig"]
    assert voice == {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Puck"}}}


# -- 5. documented forms that used to fail --------------------------------------------------------


def test_models_prefix_is_stripped(server: FakeGemini) -> None:
    llm = make(server, "models/gemini-2.5-flash")
    assert llm.model == "gemini-2.5-flash"
    llm.invoke("hi")
    assert sent(server).path == "/v1beta/models/gemini-2.5-flash:generateContent"


def test_media_resolution_is_case_normalized(server: FakeGemini) -> None:
    make(server, media_resolution="low").invoke("hi")
    assert sent(server).json["generationConfig"] == {"mediaResolution": "MEDIA_RESOLUTION_LOW"}


def test_unknown_media_resolution_is_refused() -> None:
    with pytest.raises(InvalidOptionError, match="media_resolution='blurry'"):
        ChatTokenhotGemini(model="gemini-2.5-flash", api_key=KEY, media_resolution="blurry")


def test_response_schema_implies_json(server: FakeGemini) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    make(server, response_schema=schema).invoke("hi")
    assert sent(server).json["generationConfig"] == {
        "responseMimeType": "application/json",
        "responseJsonSchema": schema,
    }


def test_explicit_mime_type_is_kept_with_a_schema(server: FakeGemini) -> None:
    make(server, response_schema={"type": "string"}, response_mime_type="text/x.enum").invoke("hi")
    assert sent(server).json["generationConfig"]["responseMimeType"] == "text/x.enum"


# -- 6. per-call values are validated like constructor values ------------------------------------


def test_per_call_thinking_budget_string_is_coerced_like_the_constructor(
    server: FakeGemini,
) -> None:
    assert (
        ChatTokenhotGemini(
            model="gemini-2.5-flash", api_key=KEY, thinking_budget="1024"
        ).thinking_budget
        == 1024
    )  # type: ignore[arg-type]
    make(server).invoke("hi", thinking_budget="1024")
    assert sent(server).json["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 1024}


@pytest.mark.parametrize(
    ("keyword", "value", "match"),
    [
        ("thinking_budget", "lots", "thinking_budget='lots'"),
        ("thinking_budget", 10**9, "from 0 to 24576"),
        ("temperature", "hot", "temperature='hot'"),
        ("n", 0, "n=0"),
        ("stop", 5, "stop=5"),
        ("safety_settings", "BLOCK_NONE", "safety_settings must be a"),
        ("safety_settings", [{"category": "HARM_CATEGORY_HARASSMENT"}], r"safety_settings\[0\]"),
        ("safety_settings", {"HARM_CATEGORY_HARASSMENT": 3}, "threshold must be a name"),
        ("media_resolution", "LOWEST", "media_resolution='LOWEST'"),
        ("thinking_level", "low", "takes no thinking_level"),
        ("tool_config", "ANY", "tool_config='ANY'"),
        ("generation_config", ["x"], "generation_config="),
        ("strict", "yes please", "strict="),
    ],
)
def test_bad_per_call_values_are_typed_errors_naming_the_option(
    server: FakeGemini, keyword: str, value: Any, match: str
) -> None:
    with pytest.raises(InvalidOptionError, match=match) as caught:
        make(server).invoke("hi", **{keyword: value})
    assert caught.value.option == keyword
    assert server.requests == []


def test_bad_safety_settings_are_refused_at_construction_too() -> None:
    with pytest.raises(InvalidOptionError, match=r"safety_settings\[0\]") as caught:
        ChatTokenhotGemini(
            model="gemini-2.5-flash",
            api_key=KEY,
            safety_settings=[{"category": "HARM_CATEGORY_HARASSMENT"}],
        )
    assert caught.value.option == "safety_settings"


def test_forcing_tool_config_without_tools_is_refused_like_tool_choice(server: FakeGemini) -> None:
    with pytest.raises(InvalidOptionError, match="no function tools are bound") as caught:
        make(server).invoke("hi", tool_config={"function_calling_config": {"mode": "ANY"}})
    assert caught.value.option == "tool_config"
    with pytest.raises(InvalidOptionError, match="'nope'"):
        make(server).bind_tools([get_weather]).invoke(
            "hi",
            tool_config={
                "function_calling_config": {"mode": "ANY", "allowed_function_names": ["nope"]}
            },
        )
    assert server.requests == []


# -- 7. secrets outside api_key, and keys too short to be secrets ------------------------------


HEADERS = {
    "Proxy-Authorization": "Basic cHJveHk6dG9rZW4xMjM0NQ==",
    "X-Gateway-Token": "gw-token-abcdef123456",
    "Cookie": "session=cookie-secret-987654",
    "X-Api-Key": "x-api-key-secret-55555",
    "X-Trace": "visible-trace-id",
}
HEADER_SECRETS = [v for k, v in HEADERS.items() if k != "X-Trace"]


@pytest.mark.parametrize("kind", ["invoke", "stream", "stream-event", "not-json"])
def test_header_secrets_echoed_by_the_server_are_scrubbed_from_errors(kind: str) -> None:
    """A proxy or gateway that echoes the request's headers in its error must not put a
    credential header's value into our exception (as the API key never is)."""

    def echo(request: RecordedRequest) -> Any:
        echoed = "; ".join(f"{k}={v}" for k, v in request.headers.items())
        if kind == "stream-event":
            return sse([{"error": {"code": 400, "message": f"bad request: {echoed}"}}])
        if kind == "not-json":
            return json_response(f"<html>{echoed}</html>".encode())
        return error(400, google_error(400, f"bad request: {echoed}"))

    with FakeGemini(default=echo) as server, pytest.raises(TokenhotError) as caught:
        llm = make(server, default_headers=HEADERS, max_retries=0)
        llm.invoke("hi") if kind in ("invoke", "not-json") else list(llm.stream("hi"))
    text = f"{caught.value} {caught.value.args} {vars(caught.value)}"
    assert "visible-trace-id" in text  # the echo did reach the exception
    for secret in [*HEADER_SECRETS, "cHJveHk6dG9rZW4xMjM0NQ==", KEY]:
        assert secret not in text, secret
        assert secret[:12] not in text, f"the start of {secret!r} (cut before scrubbing)"


def test_header_secrets_masked_in_repr_serialization_tracing_and_cache_key(
    server: FakeGemini,
) -> None:
    llm = make(server, default_headers=HEADERS)
    traced: list[Any] = []

    class Trace(BaseCallbackHandler):
        def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
            traced.append((serialized, kwargs))

    llm.invoke("hi", config={"callbacks": [Trace()]})
    texts = {
        "repr": repr(llm),
        "str": str(llm),
        "dumps": dumps(llm),
        "dumpd": str(dumpd(llm)),
        "trace": str(traced),
        "cache key": llm._get_llm_string(),
    }
    for where, text in texts.items():
        for secret in HEADER_SECRETS:
            assert secret not in text, where
    assert "visible-trace-id" in texts["dumps"] and "visible-trace-id" in texts["repr"]
    # ...and the headers are still sent as given.
    received = sent(server).headers
    assert received["x-gateway-token"] == "gw-token-abcdef123456"
    assert received["proxy-authorization"] == HEADERS["Proxy-Authorization"]


def test_serialized_header_secret_loads_back_from_its_environment_variable(
    server: FakeGemini, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langchain_core.load import load

    llm = make(server, default_headers={"X-Gateway-Token": "gw-token-abcdef123456", "X-A": "b"})
    data = dumpd(llm)
    assert "gw-token-abcdef123456" not in str(data)
    assert "TOKENHOT_HEADER_X_GATEWAY_TOKEN" in str(data["kwargs"]["default_headers"])
    kwargs = {
        "secrets_map": {"TOKENHOT_API_KEY": KEY},
        "valid_namespaces": ["langchain_tokenhot"],
        "allowed_objects": [ChatTokenhotGemini],
    }
    with pytest.raises(ValueError, match="set the TOKENHOT_HEADER_X_GATEWAY_TOKEN environment"):
        load(data, **kwargs)
    monkeypatch.setenv("TOKENHOT_HEADER_X_GATEWAY_TOKEN", "gw-2")
    loaded = load(data, **kwargs)
    assert loaded.default_headers == {"X-Gateway-Token": "gw-2", "X-A": "b"}


def test_short_dummy_key_does_not_mangle_error_messages(server: FakeGemini) -> None:
    server.enqueue(error(400, google_error(400, "please check your plan")))
    llm = ChatTokenhotGemini(model="gemini-2.5-flash", api_key="k", base_url=server.base_url)
    with pytest.raises(TokenhotInvalidRequestError) as caught:
        llm.invoke("hi")
    assert "please check your plan" in str(caught.value)


def test_short_key_is_still_scrubbed_where_it_stands_alone(server: FakeGemini) -> None:
    server.enqueue(error(400, google_error(400, "key k7short is not valid, check it")))
    llm = ChatTokenhotGemini(model="gemini-2.5-flash", api_key="k7short", base_url=server.base_url)
    with pytest.raises(TokenhotInvalidRequestError) as caught:
        llm.invoke("hi")
    assert "k7short" not in f"{caught.value} {vars(caught.value)}"
    assert "key *** is not valid, check it" in str(caught.value)


@pytest.mark.parametrize(
    "name",
    [
        "Auth",
        "Authentication",
        "Password",
        "Credentials",
        "X-Hub-Signature-256",
        "Authorization-Extra",
        "X-Session-Id",
        "X.Secret.Token",
    ],
)
def test_more_credential_header_names_are_masked_everywhere(server: FakeGemini, name: str) -> None:
    value = "credential-value-0123456789"
    llm = make(server, default_headers={name: value, "X-Trace": "visible-trace-id"})
    texts = {
        "repr": repr(llm),
        "dumps": dumps(llm),
        "model_dump": str(llm.model_dump()),
        "model_dump_json": llm.model_dump_json(),
        "cache key": llm._get_llm_string(),
    }
    for where, text in texts.items():
        assert value not in text, where
    assert "visible-trace-id" in texts["model_dump"]
    llm.invoke("hi")
    assert sent(server).headers[name.lower()] == value  # still sent as given


def test_copies_do_not_share_mutable_fields(server: FakeGemini) -> None:
    tenant_a = make(server, default_headers={"X-Tenant-Token": "tenant-a-token-0001"})
    tenant_b = tenant_a.model_copy()
    tenant_b.default_headers["X-Tenant-Token"] = "tenant-b-token-0002"  # in place, on the copy
    tenant_b.model_kwargs["candidateCount"] = 1
    assert tenant_a.default_headers == {"X-Tenant-Token": "tenant-a-token-0001"}
    assert tenant_a.model_kwargs == {}
    tenant_a.invoke("hi")
    assert sent(server).headers["x-tenant-token"] == "tenant-a-token-0001"


def test_real_length_key_is_still_scrubbed(server: FakeGemini) -> None:
    server.enqueue(error(400, google_error(400, f"bad key {KEY}")))
    with pytest.raises(TokenhotInvalidRequestError) as caught:
        make(server).invoke("hi")
    assert KEY not in str(caught.value) and "bad key ***" in str(caught.value)


# -- 8. a Gemini 3 turn that lost its signature is sent with the bypass and a warning ----------


def _history(provider: str | None, model_name: str, signed: bool) -> list[Any]:
    meta: dict[str, Any] = {"model_name": model_name}
    if provider:
        meta["model_provider"] = provider
    call = AIMessage(
        "",
        tool_calls=[{"name": "get_weather", "args": {"city": "Oslo"}, "id": "call_1"}],
        response_metadata=meta,
        additional_kwargs={FUNCTION_CALL_SIGNATURES_KEY: {"call_1": "c2lnbmVk"}} if signed else {},
    )
    return [HumanMessage("weather?"), call, ToolMessage("sunny", tool_call_id="call_1")]


def _sent_signature(server: FakeGemini) -> Any:
    parts = sent(server).json["contents"][1]["parts"]
    return parts[0].get("thoughtSignature")


def test_lost_gemini3_signature_is_bypassed_with_a_warning(
    server: FakeGemini, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="langchain_tokenhot"):
        make(server, "gemini-3-flash-preview").bind_tools([get_weather]).invoke(
            _history("google_genai", "gemini-3-flash-preview", signed=False)
        )
    assert _sent_signature(server) == BYPASS_SIGNATURE
    [record] = [r for r in caplog.records if "thought signature" in r.getMessage()]
    assert "messages[1]" in record.getMessage()
    assert "additional_kwargs" in record.getMessage()  # the likely cause


@pytest.mark.parametrize(
    ("provider", "model_name"),
    [("openai", "gpt-4o"), (None, "hand-written"), ("google_genai", "gemini-2.5-flash")],
)
def test_foreign_or_unsigned_by_design_histories_keep_the_quiet_bypass(
    server: FakeGemini, caplog: pytest.LogCaptureFixture, provider: str | None, model_name: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="langchain_tokenhot"):
        make(server, "gemini-3-flash-preview").bind_tools([get_weather]).invoke(
            _history(provider, model_name, signed=False)
        )
    assert _sent_signature(server) == BYPASS_SIGNATURE
    assert not [r for r in caplog.records if "thought signature" in r.getMessage()]


def test_signed_gemini3_turn_is_replayed_without_warning(
    server: FakeGemini, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="langchain_tokenhot"):
        make(server, "gemini-3-flash-preview").bind_tools([get_weather]).invoke(
            _history("google_genai", "gemini-3-flash-preview", signed=True)
        )
    assert _sent_signature(server) == "c2lnbmVk"
    assert not [r for r in caplog.records if "thought signature" in r.getMessage()]


def test_unknown_with_structured_output_argument_is_refused() -> None:
    llm = ChatTokenhotGemini(model="gemini-2.5-flash", api_key=KEY)
    with pytest.raises(UnknownOptionError, match="Did you mean 'include_raw'"):
        llm.with_structured_output({"type": "object"}, includ_raw=True)


def test_safety_setting_list_keeps_its_other_fields(server: FakeGemini) -> None:
    settings = [{"category": "dangerous_content", "threshold": "off", "method": "SEVERITY"}]
    make(server).invoke("hi", safety_settings=settings)
    assert sent(server).json["safetySettings"] == [
        {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "OFF", "method": "SEVERITY"}
    ]
