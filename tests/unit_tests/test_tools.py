"""Tests for langchain_tokenhot._tools: tools, tool_choice and output schemas to Gemini JSON."""

from __future__ import annotations

import copy
import json
import time
from enum import Enum, IntEnum
from typing import Annotated, Any, Literal

import pytest
from langchain_core.tools import BaseTool, InjectedToolArg, StructuredTool, Tool, tool
from pydantic import BaseModel, Field, create_model
from pydantic.v1 import BaseModel as BaseModelV1
from pydantic.v1 import Field as FieldV1
from typing_extensions import TypedDict

from langchain_tokenhot._tools import (
    ToolConversionError,
    convert_tools,
    function_names,
    json_schema_for_output,
    tool_choice_to_config,
)
from tests.support.schemas import TopModel

# --------------------------------------------------------------------------- fixtures


class Sub(BaseModel):
    """A sub-object."""

    x: int


class Outer(BaseModel):
    """Nested model."""

    name: str
    sub: Sub


class Node(BaseModel):
    """A tree node."""

    value: int
    children: list[Node] = []


class MapArgs(BaseModel):
    counts: dict[str, int]


class UnionList(BaseModel):
    items: list[Sub | str]


class OptionalArgs(BaseModel):
    a: int | None = None
    b: Sub | None


class Level(IntEnum):
    LOW = 1
    HIGH = 2


class Color(str, Enum):
    RED = "red"
    BLUE = "blue"


class Enums(BaseModel):
    mode: Literal["fast", "slow"]
    level: Level
    color: Color = Field(description="Paint colour")


class NoArgs(BaseModel):
    """Takes nothing."""


class RefWithDescription(BaseModel):
    """Ref siblings."""

    sub: Sub = Field(description="The sub")
    title: str = Field(title="Custom title")


class Titled(BaseModel):
    model_config = {"title": "renamed_tool"}
    q: str


class SubV1(BaseModelV1):
    y: str


class ModelV1(BaseModelV1):
    """v1 doc"""

    s: SubV1 = FieldV1(..., description="sub")
    n: int | None


class NodeV1(BaseModelV1):
    value: int
    children: list[NodeV1] = []


NodeV1.update_forward_refs()


class Movie(TypedDict):
    """A movie.

    Args:
        title: The title.
    """

    title: str
    year: Annotated[int, ..., "Release year"]


def search(query: str, limit: int = 10) -> str:
    """Search the web.

    Args:
        query: What to look for.
        limit: Max results.
    """
    return query


@tool
def lookup(query: str, user_id: Annotated[str, InjectedToolArg], limit: int = 5) -> str:
    """Look something up."""
    return query


@tool(parse_docstring=True)
def get_weather(city: str, unit: Literal["c", "f"] = "c") -> str:
    """Get the weather.

    Args:
        city: City name.
        unit: Temperature unit.
    """
    return city


@tool
def ping() -> str:
    """Ping."""
    return "pong"


@tool
def tool_with_model(a: int, b: Sub) -> str:
    """Use a model."""
    return ""


simple_tool = Tool(name="simple", description="Echo", func=lambda s: s)

dict_schema_tool = StructuredTool(
    name="dict_tool",
    description="Args as a JSON Schema dict",
    args_schema={
        "type": "object",
        "title": "ignored",
        "properties": {"n": {"type": "integer", "title": "N"}},
        "required": ["n"],
    },
    func=lambda n: n,
)

SUB_DEF = {"properties": {"x": {"type": "integer"}}, "required": ["x"], "type": "object"}
SUB_DEF_DESCRIBED = {"description": "A sub-object.", **SUB_DEF}
NODE_SCHEMA = {
    "description": "A tree node.",
    "properties": {
        "value": {"type": "integer"},
        "children": {"default": [], "items": {"$ref": "#/$defs/Node"}, "type": "array"},
    },
    "required": ["value"],
    "type": "object",
}
NODE_PARAMS = {**NODE_SCHEMA, "$defs": {"Node": NODE_SCHEMA}}
del NODE_PARAMS["description"]

# --------------------------------------------------------------------------- convert_tools

DECLARATION_CASES: list[Any] = [
    pytest.param(
        Outer,
        {
            "name": "Outer",
            "description": "Nested model.",
            "parametersJsonSchema": {
                "$defs": {"Sub": SUB_DEF_DESCRIBED},
                "properties": {"name": {"type": "string"}, "sub": {"$ref": "#/$defs/Sub"}},
                "required": ["name", "sub"],
                "type": "object",
            },
        },
        id="nested-model-keeps-defs-and-ref",
    ),
    pytest.param(
        Node,
        {"name": "Node", "description": "A tree node.", "parametersJsonSchema": NODE_PARAMS},
        id="recursive-model-root-ref-inlined",
    ),
    pytest.param(
        MapArgs,
        {
            "name": "MapArgs",
            "parametersJsonSchema": {
                "properties": {
                    "counts": {"additionalProperties": {"type": "integer"}, "type": "object"}
                },
                "required": ["counts"],
                "type": "object",
            },
        },
        id="dict-str-int-keeps-additionalProperties",
    ),
    pytest.param(
        UnionList,
        {
            "name": "UnionList",
            "parametersJsonSchema": {
                "$defs": {"Sub": SUB_DEF_DESCRIBED},
                "properties": {
                    "items": {
                        "items": {"anyOf": [{"$ref": "#/$defs/Sub"}, {"type": "string"}]},
                        "type": "array",
                    }
                },
                "required": ["items"],
                "type": "object",
            },
        },
        id="list-union-keeps-both-branches",
    ),
    pytest.param(
        OptionalArgs,
        {
            "name": "OptionalArgs",
            "parametersJsonSchema": {
                "$defs": {"Sub": SUB_DEF_DESCRIBED},
                "properties": {
                    "a": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
                    "b": {"anyOf": [{"$ref": "#/$defs/Sub"}, {"type": "null"}]},
                },
                "required": ["b"],
                "type": "object",
            },
        },
        id="optional-fields",
    ),
    pytest.param(
        Enums,
        {
            "name": "Enums",
            "parametersJsonSchema": {
                "$defs": {
                    "Color": {"enum": ["red", "blue"], "type": "string"},
                    "Level": {"enum": [1, 2], "type": "integer"},
                },
                "properties": {
                    "mode": {"enum": ["fast", "slow"], "type": "string"},
                    "level": {"$ref": "#/$defs/Level"},
                    "color": {"anyOf": [{"$ref": "#/$defs/Color"}], "description": "Paint colour"},
                },
                "required": ["mode", "level", "color"],
                "type": "object",
            },
        },
        id="literal-str-enum-int-enum",
    ),
    pytest.param(
        NoArgs,
        {
            "name": "NoArgs",
            "description": "Takes nothing.",
            "parametersJsonSchema": {"properties": {}, "type": "object"},
        },
        id="no-arg-model",
    ),
    pytest.param(
        RefWithDescription,
        {
            "name": "RefWithDescription",
            "description": "Ref siblings.",
            "parametersJsonSchema": {
                "$defs": {"Sub": SUB_DEF_DESCRIBED},
                "properties": {
                    "sub": {"anyOf": [{"$ref": "#/$defs/Sub"}], "description": "The sub"},
                    # Every `title` keyword goes, even an explicit one; a property *named*
                    # "title" stays.
                    "title": {"type": "string"},
                },
                "required": ["sub", "title"],
                "type": "object",
            },
        },
        id="ref-with-description-sibling-and-titles",
    ),
    pytest.param(
        Titled,
        {
            "name": "renamed_tool",
            "parametersJsonSchema": {
                "properties": {"q": {"type": "string"}},
                "required": ["q"],
                "type": "object",
            },
        },
        id="model-config-title-is-name",
    ),
    pytest.param(
        ModelV1,
        {
            "name": "ModelV1",
            "description": "v1 doc",
            "parametersJsonSchema": {
                "type": "object",
                "properties": {
                    "s": {"description": "sub", "anyOf": [{"$ref": "#/$defs/SubV1"}]},
                    "n": {"type": "integer"},
                },
                "required": ["s"],
                "$defs": {
                    "SubV1": {
                        "type": "object",
                        "properties": {"y": {"type": "string"}},
                        "required": ["y"],
                    }
                },
            },
        },
        id="pydantic-v1-definitions-renamed-allOf-to-anyOf",
    ),
    pytest.param(
        NodeV1,
        {
            "name": "NodeV1",
            "parametersJsonSchema": {
                "type": "object",
                "properties": {
                    "value": {"type": "integer"},
                    "children": {
                        "default": [],
                        "type": "array",
                        "items": {"$ref": "#/$defs/NodeV1"},
                    },
                },
                "required": ["value"],
                "$defs": {
                    "NodeV1": {
                        "type": "object",
                        "properties": {
                            "value": {"type": "integer"},
                            "children": {
                                "default": [],
                                "type": "array",
                                "items": {"$ref": "#/$defs/NodeV1"},
                            },
                        },
                        "required": ["value"],
                    }
                },
            },
        },
        id="pydantic-v1-recursive",
    ),
    pytest.param(
        Movie,
        {
            "name": "Movie",
            "description": "A movie.",
            "parametersJsonSchema": {
                "type": "object",
                "properties": {
                    "title": {"description": "The title.", "type": "string"},
                    "year": {"description": "Release year", "type": "integer"},
                },
                "required": ["title", "year"],
            },
        },
        id="typeddict",
    ),
    pytest.param(
        search,
        {
            "name": "search",
            "description": "Search the web.",
            "parametersJsonSchema": {
                "properties": {
                    "query": {"description": "What to look for.", "type": "string"},
                    "limit": {"default": 10, "description": "Max results.", "type": "integer"},
                },
                "required": ["query"],
                "type": "object",
            },
        },
        id="function-with-google-docstring",
    ),
    pytest.param(
        lookup,
        {
            "name": "lookup",
            "description": "Look something up.",
            "parametersJsonSchema": {
                "properties": {
                    "query": {"type": "string"},
                    "limit": {"default": 5, "type": "integer"},
                },
                "required": ["query"],
                "type": "object",
            },
        },
        id="at-tool-hides-injected-arg",
    ),
    pytest.param(
        get_weather,
        {
            "name": "get_weather",
            "description": "Get the weather.",
            "parametersJsonSchema": {
                "properties": {
                    "city": {"description": "City name.", "type": "string"},
                    "unit": {
                        "default": "c",
                        "description": "Temperature unit.",
                        "enum": ["c", "f"],
                        "type": "string",
                    },
                },
                "required": ["city"],
                "type": "object",
            },
        },
        id="at-tool-parse-docstring",
    ),
    pytest.param(
        ping,
        {
            "name": "ping",
            "description": "Ping.",
            "parametersJsonSchema": {"properties": {}, "type": "object"},
        },
        id="at-tool-no-args",
    ),
    pytest.param(
        tool_with_model,
        {
            "name": "tool_with_model",
            "description": "Use a model.",
            "parametersJsonSchema": {
                "$defs": {"Sub": SUB_DEF_DESCRIBED},
                "properties": {"a": {"type": "integer"}, "b": {"$ref": "#/$defs/Sub"}},
                "required": ["a", "b"],
                "type": "object",
            },
        },
        id="at-tool-model-arg-keeps-ref",
    ),
    pytest.param(
        simple_tool,
        {
            "name": "simple",
            "description": "Echo",
            "parametersJsonSchema": {
                "properties": {"__arg1": {"type": "string"}},
                "required": ["__arg1"],
                "type": "object",
            },
        },
        id="simple-tool-arg1",
    ),
    pytest.param(
        dict_schema_tool,
        {
            "name": "dict_tool",
            "description": "Args as a JSON Schema dict",
            "parametersJsonSchema": {
                "type": "object",
                "properties": {"n": {"type": "integer"}},
                "required": ["n"],
            },
        },
        id="basetool-dict-args-schema",
    ),
    pytest.param(
        {
            "type": "function",
            "function": {
                "name": "get_time",
                "description": "Current time",
                "parameters": {
                    "$schema": "http://json-schema.org/draft-07/schema#",
                    "type": "object",
                    "properties": {"tz": {"type": "string", "enum": ["UTC", "CET"]}},
                    "additionalProperties": False,
                },
                "strict": True,
            },
        },
        {
            "name": "get_time",
            "description": "Current time",
            "parametersJsonSchema": {
                "type": "object",
                "properties": {"tz": {"type": "string", "enum": ["UTC", "CET"]}},
                "additionalProperties": False,
            },
        },
        id="openai-tool-dict",
    ),
    pytest.param(
        {"name": "noop", "description": "", "parameters": {"type": "object"}},
        {"name": "noop", "parametersJsonSchema": {"type": "object", "properties": {}}},
        id="openai-function-dict-object-without-properties",
    ),
    pytest.param(
        {"name": "bare"},
        {"name": "bare", "parametersJsonSchema": {"type": "object", "properties": {}}},
        id="openai-function-dict-no-parameters",
    ),
    pytest.param(
        {"name": "n", "parameters": {"properties": {"a": {"type": "string"}}}},
        {
            "name": "n",
            "parametersJsonSchema": {"type": "object", "properties": {"a": {"type": "string"}}},
        },
        id="openai-function-dict-missing-type",
    ),
    pytest.param(
        {"name": "anth", "description": "d", "input_schema": {"type": "object", "properties": {}}},
        {
            "name": "anth",
            "description": "d",
            "parametersJsonSchema": {"type": "object", "properties": {}},
        },
        id="anthropic-dict",
    ),
    pytest.param(
        {
            "title": "from_schema",
            "description": "Schema as tool",
            "type": "object",
            "properties": {"a": {"type": "integer", "title": "A"}},
        },
        {
            "name": "from_schema",
            "description": "Schema as tool",
            "parametersJsonSchema": {"type": "object", "properties": {"a": {"type": "integer"}}},
        },
        id="titled-json-schema-dict",
    ),
]


@pytest.mark.parametrize(("tool_like", "expected"), DECLARATION_CASES)
def test_convert_single_declaration(tool_like: Any, expected: dict[str, Any]) -> None:
    assert convert_tools([tool_like]) == [{"functionDeclarations": [expected]}]


@pytest.mark.parametrize(
    ("tool_like", "expected"),
    [
        pytest.param({"google_search": {}}, {"googleSearch": {}}, id="google_search"),
        pytest.param({"googleSearch": {}}, {"googleSearch": {}}, id="googleSearch"),
        pytest.param({"code_execution": {}}, {"codeExecution": {}}, id="code_execution"),
        pytest.param({"codeExecution": {}}, {"codeExecution": {}}, id="codeExecution"),
        pytest.param({"url_context": {}}, {"urlContext": {}}, id="url_context"),
        pytest.param({"urlContext": {}}, {"urlContext": {}}, id="urlContext"),
        pytest.param({"google_maps": {}}, {"googleMaps": {}}, id="google_maps"),
        pytest.param(
            {"googleMaps": {"enable_widget": True}},
            {"googleMaps": {"enableWidget": True}},
            id="googleMaps-payload-camelcased",
        ),
        pytest.param(
            {"google_search": {"time_range_filter": {"start_time": "2025-01-01T00:00:00Z"}}},
            {"googleSearch": {"timeRangeFilter": {"startTime": "2025-01-01T00:00:00Z"}}},
            id="nested-payload-camelcased",
        ),
        pytest.param({"google_search": None}, {"googleSearch": {}}, id="none-payload"),
    ],
)
def test_convert_builtin(tool_like: dict[str, Any], expected: dict[str, Any]) -> None:
    assert convert_tools([tool_like]) == [expected]


@pytest.mark.parametrize(
    "gemini_tool",
    [
        pytest.param(
            {
                "function_declarations": [
                    {
                        "name": "a",
                        "description": "A",
                        "parameters_json_schema": {
                            "type": "object",
                            "title": "T",
                            "properties": {"snake_name": {"type": "string"}},
                        },
                    },
                    {"name": "b", "parameters": {"type": "OBJECT", "properties": {}}},
                    {"name": "c"},
                ]
            },
            id="snake",
        ),
        pytest.param(
            {
                "functionDeclarations": [
                    {
                        "name": "a",
                        "description": "A",
                        "parametersJsonSchema": {
                            "type": "object",
                            "title": "T",
                            "properties": {"snake_name": {"type": "string"}},
                        },
                    },
                    {"name": "b", "parameters": {"type": "OBJECT", "properties": {}}},
                    {"name": "c"},
                ]
            },
            id="camel",
        ),
    ],
)
def test_convert_gemini_function_declarations(gemini_tool: dict[str, Any]) -> None:
    assert convert_tools([gemini_tool]) == [
        {
            "functionDeclarations": [
                {
                    "name": "a",
                    "description": "A",
                    # Property names are data: never camelCased.
                    "parametersJsonSchema": {
                        "type": "object",
                        "properties": {"snake_name": {"type": "string"}},
                    },
                },
                # The OpenAPI-subset `parameters` is the caller's explicit choice: untouched.
                {"name": "b", "parameters": {"type": "OBJECT", "properties": {}}},
                {"name": "c", "parametersJsonSchema": {"type": "object", "properties": {}}},
            ]
        }
    ]


def test_convert_groups_declarations_first_and_builtins_in_order() -> None:
    result = convert_tools(
        [
            {"google_search": {}},
            NoArgs,
            {"urlContext": {}},
            {"function_declarations": [{"name": "g"}], "code_execution": {}},
            ping,
        ]
    )
    assert result == [
        {
            "functionDeclarations": [
                {
                    "name": "NoArgs",
                    "description": "Takes nothing.",
                    "parametersJsonSchema": {"properties": {}, "type": "object"},
                },
                {"name": "g", "parametersJsonSchema": {"type": "object", "properties": {}}},
                {
                    "name": "ping",
                    "description": "Ping.",
                    "parametersJsonSchema": {"properties": {}, "type": "object"},
                },
            ]
        },
        {"googleSearch": {}},
        {"urlContext": {}},
        {"codeExecution": {}},
    ]
    assert function_names(result) == ["NoArgs", "g", "ping"]


@pytest.mark.parametrize(
    ("tools", "expected"),
    [
        pytest.param([], [], id="empty"),
        pytest.param((), [], id="empty-tuple"),
        pytest.param([{"codeExecution": {}}], [{"codeExecution": {}}], id="builtins-only"),
    ],
)
def test_convert_without_declarations(tools: Any, expected: list[dict[str, Any]]) -> None:
    assert convert_tools(tools) == expected


def test_convert_does_not_mutate_or_alias_input() -> None:
    openai_tool = {
        "type": "function",
        "function": {
            "name": "f",
            "parameters": {
                "$schema": "x",
                "type": "object",
                "title": "F",
                "properties": {
                    "a": {"$ref": "#/$defs/A", "description": "an A", "default": {"k": [1]}}
                },
                "$defs": {"A": {"type": "object", "title": "A", "properties": {}}},
            },
        },
    }
    builtin = {"google_search": {"time_range_filter": {"start_time": "t"}}}
    before = copy.deepcopy([openai_tool, builtin])
    result = convert_tools([openai_tool, builtin])
    assert [openai_tool, builtin] == before
    params = result[0]["functionDeclarations"][0]["parametersJsonSchema"]
    assert params == {
        "type": "object",
        "properties": {
            "a": {"anyOf": [{"$ref": "#/$defs/A"}], "description": "an A", "default": {"k": [1]}}
        },
        "$defs": {"A": {"type": "object", "properties": {}}},
    }
    params["properties"]["a"]["default"]["k"].append(2)
    result[1]["googleSearch"]["timeRangeFilter"]["startTime"] = "changed"
    assert [openai_tool, builtin] == before


def test_convert_is_deterministic() -> None:
    tools = [Outer, Node, Enums, search, get_weather, {"google_search": {}}]
    assert json.dumps(convert_tools(tools)) == json.dumps(convert_tools(tools))


def test_convert_is_linear_on_shared_definitions() -> None:
    # Each level references the previous one twice: inlining $refs (what convert_to_openai_tool
    # does) would produce 2**40 copies of the leaf; keeping $defs stays linear.
    model: type[BaseModel] = create_model("Level0", x=(int, ...))
    for depth in range(1, 41):
        model = create_model(f"Level{depth}", left=(model, ...), right=(model, ...))
    start = time.perf_counter()
    params = convert_tools([model])[0]["functionDeclarations"][0]["parametersJsonSchema"]
    assert time.perf_counter() - start < 2
    assert len(params["$defs"]) == 40
    assert params["properties"] == {
        "left": {"$ref": "#/$defs/Level39"},
        "right": {"$ref": "#/$defs/Level39"},
    }
    assert len(json.dumps(params)) < 10_000


class Plain:
    pass


class _TooLong(BaseModel):
    pass


_TooLong.model_config["title"] = "a" * 129


@pytest.mark.parametrize(
    ("tools", "message"),
    [
        pytest.param([42], r"tools\[0\] \(int 42\): unsupported tool of type int", id="int"),
        pytest.param(
            ["google_search"], r"unsupported tool of type str\. Accepted forms: a Lang", id="str"
        ),
        pytest.param([Plain], r"\(class Plain\): unsupported tool of type type", id="plain-class"),
        pytest.param(
            [{"foo": 1}], r"tools\[0\] \(dict with keys \['foo'\]\): unrecognised tool dict", id="d"
        ),
        pytest.param(
            [{"type": "web_search"}], r"unrecognised tool dict\. Accepted forms", id="oai-builtin"
        ),
        pytest.param([{}], r"dict with keys \[\]\): unrecognised tool dict", id="empty-dict"),
        pytest.param(
            [{"name": "get weather"}],
            r"function name 'get weather' is not valid for Gemini: it contains ' ' \(only",
            id="name-space",
        ),
        pytest.param(
            [{"name": "1abc"}],
            r"'1abc' is not valid for Gemini: it must start with a letter or an underscore\.",
            id="name-digit-first",
        ),
        pytest.param(
            [{"name": "héllo/x"}],
            r"it contains '/', 'é'",
            id="name-non-ascii-and-slash",
        ),
        pytest.param(
            [{"name": "a" * 129}],
            r"is 129 characters long \(max 128\)",
            id="name-too-long",
        ),
        pytest.param([_TooLong], r"is 129 characters long", id="model-title-too-long"),
        pytest.param([{"name": ""}], r"invalid function name '': it is missing", id="name-empty"),
        pytest.param([{"name": 3}], r"invalid function name 3: it is a int", id="name-int"),
        pytest.param(
            [{"functionDeclarations": [{"description": "x"}]}],
            r"invalid function name None: it is missing",
            id="declaration-without-name",
        ),
        pytest.param(
            [Sub, {"name": "Sub"}],
            r"Duplicate function name 'Sub': declared by tools\[0\] \(class Sub\) and tools\[1\]",
            id="duplicate-function",
        ),
        pytest.param(
            [{"functionDeclarations": [{"name": "x"}, {"name": "x", "description": "other"}]}],
            r"Duplicate function name 'x'",
            id="duplicate-within-declarations",
        ),
        pytest.param(
            [{"google_search": {}}, {"googleSearch": {"time_range_filter": {}}}],
            r"Duplicate built-in tool 'googleSearch'",
            id="duplicate-builtin",
        ),
        pytest.param(
            [{"google_search": "yes"}], r"'google_search' must map to a dict, got str", id="bi-str"
        ),
        pytest.param(
            [{"functionDeclarations": {"name": "x"}}],
            r"'functionDeclarations' must be a list, got dict",
            id="declarations-not-list",
        ),
        pytest.param(
            [{"functionDeclarations": ["x"]}],
            r"each function declaration must be a dict, got str",
            id="declaration-not-dict",
        ),
        pytest.param(
            [
                {
                    "functionDeclarations": [
                        {"name": "x", "parameters": {}, "parametersJsonSchema": {}}
                    ]
                }
            ],
            r"sets both 'parameters' and 'parametersJsonSchema'",
            id="both-parameter-kinds",
        ),
        pytest.param(
            [{"name": "x", "parameters": "int"}],
            r"'parameters' must be a JSON Schema dict, got str",
            id="parameters-not-dict",
        ),
        pytest.param(
            {"google_search": {}}, r"tools must be a list of tools, got dict", id="not-a-list"
        ),
        pytest.param(
            [Tool(name="free", description="d", func=len, metadata={"type": "custom_tool"})],
            r"converts to an OpenAI 'custom' tool, which Gemini cannot run",
            id="openai-custom-tool",
        ),
    ],
)
def test_convert_errors(tools: Any, message: str) -> None:
    with pytest.raises(ToolConversionError, match=message) as info:
        convert_tools(tools)
    assert isinstance(info.value, ValueError)


def test_convert_accepts_basetool_subclass() -> None:
    class Adder(BaseTool):
        name: str = "adder"
        description: str = "Adds"
        args_schema: type[BaseModel] = create_model("AdderArgs", a=(int, ...), b=(int, 0))

        def _run(self, a: int, b: int = 0) -> int:
            return a + b

    assert convert_tools([Adder()]) == [
        {
            "functionDeclarations": [
                {
                    "name": "adder",
                    "description": "Adds",
                    "parametersJsonSchema": {
                        "properties": {
                            "a": {"type": "integer"},
                            "b": {"default": 0, "type": "integer"},
                        },
                        "required": ["a"],
                        "type": "object",
                    },
                }
            ]
        }
    ]


# --------------------------------------------------------------------------- function_names


@pytest.mark.parametrize(
    ("tools_array", "expected"),
    [
        pytest.param([], [], id="empty"),
        pytest.param([{"googleSearch": {}}], [], id="builtins-only"),
        pytest.param(
            [{"functionDeclarations": [{"name": "a"}, {"name": "b"}]}, {"urlContext": {}}],
            ["a", "b"],
            id="camel",
        ),
        pytest.param([{"function_declarations": [{"name": "s"}]}], ["s"], id="snake"),
    ],
)
def test_function_names(tools_array: list[dict[str, Any]], expected: list[str]) -> None:
    assert function_names(tools_array) == expected


# --------------------------------------------------------------------------- tool_choice

NAMES = ["get_weather", "search"]


def _fcc(mode: str, *allowed: str) -> dict[str, Any]:
    config: dict[str, Any] = {"mode": mode}
    if allowed:
        config["allowedFunctionNames"] = list(allowed)
    return {"functionCallingConfig": config}


@pytest.mark.parametrize(
    ("tool_choice", "names", "expected"),
    [
        pytest.param(None, NAMES, None, id="None"),
        pytest.param(False, NAMES, None, id="False"),
        pytest.param("auto", NAMES, _fcc("AUTO"), id="auto"),
        pytest.param("none", NAMES, _fcc("NONE"), id="none"),
        pytest.param("any", NAMES, _fcc("ANY"), id="any"),
        pytest.param("required", NAMES, _fcc("ANY"), id="required"),
        pytest.param(True, NAMES, _fcc("ANY"), id="True"),
        pytest.param("ANY", NAMES, _fcc("ANY"), id="gemini-mode-name"),
        pytest.param("validated", NAMES, _fcc("VALIDATED"), id="validated"),
        pytest.param("search", NAMES, _fcc("ANY", "search"), id="function-name"),
        pytest.param(
            ["search", "get_weather"], NAMES, _fcc("ANY", "search", "get_weather"), id="l"
        ),
        pytest.param(("search", "search"), NAMES, _fcc("ANY", "search"), id="tuple-deduped"),
        pytest.param(
            {"type": "function", "function": {"name": "search"}},
            NAMES,
            _fcc("ANY", "search"),
            id="openai-dict",
        ),
        pytest.param(
            {"type": "function", "name": "search"}, NAMES, _fcc("ANY", "search"), id="responses"
        ),
        pytest.param(
            {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["search"]}},
            NAMES,
            _fcc("ANY", "search"),
            id="gemini-camel",
        ),
        pytest.param(
            {"function_calling_config": {"mode": "any", "allowed_function_names": ["search"]}},
            NAMES,
            _fcc("ANY", "search"),
            id="gemini-snake-lower-mode",
        ),
        pytest.param(
            {"mode": "VALIDATED", "allowed_function_names": ["get_weather"]},
            NAMES,
            _fcc("VALIDATED", "get_weather"),
            id="bare-mode-dict",
        ),
        pytest.param({"mode": "NONE"}, NAMES, _fcc("NONE"), id="bare-mode-only"),
        pytest.param(
            {
                "function_calling_config": {"mode": "AUTO"},
                "retrieval_config": {"lat_lng": {"latitude": 1.5, "longitude": 2.5}},
            },
            NAMES,
            {
                "functionCallingConfig": {"mode": "AUTO"},
                "retrievalConfig": {"latLng": {"latitude": 1.5, "longitude": 2.5}},
            },
            id="with-retrieval-config",
        ),
        # Gemini 400s on any functionCallingConfig without declarations; non-forcing choices
        # mean nothing then, so they are dropped instead of sent.
        pytest.param("auto", [], None, id="auto-without-functions"),
        pytest.param("none", [], None, id="none-without-functions"),
        pytest.param({"mode": "AUTO"}, [], None, id="raw-auto-without-functions"),
        pytest.param(
            {"functionCallingConfig": {"mode": "AUTO"}, "retrievalConfig": {"languageCode": "en"}},
            [],
            {"retrievalConfig": {"languageCode": "en"}},
            id="retrieval-kept-without-functions",
        ),
    ],
)
def test_tool_choice_to_config(
    tool_choice: Any, names: list[str], expected: dict[str, Any] | None
) -> None:
    assert tool_choice_to_config(tool_choice, names) == expected


def test_tool_choice_does_not_mutate_input() -> None:
    choice = {"function_calling_config": {"mode": "any", "allowed_function_names": ["search"]}}
    before = copy.deepcopy(choice)
    config = tool_choice_to_config(choice, NAMES)
    assert config is not None
    config["functionCallingConfig"]["allowedFunctionNames"].append("x")
    assert choice == before


@pytest.mark.parametrize(
    ("tool_choice", "names", "message"),
    [
        pytest.param(
            "unknown",
            NAMES,
            r"names function 'unknown', which is not among the bound tools "
            r"\(known functions: 'get_weather', 'search'\)",
            id="unknown-name",
        ),
        pytest.param(["search", "nope"], NAMES, r"names function 'nope'", id="unknown-in-list"),
        pytest.param(
            {"type": "function", "function": {"name": "nope"}},
            NAMES,
            r"names function 'nope'",
            id="unknown-openai",
        ),
        pytest.param(
            {"mode": "ANY", "allowed_function_names": ["nope"]},
            NAMES,
            r"names function 'nope'",
            id="unknown-raw",
        ),
        pytest.param(
            "any", [], r"'any' forces a function call, but no function tools are bound", id="any"
        ),
        pytest.param("required", [], r"forces a function call", id="required-no-tools"),
        pytest.param(True, [], r"True forces a function call", id="true-no-tools"),
        pytest.param("search", [], r"'search' forces a function call", id="name-no-tools"),
        pytest.param(["search"], [], r"forces a function call", id="list-no-tools"),
        pytest.param({"mode": "any"}, [], r"forces a function call", id="raw-any-no-tools"),
        pytest.param([], NAMES, r"tool_choice is an empty list", id="empty-list"),
        pytest.param({"mode": "SOMETIMES"}, NAMES, r"unknown mode 'SOMETIMES'", id="bad-mode"),
        pytest.param(
            {"mode": "AUTO", "allowed_function_names": ["search"]},
            NAMES,
            r"allowedFunctionNames needs mode ANY or VALIDATED",
            id="names-with-auto",
        ),
        pytest.param(
            {"mode": "ANY", "allowedFunctionNames": "search"},
            NAMES,
            r"allowedFunctionNames must be a list",
            id="names-not-list",
        ),
        pytest.param({"functionCallingConfig": "ANY"}, NAMES, r"must be a dict", id="fcc-not-dict"),
        pytest.param(
            {"type": "tool", "name": "search"},
            NAMES,
            r"Unrecognised tool_choice \{'type': 'tool', 'name': 'search'\}\. Accepted forms",
            id="unrecognised-dict",
        ),
        pytest.param(
            3.5, NAMES, r"Unrecognised tool_choice of type float\. Accepted forms", id="float"
        ),
    ],
)
def test_tool_choice_errors(tool_choice: Any, names: list[str], message: str) -> None:
    with pytest.raises(ToolConversionError, match=message):
        tool_choice_to_config(tool_choice, names)


# --------------------------------------------------------------------------- output schema




# tests/fixtures/gemini/structured_output.request.json (accepted by Gemini), minus titles.
TOP_MODEL_SCHEMA = {
    "$defs": {
        "MiddleModel": {
            "description": "Represents the middle nested level.",
            "properties": {
                "title": {"description": "Title of the page", "type": "string"},
                "items": {
                    "description": "List of nested items",
                    "items": {"$ref": "#/$defs/NestedModel"},
                    "type": "array",
                },
            },
            "required": ["title", "items"],
            "type": "object",
        },
        "NestedModel": {
            "description": "Represents the deepest nested level.",
            "properties": {
                "name": {"description": "Name of the item", "type": "string"},
                "value": {"description": "Value of the item", "type": "integer"},
            },
            "required": ["name", "value"],
            "type": "object",
        },
    },
    "description": "Represents the top-level structure.",
    "properties": {
        "name": {"description": "Name of the collection", "type": "string"},
        "pages": {
            "description": "List of pages",
            "items": {"$ref": "#/$defs/MiddleModel"},
            "type": "array",
        },
    },
    "required": ["name", "pages"],
    "type": "object",
}

WEATHER_PARAMS = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param(TopModel, TOP_MODEL_SCHEMA, id="pydantic-nested"),
        pytest.param(Node, {**NODE_SCHEMA, "$defs": {"Node": NODE_SCHEMA}}, id="recursive"),
        pytest.param(
            Enums,
            {
                "$defs": {
                    "Color": {"enum": ["red", "blue"], "type": "string"},
                    "Level": {"enum": [1, 2], "type": "integer"},
                },
                "properties": {
                    "mode": {"enum": ["fast", "slow"], "type": "string"},
                    "level": {"$ref": "#/$defs/Level"},
                    "color": {"anyOf": [{"$ref": "#/$defs/Color"}], "description": "Paint colour"},
                },
                "required": ["mode", "level", "color"],
                "type": "object",
            },
            id="enums-ref-sibling",
        ),
        pytest.param(
            ModelV1,
            {
                "description": "v1 doc",
                "type": "object",
                "properties": {
                    "s": {"description": "sub", "anyOf": [{"$ref": "#/$defs/SubV1"}]},
                    "n": {"type": "integer"},
                },
                "required": ["s"],
                "$defs": {
                    "SubV1": {
                        "type": "object",
                        "properties": {"y": {"type": "string"}},
                        "required": ["y"],
                    }
                },
            },
            id="pydantic-v1",
        ),
        pytest.param(
            Movie,
            {
                "description": "A movie.",
                "type": "object",
                "properties": {
                    "title": {"description": "The title.", "type": "string"},
                    "year": {"description": "Release year", "type": "integer"},
                },
                "required": ["title", "year"],
            },
            id="typeddict",
        ),
        pytest.param(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": "Answer",
                "type": "array",
                "items": {"type": "string", "title": "Item"},
            },
            {"type": "array", "items": {"type": "string"}},
            id="json-schema-dict",
        ),
        pytest.param(
            {"type": "function", "function": {"name": "w", "parameters": WEATHER_PARAMS}},
            WEATHER_PARAMS,
            id="openai-tool-dict",
        ),
        pytest.param(
            {"name": "w", "description": "Weather", "parameters": WEATHER_PARAMS},
            {"description": "Weather", **WEATHER_PARAMS},
            id="openai-function-dict",
        ),
        pytest.param(
            {"type": "json_schema", "json_schema": {"name": "w", "schema": WEATHER_PARAMS}},
            WEATHER_PARAMS,
            id="openai-response-format",
        ),
        pytest.param(
            {"properties": {"a": {"$ref": "#/$defs/A", "$comment": "c"}}, "$defs": {"A": {}}},
            {"properties": {"a": {"$ref": "#/$defs/A", "$comment": "c"}}, "$defs": {"A": {}}},
            id="ref-with-only-dollar-siblings-kept",
        ),
        pytest.param(
            {"$ref": "#/$defs/A", "$defs": {"A": {"type": "string", "title": "A"}}},
            {"type": "string", "$defs": {"A": {"type": "string"}}},
            id="root-ref-inlined",
        ),
        pytest.param(
            {
                "properties": {
                    "a": {"$ref": "#/$defs/A", "anyOf": [{"type": "string"}], "title": "A"}
                },
                "$defs": {"A": {"type": "string"}},
            },
            {
                "properties": {
                    "a": {"allOf": [{"$ref": "#/$defs/A"}], "anyOf": [{"type": "string"}]}
                },
                "$defs": {"A": {"type": "string"}},
            },
            id="ref-next-to-anyOf-goes-to-allOf",
        ),
        pytest.param(
            {"properties": {"a": {"$ref": "#/$defs/A", "title": "A"}}, "$defs": {"A": {}}},
            {"properties": {"a": {"$ref": "#/$defs/A"}}, "$defs": {"A": {}}},
            id="ref-alone-once-title-dropped",
        ),
        pytest.param(
            {"type": "object", "properties": {"p": {"enum": [{"title": "kept"}], "const": 1}}},
            {"type": "object", "properties": {"p": {"enum": [{"title": "kept"}], "const": 1}}},
            id="data-values-untouched",
        ),
    ],
)
def test_json_schema_for_output(schema: Any, expected: dict[str, Any]) -> None:
    assert json_schema_for_output(schema) == expected


def test_json_schema_for_output_does_not_mutate_input() -> None:
    schema = {
        "title": "T",
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/A", "description": "d"}},
        "$defs": {"A": {"type": "integer", "title": "A"}},
    }
    before = copy.deepcopy(schema)
    result = json_schema_for_output(schema)
    assert schema == before
    result["$defs"]["A"]["type"] = "string"
    assert schema == before


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        pytest.param(42, r"Unsupported output schema of type int\. Accepted: a Pydantic", id="i"),
        pytest.param("Answer", r"Unsupported output schema of type str", id="str"),
        pytest.param(Plain, r"Unsupported output schema of type type", id="plain-class"),
        pytest.param(search, r"Unsupported output schema of type function", id="function"),
        pytest.param({"foo": "bar"}, r"dict has no JSON Schema keyword", id="non-schema-dict"),
        pytest.param({}, r"dict has no JSON Schema keyword", id="empty-dict"),
    ],
)
def test_json_schema_for_output_errors(schema: Any, message: str) -> None:
    with pytest.raises(ToolConversionError, match=message):
        json_schema_for_output(schema)


def test_identical_duplicates_collapse() -> None:
    """The same tool given twice (a model and its own JSON schema) is declared once."""

    class Person(BaseModel):
        """A person."""

        name: str

    tools = convert_tools(
        [Person, Person.model_json_schema(), {"google_search": {}}, {"googleSearch": {}}]
    )
    assert function_names(tools) == ["Person"]
    assert tools[1:] == [{"googleSearch": {}}]
