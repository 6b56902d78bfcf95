"""Convert LangChain tools, tool choices and output schemas to Gemini's wire format.

Pure functions, no I/O. Function parameters and structured-output schemas are sent as real
JSON Schema (``parametersJsonSchema`` / ``responseJsonSchema``), never as the lossy OpenAPI
``parameters`` subset, so ``$defs``/``$ref``, ``anyOf``, ``additionalProperties``, integer
enums and recursive models reach the model intact.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.tools import BaseTool, Tool, create_schema_from_function
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from pydantic import BaseModel
from pydantic.errors import PydanticUserError
from pydantic.v1 import BaseModel as BaseModelV1
from typing_extensions import is_typeddict

from ._exceptions import ToolConversionError

logger = logging.getLogger(__name__)

__all__ = [
    "ToolConversionError",
    "convert_tools",
    "function_names",
    "json_schema_for_output",
    "tool_choice_to_config",
]


_ACCEPTED_TOOL_FORMS = (
    "a LangChain BaseTool, a Pydantic (v2 or v1) model class, a TypedDict class, a Python "
    "function, an OpenAI tool dict ({'type': 'function', 'function': {...}}) or function dict "
    "({'name', 'description', 'parameters'}), a Gemini {'functionDeclarations': [...]} dict, "
    "or a Gemini built-in tool dict such as {'google_search': {}}, {'code_execution': {}}, "
    "{'url_context': {}} or {'google_maps': {}}"
)
_ACCEPTED_CHOICE_FORMS = (
    "'auto', 'none', 'any', 'required', True, False, None, a function name, a list of "
    "function names, {'type': 'function', 'function': {'name': ...}}, or a Gemini dict "
    "({'functionCallingConfig': {...}} / {'mode': ..., 'allowed_function_names': [...]})"
)
_ACCEPTED_OUTPUT_FORMS = (
    "a Pydantic (v2 or v1) model class, a TypedDict class, a JSON Schema dict, or an "
    "OpenAI function dict"
)

# Gemini's FunctionDeclaration.name rule.
_NAME_MAX_LEN = 128
_NAME_BAD_CHAR_RE = re.compile(r"[^A-Za-z0-9_.:\-]")

_FUNCTION_DECLARATIONS = "functionDeclarations"
# Tool kinds whose payload is plain config, so camelCasing its keys is safe. mcpServers is
# left out on purpose: its payload holds user header names that must not be rewritten.
_BUILTIN_TOOLS = frozenset(
    {
        "googleSearch",
        "googleSearchRetrieval",
        "codeExecution",
        "urlContext",
        "googleMaps",
        "fileSearch",
        "computerUse",
    }
)
_GEMINI_TOOL_KEYS = _BUILTIN_TOOLS | {_FUNCTION_DECLARATIONS}
_DECLARATION_SCHEMA_KEYS = frozenset({"parametersJsonSchema", "responseJsonSchema"})

_MODES = frozenset({"AUTO", "ANY", "NONE", "VALIDATED", "MODE_UNSPECIFIED"})
_FORCING_MODES = frozenset({"ANY"})
_CHOICE_KEYWORDS = {
    "auto": "AUTO",
    "none": "NONE",
    "any": "ANY",
    "required": "ANY",
    "validated": "VALIDATED",
}

# JSON Schema keywords whose values are schemas (or maps/lists of schemas); everything else is
# data (enum, const, default, examples, required, ...) and is copied untouched.
_SUBSCHEMA_MAP_KEYS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
_SUBSCHEMA_KEYS = frozenset(
    {
        "items",
        "additionalItems",
        "additionalProperties",
        "unevaluatedItems",
        "unevaluatedProperties",
        "contains",
        "propertyNames",
        "not",
        "if",
        "then",
        "else",
        "contentSchema",
    }
)
_SUBSCHEMA_LIST_KEYS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
# Pydantic fills every schema with auto-generated titles ("City" for `city`, the class name for
# each $def) that repeat what the key already says; they only cost tokens on every request.
_DROPPED_KEYS = frozenset({"$schema", "title"})
_SCHEMA_KEYWORDS = (
    _SUBSCHEMA_MAP_KEYS
    | _SUBSCHEMA_KEYS
    | _SUBSCHEMA_LIST_KEYS
    | {"type", "$ref", "enum", "const", "format", "required", "description"}
)
_V1_DEFS_PREFIX = "#/definitions/"
_DEFS_PREFIX = "#/$defs/"

# (name, description, parameters); name and description are validated later.
_SchemaSource = tuple[Any, Any, dict[str, Any]]


# --------------------------------------------------------------------------- schema cleaning


def _copy_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy_json(item) for item in value]
    return value


def _clean_subschema(node: Any, rename_v1_defs: bool) -> Any:
    if not isinstance(node, Mapping):
        # `true`/`false` schemas, or malformed input we have no business repairing.
        return _copy_json(node)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYS:
            continue
        if key in _SUBSCHEMA_MAP_KEYS and isinstance(value, Mapping):
            out[key] = {name: _clean_subschema(sub, rename_v1_defs) for name, sub in value.items()}
        elif (key in _SUBSCHEMA_KEYS or key in _SUBSCHEMA_LIST_KEYS) and isinstance(
            value, (list, tuple)
        ):
            out[key] = [_clean_subschema(sub, rename_v1_defs) for sub in value]
        elif key in _SUBSCHEMA_KEYS:
            out[key] = _clean_subschema(value, rename_v1_defs)
        elif key == "$ref" and isinstance(value, str):
            if rename_v1_defs and value.startswith(_V1_DEFS_PREFIX):
                value = _DEFS_PREFIX + value[len(_V1_DEFS_PREFIX) :]
            out[key] = value
        else:
            out[key] = _copy_json(value)

    # Pydantic v1 wraps a described reference as `allOf: [{$ref}]`; Gemini does not document
    # `allOf` for JSON Schema (unknown keywords are ignored, which would drop the reference),
    # while a one-element `anyOf` means exactly the same and is supported.
    all_of = out.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and "anyOf" not in out:
        out = {("anyOf" if key == "allOf" else key): value for key, value in out.items()}

    if "$ref" in out and any(not key.startswith("$") for key in out):
        out = _isolate_ref(out)
    return out


def _isolate_ref(node: dict[str, Any]) -> dict[str, Any]:
    # Gemini: a sub-schema using $ref may have no sibling keys except $-prefixed ones, so move
    # the reference one level down, where it stands alone.
    ref = {"$ref": node["$ref"]}
    wrapper = "anyOf" if "anyOf" not in node else "allOf"
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            existing = node.get(wrapper)
            out[wrapper] = [ref, *existing] if isinstance(existing, list) else [ref]
        elif key != wrapper:
            out[key] = value
    return out


def _unescape_pointer(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _resolve_top_level_ref(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    # Pydantic renders a recursive root model as {"$defs": {...}, "$ref": "#/$defs/Node"} (v1:
    # "definitions"). Inline the referenced definition at the top so the schema is a plain
    # object (function parameters must be one) and its title/description are visible; keep
    # $defs because the definition refers to itself.
    ref = raw.get("$ref")
    if not isinstance(ref, str) or any(
        not key.startswith("$") and key != "definitions" for key in raw
    ):
        return raw
    for defs_key, prefix in (("$defs", _DEFS_PREFIX), ("definitions", _V1_DEFS_PREFIX)):
        defs = raw.get(defs_key)
        if not ref.startswith(prefix) or not isinstance(defs, Mapping):
            continue
        name = ref[len(prefix) :]
        if "/" in name:
            return raw
        target = defs.get(_unescape_pointer(name))
        if not isinstance(target, Mapping):
            return raw
        merged: dict[str, Any] = dict(target)
        merged.update((key, value) for key, value in raw.items() if key != "$ref")
        return merged
    return raw


def _clean_schema(raw: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Return the cleaned copy of a root JSON Schema and the root's title (before removal)."""
    top = _resolve_top_level_ref(raw)
    title = top.get("title")
    # Gemini documents `$defs`, not the draft-07 `definitions` pydantic v1 emits.
    rename_v1_defs = "definitions" in top and "$defs" not in top
    if rename_v1_defs:
        top = {("$defs" if key == "definitions" else key): value for key, value in top.items()}
    cleaned = _clean_subschema(top, rename_v1_defs)
    assert isinstance(cleaned, dict)  # a Mapping in always gives a dict out
    return cleaned, title if isinstance(title, str) else None


# --------------------------------------------------------------------------- tools


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _camel_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_camel(str(key)): _camel_keys(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_camel_keys(item) for item in value]
    return value


def _describe(tool: Any, index: int) -> str:
    if isinstance(tool, BaseTool):
        kind = f"BaseTool {tool.name!r}"
    elif isinstance(tool, Mapping):
        kind = f"dict with keys {sorted(map(str, tool))}"
    elif isinstance(tool, type):
        kind = f"class {tool.__qualname__}"
    elif callable(tool):
        kind = f"function {getattr(tool, '__qualname__', repr(tool))}"
    else:
        kind = f"{type(tool).__name__} {tool!r:.80}"
    return f"tools[{index}] ({kind})"


def _check_name(name: Any, label: str) -> str:
    if not isinstance(name, str) or not name:
        problem = "it is missing or empty" if not name else f"it is a {type(name).__name__}"
        msg = f"{label}: invalid function name {name!r}: {problem}."
        raise ToolConversionError(msg)
    problems = []
    if len(name) > _NAME_MAX_LEN:
        problems.append(f"it is {len(name)} characters long (max {_NAME_MAX_LEN})")
    if not (name[0].isascii() and (name[0].isalpha() or name[0] == "_")):
        problems.append("it must start with a letter or an underscore")
    bad = sorted(set(_NAME_BAD_CHAR_RE.findall(name)))
    if bad:
        problems.append(
            f"it contains {', '.join(map(repr, bad))} "
            "(only letters, digits, '_', '.', ':' and '-' are allowed)"
        )
    if problems:
        msg = f"{label}: function name {name!r} is not valid for Gemini: {'; '.join(problems)}."
        raise ToolConversionError(msg)
    return name


def _ensure_object(params: dict[str, Any]) -> dict[str, Any]:
    if not params:
        return {"type": "object", "properties": {}}
    if "type" not in params and "properties" in params:
        params = {"type": "object", **params}
    if params.get("type") == "object" and "properties" not in params:
        params = {**params, "properties": {}}
    return params


def _declaration(name: Any, description: Any, params: dict[str, Any], label: str) -> dict[str, Any]:
    decl: dict[str, Any] = {"name": _check_name(name, label)}
    if isinstance(description, str) and description:
        decl["description"] = description
    decl["parametersJsonSchema"] = _ensure_object(params)
    return decl


def _model_schema(model: type, label: str) -> dict[str, Any]:
    try:
        if issubclass(model, BaseModel):
            return model.model_json_schema()
        if issubclass(model, BaseModelV1):
            schema: dict[str, Any] = model.schema()
            return schema
    except (TypeError, ValueError, PydanticUserError) as exc:
        msg = f"{label}: could not build a JSON Schema: {exc}"
        raise ToolConversionError(msg) from exc
    msg = f"{label}: expected a Pydantic model class, got {model!r}."
    raise ToolConversionError(msg)


def _from_model(model: type, label: str) -> _SchemaSource:
    params, title = _clean_schema(_model_schema(model, label))
    description = params.pop("description", None)
    return title or model.__name__, description, params


def _via_langchain(tool: Any, label: str) -> _SchemaSource:
    # Only for inputs whose schema langchain-core inlines anyway (TypedDict, simple `Tool`).
    try:
        oai = convert_to_openai_tool(tool)
    except (TypeError, ValueError, KeyError, PydanticUserError) as exc:
        msg = f"{label}: langchain-core could not convert it: {exc}"
        raise ToolConversionError(msg) from exc
    function = oai.get("function")
    if oai.get("type") != "function" or not isinstance(function, Mapping):
        msg = f"{label}: converts to an OpenAI {oai.get('type')!r} tool, which Gemini cannot run."
        raise ToolConversionError(msg)
    params, _ = _clean_schema(function.get("parameters") or {})
    return function.get("name"), function.get("description"), params


def _from_base_tool(tool: BaseTool, label: str) -> _SchemaSource:
    schema = tool.tool_call_schema
    simple = isinstance(tool, Tool) and not tool.args_schema
    if not simple and isinstance(schema, Mapping):
        params, _ = _clean_schema(schema)
    elif not simple and isinstance(schema, type):
        # tool_call_schema already hides injected arguments; the model's own JSON Schema keeps
        # $defs/$ref, which convert_to_openai_tool would inline (and cut at recursion).
        params, _ = _clean_schema(_model_schema(schema, label))
    else:
        return _via_langchain(tool, label)
    # The root description is the docstring, already sent as the declaration's description.
    params.pop("description", None)
    return tool.name, tool.description, params


def _from_function(function: Callable[..., Any], label: str) -> _SchemaSource:
    # Same settings as langchain-core's convert_to_openai_function, minus the $ref inlining.
    try:
        model = create_schema_from_function(
            function.__name__,
            function,
            filter_args=(),
            parse_docstring=True,
            error_on_invalid_docstring=False,
            include_injected=False,
        )
    except (TypeError, ValueError, PydanticUserError) as exc:
        msg = f"{label}: could not build a schema from its signature: {exc}"
        raise ToolConversionError(msg) from exc
    params, _ = _clean_schema(_model_schema(model, label))
    params.pop("description", None)
    return function.__name__, model.__doc__, params


def _gemini_declaration(raw: Any, label: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        msg = f"{label}: each function declaration must be a dict, got {type(raw).__name__}."
        raise ToolConversionError(msg)
    decl: dict[str, Any] = {}
    for key, value in raw.items():
        camel = _camel(str(key))
        if camel in _DECLARATION_SCHEMA_KEYS and isinstance(value, Mapping):
            decl[camel], _ = _clean_schema(value)
        else:
            decl[camel] = _copy_json(value)
    name = _check_name(decl.get("name"), label)
    if "parameters" in decl and "parametersJsonSchema" in decl:
        msg = (
            f"{label}: function declaration {name!r} sets both 'parameters' and "
            "'parametersJsonSchema'; Gemini accepts exactly one."
        )
        raise ToolConversionError(msg)
    if "parameters" not in decl:
        decl["parametersJsonSchema"] = _ensure_object(decl.get("parametersJsonSchema") or {})
    return decl


def _from_dict(tool: Mapping[str, Any], label: str) -> list[tuple[str, Any]]:
    """Return ("function", declaration) / (builtin kind, payload) pairs for one tool dict."""
    if tool.get("type") == "function" and isinstance(tool.get("function"), Mapping):
        tool = tool["function"]
    elif tool and all(_camel(str(key)) in _GEMINI_TOOL_KEYS for key in tool):
        entries: list[tuple[str, Any]] = []
        for key, value in tool.items():
            kind = _camel(str(key))
            if kind != _FUNCTION_DECLARATIONS:
                if value is not None and not isinstance(value, Mapping):
                    msg = f"{label}: {key!r} must map to a dict, got {type(value).__name__}."
                    raise ToolConversionError(msg)
                entries.append((kind, _camel_keys(value or {})))
            elif isinstance(value, (list, tuple)):
                entries.extend(("function", _gemini_declaration(d, label)) for d in value)
            else:
                msg = f"{label}: {key!r} must be a list, got {type(value).__name__}."
                raise ToolConversionError(msg)
        return entries

    if "name" in tool:
        # OpenAI function dict; Anthropic's {"name", "input_schema"} is accepted as well.
        params = tool.get("parameters", tool.get("input_schema")) or {}
        name, description = tool["name"], tool.get("description")
    elif isinstance(tool.get("title"), str) and "properties" in tool:
        # A bare JSON Schema whose title names the function (langchain-core accepts these).
        params = {k: v for k, v in tool.items() if k not in ("title", "description")}
        name, description = tool["title"], tool.get("description")
    else:
        msg = f"{label}: unrecognised tool dict. Accepted forms: {_ACCEPTED_TOOL_FORMS}."
        raise ToolConversionError(msg)
    if not isinstance(params, Mapping):
        msg = f"{label}: 'parameters' must be a JSON Schema dict, got {type(params).__name__}."
        raise ToolConversionError(msg)
    cleaned, _ = _clean_schema(params)
    return [("function", _declaration(name, description, cleaned, label))]


def _convert_one(tool: Any, label: str) -> list[tuple[str, Any]]:
    source: _SchemaSource
    if isinstance(tool, BaseTool):
        source = _from_base_tool(tool, label)
    elif isinstance(tool, Mapping):
        return _from_dict(tool, label)
    elif isinstance(tool, type) and issubclass(tool, (BaseModel, BaseModelV1)):
        source = _from_model(tool, label)
    elif is_typeddict(tool):
        source = _via_langchain(tool, label)
    elif inspect.isfunction(tool) or inspect.ismethod(tool):
        source = _from_function(tool, label)
    else:
        msg = (
            f"{label}: unsupported tool of type {type(tool).__name__}. "
            f"Accepted forms: {_ACCEPTED_TOOL_FORMS}."
        )
        raise ToolConversionError(msg)
    name, description, params = source
    return [("function", _declaration(name, description, params, label))]


def convert_tools(tools: Sequence[Any]) -> list[dict[str, Any]]:
    """Build Gemini's ``tools`` request array.

    All function declarations share one ``{"functionDeclarations": [...]}`` entry, placed
    first; each built-in tool gets its own entry, in input order.

    Raises:
        ToolConversionError: for an unrecognised tool, an invalid or duplicated function name,
            or a built-in tool given twice.
    """
    if isinstance(tools, (str, bytes, Mapping)) or not isinstance(tools, Sequence):
        msg = f"tools must be a list of tools, got {type(tools).__name__}."
        raise ToolConversionError(msg)
    declarations: list[dict[str, Any]] = []
    builtins: list[dict[str, Any]] = []
    declared_by: dict[str, str] = {}
    seen: dict[str, dict[str, Any]] = {}
    for index, tool in enumerate(tools):
        label = _describe(tool, index)
        for kind, payload in _convert_one(tool, label):
            key = payload["name"] if kind == "function" else kind
            if key in declared_by:
                if seen[key] == payload:
                    # The same tool given twice (e.g. a model and its JSON schema): one is enough.
                    continue
                what = "function name" if kind == "function" else "built-in tool"
                msg = f"Duplicate {what} {key!r}: declared by {declared_by[key]} and {label}."
                raise ToolConversionError(msg)
            declared_by[key] = label
            seen[key] = payload
            if kind == "function":
                declarations.append(payload)
            else:
                builtins.append({kind: payload})
    return ([{_FUNCTION_DECLARATIONS: declarations}] if declarations else []) + builtins


def function_names(tools_array: list[dict[str, Any]]) -> list[str]:
    """Names of every function declared in a ``tools`` array, in declaration order."""
    names: list[str] = []
    for entry in tools_array:
        declarations = entry.get(_FUNCTION_DECLARATIONS, entry.get("function_declarations"))
        names.extend(declaration["name"] for declaration in declarations or ())
    return names


# --------------------------------------------------------------------------- tool choice


def _known_names(names: Sequence[Any], known: Sequence[str], source: str) -> list[str]:
    result: list[str] = []
    for name in names:
        if not isinstance(name, str) or name not in known:
            listed = ", ".join(map(repr, known)) or "none"
            msg = (
                f"tool_choice {source} names function {name!r}, which is not among the bound "
                f"tools (known functions: {listed})."
            )
            raise ToolConversionError(msg)
        if name not in result:
            result.append(name)
    return result


def _function_calling_config(
    raw: Mapping[str, Any], names: Sequence[str], source: str
) -> dict[str, Any] | None:
    config: dict[str, Any] = _camel_keys(raw)
    mode = config.get("mode", "AUTO")
    if not isinstance(mode, str) or mode.upper() not in _MODES:
        msg = f"tool_choice {source}: unknown mode {mode!r} (expected one of {sorted(_MODES)})."
        raise ToolConversionError(msg)
    mode = mode.upper()
    if "mode" in config:
        config["mode"] = mode
    if mode in _FORCING_MODES and not names:
        msg = f"tool_choice {source} forces a function call, but no function tools are bound."
        raise ToolConversionError(msg)
    allowed = config.get("allowedFunctionNames")
    if allowed is not None:
        if not isinstance(allowed, list):
            msg = f"tool_choice {source}: allowedFunctionNames must be a list of names."
            raise ToolConversionError(msg)
        if mode not in ("ANY", "VALIDATED"):
            msg = f"tool_choice {source}: allowedFunctionNames needs mode ANY or VALIDATED."
            raise ToolConversionError(msg)
        config["allowedFunctionNames"] = _known_names(allowed, names, source)
    # Gemini rejects any functionCallingConfig when no function is declared ("Function calling
    # config is set without function_declarations"), and a non-forcing one then means nothing.
    return config if names else None


def tool_choice_to_config(tool_choice: Any, function_names: Sequence[str]) -> dict[str, Any] | None:
    """Map a LangChain ``tool_choice`` to Gemini's ``toolConfig`` (``None``: send nothing).

    Raises:
        ToolConversionError: for an unknown function name, an unrecognised form, or a choice
            that forces a function call while no function tool is bound.
    """
    names = list(function_names)
    source = f"{tool_choice!r:.120}"
    raw: Mapping[str, Any]
    if tool_choice is None or tool_choice is False:
        return None
    if tool_choice is True:
        raw = {"mode": "ANY"}
    elif isinstance(tool_choice, str):
        mode = _CHOICE_KEYWORDS.get(tool_choice, tool_choice if tool_choice in _MODES else None)
        if mode is not None:
            raw = {"mode": mode}
        elif not names:
            msg = f"tool_choice {source} forces a function call, but no function tools are bound."
            raise ToolConversionError(msg)
        else:
            raw = {"mode": "ANY", "allowedFunctionNames": [tool_choice]}
    elif isinstance(tool_choice, (list, tuple)):
        if not tool_choice:
            msg = "tool_choice is an empty list; give at least one function name."
            raise ToolConversionError(msg)
        raw = {"mode": "ANY", "allowedFunctionNames": list(tool_choice)}
    elif isinstance(tool_choice, Mapping):
        camel = {_camel(str(key)): value for key, value in tool_choice.items()}
        function = camel.get("function")
        if camel.get("type") == "function":
            name = function.get("name") if isinstance(function, Mapping) else camel.get("name")
            raw = {"mode": "ANY", "allowedFunctionNames": [name]}
        elif "functionCallingConfig" in camel or "retrievalConfig" in camel:
            fcc = camel.get("functionCallingConfig")
            if fcc is not None and not isinstance(fcc, Mapping):
                msg = f"tool_choice {source}: functionCallingConfig must be a dict."
                raise ToolConversionError(msg)
            tool_config: dict[str, Any] = _camel_keys(
                {key: value for key, value in camel.items() if key != "functionCallingConfig"}
            )
            if fcc is not None and (checked := _function_calling_config(fcc, names, source)):
                tool_config = {"functionCallingConfig": checked, **tool_config}
            return tool_config or None
        elif camel and set(camel) <= {"mode", "allowedFunctionNames"}:
            raw = tool_choice
        else:
            msg = f"Unrecognised tool_choice {source}. Accepted forms: {_ACCEPTED_CHOICE_FORMS}."
            raise ToolConversionError(msg)
    else:
        msg = (
            f"Unrecognised tool_choice of type {type(tool_choice).__name__}. "
            f"Accepted forms: {_ACCEPTED_CHOICE_FORMS}."
        )
        raise ToolConversionError(msg)
    config = _function_calling_config(raw, names, source)
    return {"functionCallingConfig": config} if config is not None else None


# --------------------------------------------------------------------------- structured output


def json_schema_for_output(schema: Any) -> dict[str, Any]:
    """JSON Schema for ``generationConfig.responseJsonSchema`` (``with_structured_output``).

    Raises:
        ToolConversionError: if ``schema`` is not a model class, TypedDict or schema dict.
    """
    label = f"output schema {schema!r:.80}"
    raw: Mapping[str, Any]
    if isinstance(schema, type) and issubclass(schema, (BaseModel, BaseModelV1)):
        raw = _model_schema(schema, label)
    elif is_typeddict(schema):
        raw = convert_to_json_schema(schema)
    elif isinstance(schema, Mapping):
        if schema.get("type") == "json_schema" and isinstance(schema.get("json_schema"), Mapping):
            schema = schema["json_schema"]  # OpenAI response_format
        if "name" in schema and isinstance(schema.get("schema"), Mapping):
            raw = schema["schema"]
        elif (schema.get("type") == "function" and "function" in schema) or (
            "name" in schema and "type" not in schema
        ):
            try:
                raw = convert_to_json_schema(dict(schema))
            except (TypeError, ValueError, KeyError) as exc:
                msg = f"{label}: not a valid OpenAI function dict: {exc}"
                raise ToolConversionError(msg) from exc
        elif any(key in _SCHEMA_KEYWORDS for key in schema):
            raw = schema
        else:
            msg = f"{label}: dict has no JSON Schema keyword. Accepted: {_ACCEPTED_OUTPUT_FORMS}."
            raise ToolConversionError(msg)
    else:
        msg = (
            f"Unsupported output schema of type {type(schema).__name__}. "
            f"Accepted: {_ACCEPTED_OUTPUT_FORMS}."
        )
        raise ToolConversionError(msg)
    cleaned, _ = _clean_schema(raw)
    return cleaned


# --------------------------------------------------------------------------- combined tools

SERVER_SIDE_INVOCATIONS = "includeServerSideToolInvocations"

# Built-in tools the model runs itself; `computerUse` is left out because its actions are
# executed by the caller, like function calls.
_SERVER_SIDE_TOOLS = _BUILTIN_TOOLS - {"computerUse"}


def builtin_kinds(tools_array: Sequence[Mapping[str, Any]]) -> list[str]:
    """The server-side built-in tool kinds (camelCase) bound in a ``tools`` array."""
    return [
        _camel(str(key))
        for entry in tools_array
        for key in entry
        if _camel(str(key)) in _SERVER_SIDE_TOOLS
    ]


def combine_tool_kinds(
    tools_array: Sequence[Mapping[str, Any]],
    tool_config: Mapping[str, Any] | None,
    *,
    model: str,
    supported: bool,
) -> dict[str, Any] | None:
    """The ``toolConfig`` for a request, with server-side invocations turned on when built-in
    tools sit next to function declarations (Gemini 3's "combined tools").

    Returns ``tool_config`` unchanged when the request does not combine the two kinds. An
    explicit ``includeServerSideToolInvocations`` from the caller is kept as given.

    Raises:
        ToolConversionError: the model cannot combine the two kinds (the server would answer
            400), named with the fix.
    """
    kinds = builtin_kinds(tools_array)
    if not kinds or not function_names([dict(entry) for entry in tools_array]):
        return dict(tool_config) if tool_config else None
    if not supported:
        msg = (
            f"{model} cannot combine built-in tools ({', '.join(kinds)}) with function tools in "
            "one request; only Gemini 3 models can. Use a Gemini 3 model (e.g. "
            "gemini-3-flash-preview), or bind the built-in tools and the functions in separate "
            "calls."
        )
        raise ToolConversionError(msg)
    config = dict(tool_config or {})
    config.setdefault(SERVER_SIDE_INVOCATIONS, True)
    return config


# Metadata that shows a built-in tool ran (search and maps ground the answer, url_context
# reports the pages it read).
_BUILTIN_USE_METADATA = ("grounding_metadata", "url_context_metadata")
_warned_missing_records: set[str] = set()


def note_missing_server_records(
    model: str, metadata: Mapping[str, Any], *, has_records: bool
) -> None:
    """Warn (once per model) when built-in tools ran but no invocation records came back.

    Only called when the request asked for them (`includeServerSideToolInvocations`): their
    absence means the field was dropped on the way, and on replay Gemini will not see what it
    ran.
    """
    if has_records or model in _warned_missing_records:
        return
    if not any(metadata.get(key) for key in _BUILTIN_USE_METADATA):
        return
    _warned_missing_records.add(model)
    logger.warning(
        "%s: built-in tools ran but no toolCall/toolResponse records came back, although "
        "toolConfig.includeServerSideToolInvocations was sent; a gateway probably dropped it. "
        "The answer stands, but a replayed history will not show Gemini what it ran. "
        "Warned once per model.",
        model,
    )


def has_server_tool_blocks(content: Any) -> bool:
    return isinstance(content, list) and any(
        isinstance(block, Mapping) and block.get("type") == "server_tool_call" for block in content
    )


# Gemini's ToolType enum → the tool name a LangChain `server_tool_call` block carries (the key
# the tool is bound with); unknown future types become their lower-case name.
_TOOL_TYPE_NAMES = {
    "GOOGLE_SEARCH_WEB": "google_search",
    "GOOGLE_SEARCH_IMAGE": "google_image_search",
    "URL_CONTEXT": "url_context",
    "GOOGLE_MAPS": "google_maps",
    "FILE_SEARCH": "file_search",
}


def server_tool_name(tool_type: Any) -> str:
    """A readable tool name for a ``toolType`` (``GOOGLE_SEARCH_WEB`` → ``google_search``)."""
    text = str(tool_type or "TOOL_TYPE_UNSPECIFIED")
    return _TOOL_TYPE_NAMES.get(text, text.lower())


def _wire_extras(
    record: Mapping[str, Any], payload_key: str, signature: str | None
) -> dict[str, Any]:
    # `wire` is the record minus its payload (args / response), so replay can rebuild it key
    # for key, including fields this version does not know.
    extras: dict[str, Any] = {
        "tool_type": record.get("toolType"),
        "wire": {k: _copy_json(v) for k, v in record.items() if k != payload_key},
    }
    if payload_key not in record:
        extras["no_payload"] = True
    if signature:
        extras["signature"] = signature
    return extras


def server_tool_call_block(call: Mapping[str, Any], signature: str | None) -> dict[str, Any]:
    """A ``toolCall`` part as LangChain's standard ``server_tool_call`` block.

    ``extras`` keep what replay needs byte for byte: the record's other fields (``wire``,
    ``toolType`` among them) and the part's signature.
    """
    args = call.get("args")
    return {
        "type": "server_tool_call",
        "id": str(call.get("id") or ""),
        "name": server_tool_name(call.get("toolType")),
        "args": _copy_json(args) if isinstance(args, Mapping) else {},
        "extras": _wire_extras(call, "args", signature),
    }


def server_tool_result_block(result: Mapping[str, Any], signature: str | None) -> dict[str, Any]:
    """A ``toolResponse`` part as LangChain's standard ``server_tool_result`` block."""
    extras = _wire_extras(result, "response", signature)
    extras["name"] = server_tool_name(result.get("toolType"))
    return {
        "type": "server_tool_result",
        "tool_call_id": str(result.get("id") or ""),
        "status": "success",
        "output": _copy_json(result.get("response", {})),
        "extras": extras,
    }


def server_tool_part(block: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``toolCall`` / ``toolResponse`` part a block from Gemini came from, for replay.

    None for server-tool blocks that did not come from a Gemini ``toolCall``/``toolResponse``
    (code execution has its own parts; blocks from other providers carry no ``wire`` record).
    """
    extras = block.get("extras")
    wire = extras.get("wire") if isinstance(extras, Mapping) else None
    if not isinstance(wire, Mapping):
        return None
    assert isinstance(extras, Mapping)
    record: dict[str, Any] = _copy_json(wire)
    block_type = block.get("type")
    if block_type == "server_tool_call":
        key, payload_key, value = "toolCall", "args", block.get("args")
    elif block_type == "server_tool_result":
        key, payload_key, value = "toolResponse", "response", block.get("output")
    else:
        return None
    if not extras.get("no_payload"):
        record[payload_key] = _copy_json(value if value is not None else {})
    part: dict[str, Any] = {key: record}
    if signature := extras.get("signature"):
        part["thoughtSignature"] = signature
    return part
