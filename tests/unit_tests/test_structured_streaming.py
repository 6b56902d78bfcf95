"""Structured output that streams (issue 16, item 3).

`stream_structured_output.sse` is the recorded `structured_output.json` answer cut into four
deltas (built; see its `.source.txt`). What is checked: growing partial objects while the JSON
arrives, the last one validated against the schema, for json_schema, json_mode and
function_calling, sync and async; refusals, empty answers, broken JSON and schema mismatches
still raise at the end of the stream.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.exceptions import ModelRefusalError, OutputParserException
from langchain_core.messages import AIMessageChunk

from langchain_tokenhot import ChatTokenhotGemini
from langchain_tokenhot._structured import StructuredOutputParser, _JsonPrefix
from tests.support.fake_gemini import (
    FakeGemini,
    from_sample,
    load_sample_events,
    load_sample_json,
    sse,
)
from tests.support.schemas import MiddleModel, NestedModel, TopModel

MODEL = "gemini-2.5-flash"
FULL = {
    "name": "My Collection",
    "pages": [
        {
            "title": "Page One",
            "items": [{"name": "Item A", "value": 10}, {"name": "Item B", "value": 20}],
        },
        {
            "title": "Page Two",
            "items": [{"name": "Item C", "value": 30}, {"name": "Item D", "value": 40}],
        },
    ],
}




@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


def llm_for(server: FakeGemini) -> ChatTokenhotGemini:
    return ChatTokenhotGemini(model=MODEL, api_key="k", base_url=server.base_url, max_retries=0)


def events() -> list[dict[str, Any]]:
    return copy.deepcopy(load_sample_events("stream_structured_output"))


def tool_events(args: dict[str, Any]) -> list[dict[str, Any]]:
    """A forced output-tool call, arriving whole as Gemini streams calls."""
    call = {"functionCall": {"name": "TopModel", "args": args}}
    return [
        {"candidates": [{"content": {"role": "model", "parts": [call]}}]},
        {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP"}
            ]
        },
    ]


def assert_growing_then_validated(chunks: list[Any], schema: Any) -> None:
    assert len(chunks) >= 4, chunks
    *partials, final = chunks
    if schema is TopModel:
        assert all(isinstance(c, TopModel) for c in chunks)
        # Partials are built without validation: nested objects are still dicts.
        assert partials[0].name == "My Collection"
        assert isinstance(final.pages[0], MiddleModel)
        assert final == TopModel.model_validate(FULL)
        dumped = [vars(p) for p in partials]
    else:
        assert all(isinstance(c, dict) for c in chunks)
        assert final == FULL
        dumped = partials
    # Each partial holds more than the one before.
    sizes = [len(repr(p)) for p in dumped]
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)


@pytest.mark.parametrize("method", ["json_schema", "json_mode"])
@pytest.mark.parametrize(
    "schema", [TopModel, TopModel.model_json_schema()], ids=["pydantic", "dict"]
)
def test_stream_yields_growing_objects(server: FakeGemini, method: str, schema: Any) -> None:
    server.default = sse(events())
    chunks = list(llm_for(server).with_structured_output(schema, method=method).stream("x"))
    assert server.requests[0].operation == "streamGenerateContent"
    config = server.requests[0].json["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["required"] == ["name", "pages"]
    assert_growing_then_validated(chunks, schema if isinstance(schema, type) else dict)


@pytest.mark.parametrize(
    "schema", [TopModel, TopModel.model_json_schema()], ids=["pydantic", "dict"]
)
async def test_astream_yields_growing_objects(server: FakeGemini, schema: Any) -> None:
    server.default = sse(events())
    runnable = llm_for(server).with_structured_output(schema)
    chunks = [c async for c in runnable.astream("x")]
    assert_growing_then_validated(chunks, schema if isinstance(schema, type) else dict)


@pytest.mark.parametrize(
    "schema", [TopModel, TopModel.model_json_schema()], ids=["pydantic", "dict"]
)
async def test_invoke_and_ainvoke_unchanged(server: FakeGemini, schema: Any) -> None:
    server.default = from_sample("structured_output")
    runnable = llm_for(server).with_structured_output(schema)
    expected = TopModel.model_validate(FULL) if isinstance(schema, type) else FULL
    assert runnable.invoke("x") == expected
    assert await runnable.ainvoke("x") == expected


def test_function_calling_streams_and_validates(server: FakeGemini) -> None:
    server.default = sse(tool_events(FULL))
    chunks = list(
        llm_for(server).with_structured_output(TopModel, method="function_calling").stream("x")
    )
    assert server.requests[0].json["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["TopModel"]}
    }
    assert chunks[-1] == TopModel.model_validate(FULL)
    assert isinstance(chunks[-1].pages[0], MiddleModel)


async def test_function_calling_astream_dict_schema(server: FakeGemini) -> None:
    server.default = sse(tool_events(FULL))
    runnable = llm_for(server).with_structured_output(
        TopModel.model_json_schema(), method="function_calling"
    )
    chunks = [c async for c in runnable.astream("x")]
    assert chunks == [FULL]


def test_function_calling_mismatch_raises_at_the_end(server: FakeGemini) -> None:
    server.default = sse(tool_events({"name": "only a name"}))
    runnable = llm_for(server).with_structured_output(TopModel, method="function_calling")
    with pytest.raises(OutputParserException, match="does not match TopModel"):
        list(runnable.stream("x"))


# -- the checks still raise --------------------------------------------------------------


def test_refusal_after_partial_json_raises(server: FakeGemini) -> None:
    stream = events()[:2]
    stream.append(
        {
            "candidates": [{"content": {}, "finishReason": "SAFETY", "index": 0}],
            "modelVersion": MODEL,
        }
    )
    server.default = sse(stream)
    seen: list[Any] = []
    with pytest.raises(ModelRefusalError):
        seen.extend(llm_for(server).with_structured_output(TopModel).stream("x"))
    assert seen, "partial objects arrive before the refusal is known"


async def test_empty_answer_raises(server: FakeGemini) -> None:
    body = load_sample_json("max_tokens_no_text")
    server.default = sse([body])
    with pytest.raises(OutputParserException, match="finish_reason=MAX_TOKENS"):
        [c async for c in llm_for(server).with_structured_output(TopModel).astream("x")]


def test_cut_json_raises_at_the_end(server: FakeGemini) -> None:
    stream = events()
    del stream[2]  # the answer now misses a piece but still ends with STOP
    server.default = sse(stream)
    with pytest.raises(OutputParserException, match="not valid JSON"):
        list(llm_for(server).with_structured_output(TopModel.model_json_schema()).stream("x"))


def test_schema_mismatch_raises_at_the_end(server: FakeGemini) -> None:
    stream = events()[:1]
    stream[0]["candidates"][0]["content"]["parts"][0]["text"] = '{"name": "x"}'
    stream[0]["candidates"][0]["finishReason"] = "STOP"
    server.default = sse(stream)
    with pytest.raises(OutputParserException, match="does not match TopModel"):
        list(llm_for(server).with_structured_output(TopModel).stream("x"))


def test_include_raw_still_works(server: FakeGemini) -> None:
    server.default = from_sample("structured_output")
    result = llm_for(server).with_structured_output(TopModel, include_raw=True).invoke("x")
    assert result["parsed"] == TopModel.model_validate(FULL)
    assert result["parsing_error"] is None


# -- the incremental JSON prefix reader ------------------------------------------------------

# Partial objects are read with orjson, whose integers are 64-bit (a larger one comes back as a
# float); the final object is parsed exactly (see the test below), so the reader is held to
# exactness within that range.
INT64 = st.integers(-(2**63), 2**63 - 1)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | INT64 | st.text(alphabet='ab"\\\n é{}[],:'),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(value=st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=4), data=st.data())
def test_prefix_reader_never_raises_and_ends_exact(
    value: dict[str, Any], data: st.DataObject
) -> None:
    text = json.dumps(value, ensure_ascii=False)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=6)))
    reader = _JsonPrefix()
    done = 0
    for cut in [*cuts, len(text)]:
        reader.feed(text[done:cut])
        done = cut
        partial = reader.value(text[:cut])
        assert partial is None or isinstance(partial, dict)
    assert reader.value(text) == value


def test_the_final_object_keeps_integers_beyond_64_bits_exact() -> None:
    text = '{"id": -9223372036854775809, "n": 18446744073709551616}'
    chunks = [AIMessageChunk(content=text[:20]), AIMessageChunk(content=text[20:])]
    chunks[-1].response_metadata = {"finish_reason": "STOP"}
    out = list(StructuredOutputParser(source="text").transform(iter(chunks)))
    assert out[-1] == {"id": -9223372036854775809, "n": 18446744073709551616}


def test_long_answers_are_parsed_at_a_bounded_rate() -> None:
    obj = {"items": [{"name": f"item {i}", "value": i} for i in range(2000)]}
    text = json.dumps(obj)
    chunks = [AIMessageChunk(content=text[i : i + 40]) for i in range(0, len(text), 40)]
    chunks[-1].response_metadata = {"finish_reason": "STOP"}
    out = list(StructuredOutputParser(source="text").transform(iter(chunks)))
    assert out[-1] == obj
    # Every delta up to 4 KB, then about one per tenth of growth: far fewer than the chunks.
    assert 20 < len(out) < len(chunks) // 5
    lengths = [len(o["items"]) for o in out]
    assert lengths == sorted(lengths)


def test_function_call_arguments_in_pieces() -> None:
    """A gateway (or Vertex's partial args) may split a call's arguments over chunks."""
    from langchain_core.messages.tool import tool_call_chunk

    args = json.dumps(FULL)
    pieces = [args[:30], args[30:90], args[90:]]
    chunks = [
        AIMessageChunk(
            content="",
            tool_call_chunks=[
                tool_call_chunk(name="TopModel" if i == 0 else None, args=piece, id="c1", index=0)
            ],
        )
        for i, piece in enumerate(pieces)
    ]
    chunks[-1].response_metadata = {"finish_reason": "STOP"}
    parser = StructuredOutputParser(source="tool", tool_name="TopModel", pydantic_schema=TopModel)
    out = list(parser.transform(iter(chunks)))
    assert len(out) == 4
    assert [type(o) for o in out] == [TopModel] * 4
    assert out[0].name == "My Collection" and "pages" not in out[0].model_fields_set
    assert out[-1] == TopModel.model_validate(FULL)
    assert isinstance(out[-1].pages[1].items[0], NestedModel)
