"""ChatTokenhotGemini: configuration, per-call options, secrets, serialization, profiles."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import HumanMessage
from pydantic import BaseModel

from langchain_tokenhot import ChatTokenhotGemini, TokenhotAuthenticationError
from tests.support.fake_gemini import FakeGemini, error, json_response

SECRET = "sk-unit-SECRET-abcdef0123456789"


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


def make(server: FakeGemini, **kw: Any) -> ChatTokenhotGemini:
    return ChatTokenhotGemini(
        model=kw.pop("model", "gemini-2.5-flash"), api_key=SECRET, base_url=server.base_url, **kw
    )


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKENHOT_API_KEY", raising=False)
    with pytest.raises(ValueError, match="TOKENHOT_API_KEY"):
        ChatTokenhotGemini(model="gemini-2.5-flash")


def test_key_and_base_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENHOT_API_KEY", SECRET)
    monkeypatch.setenv("TOKENHOT_BASE_URL", "https://gw.example/")
    llm = ChatTokenhotGemini(model="gemini-2.5-flash")
    assert llm.api_key is not None
    assert llm.api_key.get_secret_value() == SECRET
    assert llm.transport.url("m", "generateContent") == (
        "https://gw.example/v1beta/models/m:generateContent"
    )


def test_aliases_accepted() -> None:
    llm = ChatTokenhotGemini(
        model="gemini-3-flash-preview",
        api_key="k",
        max_output_tokens=10,
        stop_sequences=["x"],
        reasoning_effort="low",
        candidate_count=2,
        request_timeout=5,
    )
    assert (llm.max_tokens, llm.stop, llm.thinking_level, llm.n, llm.timeout) == (
        10,
        ["x"],
        "low",
        2,
        5,
    )


def test_key_never_in_repr_str_or_serialization() -> None:
    llm = ChatTokenhotGemini(model="gemini-2.5-flash", api_key=SECRET)
    for text in (repr(llm), str(llm), dumps(llm), str(dumpd(llm)), repr(llm.transport)):
        assert SECRET not in text


def test_serialization_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = ChatTokenhotGemini(
        model="gemini-3-flash-preview",
        api_key=SECRET,
        temperature=0.3,
        thinking_level="low",
        max_retries=4,
    )
    monkeypatch.setenv("TOKENHOT_API_KEY", SECRET)
    loaded = load(
        dumpd(llm),
        allowed_objects=[ChatTokenhotGemini],
        valid_namespaces=["langchain_tokenhot"],
        secrets_from_env=True,
    )
    assert isinstance(loaded, ChatTokenhotGemini)
    assert loaded.model_dump() == llm.model_dump()


def test_only_set_fields_go_on_the_wire(server: FakeGemini) -> None:
    make(server).invoke("hi")
    assert set(server.requests[0].json) == {"contents"}


def test_every_field_maps_to_its_wire_name(server: FakeGemini) -> None:
    make(
        server,
        temperature=0.5,
        max_tokens=100,
        top_p=0.9,
        top_k=40,
        stop=["x"],
        n=2,
        seed=7,
        presence_penalty=0.1,
        frequency_penalty=0.2,
        response_mime_type="text/plain",
        safety_settings={"HARM_CATEGORY_HARASSMENT": "BLOCK_ONLY_HIGH"},
        cached_content="cachedContents/abc",
        thinking_budget=512,
        include_thoughts=True,
        model_kwargs={"response_logprobs": True, "logprobs": 2},
    ).invoke("hi")
    body = server.requests[0].json
    assert body["generationConfig"] == {
        "temperature": 0.5,
        "maxOutputTokens": 100,
        "topP": 0.9,
        "topK": 40,
        "stopSequences": ["x"],
        "candidateCount": 2,
        "seed": 7,
        "presencePenalty": 0.1,
        "frequencyPenalty": 0.2,
        "responseMimeType": "text/plain",
        "thinkingConfig": {"thinkingBudget": 512, "includeThoughts": True},
        "responseLogprobs": True,
        "logprobs": 2,
    }
    assert body["safetySettings"] == [
        {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}
    ]
    assert body["cachedContent"] == "cachedContents/abc"


def test_per_call_overrides_model_and_options(server: FakeGemini) -> None:
    llm = make(server, temperature=0.5)
    msg = llm.invoke(
        "hi",
        model="gemini-3-flash-preview",
        temperature=1.0,
        stop=["S"],
        generation_config={"seed": 3},
    )
    request = server.requests[0]
    assert request.path == "/v1beta/models/gemini-3-flash-preview:generateContent"
    assert request.json["generationConfig"] == {
        "temperature": 1.0,
        "stopSequences": ["S"],
        "seed": 3,
    }
    assert msg.response_metadata["model_name"]
    assert llm._get_ls_params(model="gemini-3-flash-preview")["ls_model_name"] == (
        "gemini-3-flash-preview"
    )


def test_unknown_call_kwarg_is_a_clear_error(server: FakeGemini) -> None:
    with pytest.raises(TypeError, match="'temprature'"):
        make(server).invoke("hi", temprature=0.1)
    assert server.requests == []


def test_bad_input_fails_before_any_request(server: FakeGemini) -> None:
    with pytest.raises(ValueError, match="hologram"):
        make(server).invoke([HumanMessage([{"type": "hologram"}])])
    assert server.requests == []


@pytest.mark.parametrize(
    ("model", "kwargs", "match"),
    [
        ("gemini-3.1-pro", {"thinking_level": "minimal"}, "does not accept thinking_level"),
        ("gemini-2.5-flash", {"thinking_level": "low"}, "takes no thinking_level"),
        ("gemini-3-flash-preview", {"thinking_level": "low", "thinking_budget": 100}, "not both"),
        ("gemini-2.5-pro", {"thinking_budget": 0}, "from 128 to 32768"),
        ("gemini-2.5-flash-image", {"include_thoughts": True}, "does not think"),
    ],
)
def test_thinking_rules_checked_before_the_request(
    model: str, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        ChatTokenhotGemini(model=model, api_key="k", **kwargs)


def test_thinking_level_sent(server: FakeGemini) -> None:
    make(server, model="gemini-3.1-pro", thinking_level="HIGH").invoke("hi")
    assert server.requests[0].json["generationConfig"] == {
        "thinkingConfig": {"thinkingLevel": "high"}
    }


def test_tts_model_asks_for_audio(server: FakeGemini) -> None:
    server.default = json_response(
        {
            "candidates": [
                {
                    "content": {
                        "parts": [
                            {
                                "inlineData": {
                                    "mimeType": "audio/L16;codec=pcm;rate=24000",
                                    "data": "AAAAAA==",
                                }
                            }
                        ]
                    },
                    "finishReason": "STOP",
                }
            ]
        }
    )
    msg = make(server, model="gemini-2.5-flash-preview-tts", voice_name="Kore").invoke("Say hi")
    assert server.requests[0].json["generationConfig"] == {
        "speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}}},
        "responseModalities": ["AUDIO"],
    }
    assert msg.additional_kwargs["audio"][:4] == b"RIFF"


def test_profiles_for_every_served_model() -> None:
    for model in (
        "gemini-2.5-flash",
        "gemini-2.5-pro",
        "gemini-3-flash-preview",
        "gemini-3.1-pro",
        "gemini-3.1-pro-preview",
        "gemini-2.5-flash-image",
        "gemini-3-pro-image-preview",
        "gemini-3.1-flash-image-preview",
        "gemini-2.5-flash-preview-tts",
        "gemini-2.5-pro-preview-tts",
    ):
        profile = ChatTokenhotGemini(model=model, api_key="k").profile
        assert profile is not None, model
        assert profile["max_input_tokens"] > 0
        assert profile["max_output_tokens"] > 0
    assert ChatTokenhotGemini(model="gemini-3.1-pro", api_key="k").profile[
        "reasoning_effort_levels"
    ] == ["low", "medium", "high"]
    assert ChatTokenhotGemini(model="gemini-3-pro-image-preview", api_key="k").profile[
        "image_outputs"
    ]
    assert ChatTokenhotGemini(model="gemini-2.5-pro-preview-tts", api_key="k").profile[
        "audio_outputs"
    ]


def test_ls_params() -> None:
    llm = ChatTokenhotGemini(
        model="gemini-2.5-flash", api_key="k", temperature=0.1, max_tokens=9, stop=["x"]
    )
    assert llm._get_ls_params() == {
        "ls_provider": "tokenhot",
        "ls_model_name": "gemini-2.5-flash",
        "ls_model_type": "chat",
        "ls_temperature": 0.1,
        "ls_max_tokens": 9,
        "ls_stop": ["x"],
    }


def test_key_absent_from_debug_logs(server: FakeGemini, caplog: pytest.LogCaptureFixture) -> None:
    server.enqueue(error(503))
    with caplog.at_level(logging.DEBUG):
        make(server, max_retries=1).invoke("hi")
        with pytest.raises(TokenhotAuthenticationError):
            server.enqueue(error(401))
            make(server, max_retries=0).invoke("hi")
    assert caplog.records  # httpx/httpcore/our retry lines were captured...
    assert all(SECRET not in r.getMessage() for r in caplog.records)  # ...without the key


def test_structured_output_json_schema(server: FakeGemini) -> None:
    class Joke(BaseModel):
        setup: str
        punchline: str

    server.default = json_response(
        {
            "candidates": [
                {
                    "content": {"parts": [{"text": '{"setup": "a", "punchline": "b"}'}]},
                    "finishReason": "STOP",
                }
            ]
        }
    )
    joke = make(server).with_structured_output(Joke).invoke("joke")
    assert joke == Joke(setup="a", punchline="b")
    config = server.requests[0].json["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["required"] == ["setup", "punchline"]


def test_structured_output_never_silently_none(server: FakeGemini) -> None:
    from langchain_core.exceptions import ModelRefusalError, OutputParserException

    class Answer(BaseModel):
        value: int

    server.default = json_response(
        {"candidates": [{"content": {"role": "model"}, "finishReason": "MAX_TOKENS"}]}
    )
    with pytest.raises(OutputParserException, match="MAX_TOKENS"):
        make(server).with_structured_output(Answer).invoke("x")
    server.default = json_response({"candidates": [{"content": {}, "finishReason": "SAFETY"}]})
    with pytest.raises(ModelRefusalError):
        make(server).with_structured_output(Answer).invoke("x")
    server.default = json_response(
        {"candidates": [{"content": {"parts": [{"text": "nope"}]}, "finishReason": "STOP"}]}
    )
    with pytest.raises(OutputParserException):
        make(server).with_structured_output(Answer, method="function_calling").invoke("x")
    result = make(server).with_structured_output(Answer, include_raw=True).invoke("x")
    assert result["parsed"] is None
    assert isinstance(result["parsing_error"], OutputParserException)
