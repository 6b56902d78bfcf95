"""Message conversion: roles, merging, tool results, signatures, and loud failures."""

from __future__ import annotations

import pytest
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_tokenhot import UnsupportedContentError
from langchain_tokenhot._messages import (
    BYPASS_SIGNATURE,
    FUNCTION_CALL_SIGNATURES_KEY,
    convert_messages,
    download_urls,
)


def convert(messages: list, model: str = "gemini-2.5-flash"):  # type: ignore[no-untyped-def]
    return convert_messages(messages, model=model)


def test_roles_and_system_instruction_in_order() -> None:
    system, contents = convert(
        [
            SystemMessage("first"),
            HumanMessage("hi"),
            SystemMessage("late system message"),
            AIMessage("hello"),
            HumanMessage("bye"),
        ]
    )
    assert system == {"parts": [{"text": "first"}, {"text": "late system message"}]}
    assert contents == [
        {"role": "user", "parts": [{"text": "hi"}]},
        {"role": "model", "parts": [{"text": "hello"}]},
        {"role": "user", "parts": [{"text": "bye"}]},
    ]


def test_consecutive_same_role_turns_merge_and_empty_text_is_dropped() -> None:
    _, contents = convert(
        [HumanMessage("a"), HumanMessage(""), HumanMessage([{"type": "text", "text": "b"}, ""])]
    )
    assert contents == [{"role": "user", "parts": [{"text": "a"}, {"text": "b"}]}]


def test_tool_calls_and_results() -> None:
    ai = AIMessage(
        "",
        tool_calls=[
            {"name": "get_weather", "args": {"city": "Paris"}, "id": "tokenhot-1"},
            {"name": "get_time", "args": {}, "id": "tokenhot-2"},
        ],
    )
    _, contents = convert(
        [
            HumanMessage("weather and time?"),
            ai,
            ToolMessage('{"temp": 21}', tool_call_id="tokenhot-1"),
            ToolMessage("noon", tool_call_id="tokenhot-2"),
            ToolMessage("boom", tool_call_id="x", name="broken", status="error"),
        ]
    )
    # An orphan result (its call is not in the history) goes by its name, without an id.
    assert contents[1] == {
        "role": "model",
        "parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
            {"functionCall": {"name": "get_time", "args": {}}},
        ],
    }
    # Several tool results form one user turn; names come from the matching calls; our own
    # generated ids are never sent.
    assert contents[2] == {
        "role": "user",
        "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"temp": 21}}},
            {"functionResponse": {"name": "get_time", "response": {"output": "noon"}}},
            {"functionResponse": {"name": "broken", "response": {"error": "boom"}}},
        ],
    }


def test_orphan_tool_message_without_name_raises() -> None:
    with pytest.raises(UnsupportedContentError, match=r"messages\[1\].*tool_call_id='nope'"):
        convert([HumanMessage("hi"), ToolMessage("x", tool_call_id="nope")])


def test_function_message() -> None:
    _, contents = convert([HumanMessage("hi"), FunctionMessage(name="f", content="[1, 2]")])
    assert contents[-1]["parts"][-1] == {
        "functionResponse": {"name": "f", "response": {"output": [1, 2]}}
    }


def test_chat_message_roles() -> None:
    system, contents = convert(
        [
            ChatMessage(role="system", content="s"),
            ChatMessage(role="user", content="u"),
            ChatMessage(role="assistant", content="a"),
        ]
    )
    assert system == {"parts": [{"text": "s"}]}
    assert [c["role"] for c in contents] == ["user", "model"]
    with pytest.raises(UnsupportedContentError, match="role 'critic'"):
        convert([ChatMessage(role="critic", content="x")])


def test_unknown_block_type_names_the_block() -> None:
    with pytest.raises(UnsupportedContentError, match=r"messages\[0\]\.content\[1\].*'hologram'"):
        convert([HumanMessage([{"type": "text", "text": "a"}, {"type": "hologram"}])])


def test_nothing_to_send_raises() -> None:
    with pytest.raises(UnsupportedContentError, match="Nothing to send"):
        convert([SystemMessage("only a system prompt"), HumanMessage("")])


def test_signatures_round_trip_from_every_place_genai_keeps_them() -> None:
    ai = AIMessage(
        content=[
            {"type": "thinking", "thinking": "hmm", "signature": "SIG_THINK"},
            {"type": "text", "text": "answer", "extras": {"signature": "SIG_TEXT"}},
            {"type": "text", "text": "", "extras": {"signature": "SIG_EMPTY"}},
        ],
        tool_calls=[
            {"name": "a", "args": {"x": 1}, "id": "tokenhot-a"},
            {"name": "b", "args": {}, "id": "tokenhot-b"},
        ],
        additional_kwargs={FUNCTION_CALL_SIGNATURES_KEY: {"tokenhot-a": "SIG_CALL"}},
        response_metadata={"model_provider": "google_genai"},
    )
    _, contents = convert([HumanMessage("q"), ai], model="gemini-3-flash-preview")
    assert contents[1]["parts"] == [
        {"text": "hmm", "thought": True, "thoughtSignature": "SIG_THINK"},
        {"text": "answer", "thoughtSignature": "SIG_TEXT"},
        {"text": "", "thoughtSignature": "SIG_EMPTY"},
        {"functionCall": {"name": "a", "args": {"x": 1}}, "thoughtSignature": "SIG_CALL"},
        # Parallel calls: only the first is signed, the others go back without.
        {"functionCall": {"name": "b", "args": {}}},
    ]


def test_v1_content_blocks_replay() -> None:
    ai = AIMessage(
        content=[
            {"type": "reasoning", "reasoning": "think", "extras": {"signature": "S1"}},
            {"type": "text", "text": "hi"},
            {"type": "tool_call", "id": "c1", "name": "f", "args": {}},
        ],
        tool_calls=[{"name": "f", "args": {}, "id": "c1"}],
        response_metadata={"model_provider": "google_genai", "output_version": "v1"},
    )
    _, contents = convert([HumanMessage("q"), ai])
    assert contents[1]["parts"] == [
        {"text": "think", "thought": True, "thoughtSignature": "S1"},
        {"text": "hi"},
        {"functionCall": {"name": "f", "args": {}}},
    ]


def test_gemini3_unsigned_call_in_current_turn_gets_bypass_value() -> None:
    history = [
        HumanMessage("old question"),
        AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": "tokenhot-0"}]),
        ToolMessage("1", tool_call_id="tokenhot-0"),
        AIMessage("old answer"),
        HumanMessage("new question"),
        AIMessage(
            "",
            tool_calls=[
                {"name": "f", "args": {"a": 1}, "id": "tokenhot-1"},
                {"name": "f", "args": {"a": 2}, "id": "tokenhot-2"},
            ],
        ),
        ToolMessage("1", tool_call_id="tokenhot-1"),
        ToolMessage("2", tool_call_id="tokenhot-2"),
    ]
    _, contents = convert(history, model="gemini-3-flash-preview")
    current_step = contents[5]["parts"]
    assert current_step[0]["thoughtSignature"] == BYPASS_SIGNATURE
    assert "thoughtSignature" not in current_step[1]
    # Turns before the current user message are not validated by Gemini: left untouched.
    assert "thoughtSignature" not in contents[1]["parts"][0]
    # Other model families never get the bypass value.
    _, contents = convert(history, model="gemini-2.5-flash")
    assert "thoughtSignature" not in contents[5]["parts"][0]


def test_foreign_provider_reasoning_and_signatures_dropped() -> None:
    anthropic_ai = AIMessage(
        content=[
            {"type": "thinking", "thinking": "t", "signature": "ANTHROPIC_SIG"},
            {"type": "text", "text": "I'll call it", "cache_control": {"type": "ephemeral"}},
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
        ],
        tool_calls=[{"name": "f", "args": {}, "id": "toolu_1"}],
        response_metadata={"model_provider": "anthropic"},
    )
    _, contents = convert(
        [HumanMessage("q"), anthropic_ai, ToolMessage("ok", tool_call_id="toolu_1")],
        model="gemini-3-flash-preview",
    )
    assert contents[1]["parts"] == [
        {"text": "I'll call it"},
        {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": BYPASS_SIGNATURE},
    ]
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "f", "response": {"output": "ok"}}}
    ]


def test_ai_message_without_parts_is_skipped() -> None:
    _, contents = convert([HumanMessage("q"), AIMessage(""), HumanMessage("again")])
    assert contents == [{"role": "user", "parts": [{"text": "q"}, {"text": "again"}]}]


def test_code_execution_blocks_replay() -> None:
    ai = AIMessage(
        content=[
            {"type": "executable_code", "executable_code": "print(1)", "language": "PYTHON"},
            {"type": "code_execution_result", "code_execution_result": "1\n", "outcome": 1},
        ],
        response_metadata={"model_provider": "google_genai"},
    )
    _, contents = convert([HumanMessage("q"), ai])
    assert contents[1]["parts"] == [
        {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
        {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}},
    ]


def test_tool_message_with_image_goes_inside_function_response_on_gemini3() -> None:
    image = {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"}
    history = [
        HumanMessage("q"),
        AIMessage("", tool_calls=[{"name": "snap", "args": {}, "id": "tokenhot-1"}]),
        ToolMessage([{"type": "text", "text": "here"}, image], tool_call_id="tokenhot-1"),
    ]
    _, contents = convert(history, model="gemini-3-flash-preview")
    response = contents[2]["parts"][0]["functionResponse"]
    assert response["response"] == {"output": "here"}
    assert response["parts"] == [{"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}]
    _, contents = convert(history, model="gemini-2.5-flash")
    assert contents[2]["parts"][1] == {
        "inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}
    }


def test_download_urls_lists_http_media_once() -> None:
    block = {"type": "image", "url": "https://example.com/cat.png"}
    messages = [HumanMessage([block, block]), HumanMessage("plain")]
    assert download_urls(messages) == ["https://example.com/cat.png"]


def test_anthropic_format_history() -> None:
    """Anthropic image sources, tool_result blocks in a human turn, and a thinking block whose
    signature is not Gemini's (no provider stamped): the signature must not reach Gemini."""
    history = [
        HumanMessage(
            [
                {"type": "text", "text": "colour?", "cache_control": {"type": "ephemeral"}},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
                },
            ]
        ),
        AIMessage(
            [
                {"type": "thinking", "thinking": "hmm", "signature": "ANTHROPIC"},
                {"type": "tool_use", "input": {"c": "red"}, "id": "foo", "name": "pick"},
            ],
            tool_calls=[{"name": "pick", "args": {"c": "red"}, "id": "foo"}],
        ),
        HumanMessage(
            [
                {
                    "type": "tool_result",
                    "tool_use_id": "foo",
                    "is_error": False,
                    "content": [{"type": "text", "text": "nice"}],
                },
                {"type": "text", "text": "and now?"},
            ]
        ),
    ]
    _, contents = convert(history, model="gemini-3-flash-preview")
    assert contents[0]["parts"][1] == {
        "inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}
    }
    # The last human turn carries text, so the call above is history Gemini does not validate.
    assert contents[1]["parts"] == [
        {"functionCall": {"name": "pick", "args": {"c": "red"}}},
    ]
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "pick", "response": {"output": "nice"}}},
        {"text": "and now?"},
    ]
    assert "ANTHROPIC" not in str(contents)
