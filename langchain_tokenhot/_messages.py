"""LangChain messages → Gemini `systemInstruction` and `contents` (pure functions).

Rules that matter (see the project's wire-format reference, §3.1 and §9):

* Every `SystemMessage`, wherever it stands, goes into `systemInstruction`, in order.
* Human → `user`, AI → `model`, tool results → `functionResponse` parts in a `user` turn;
  consecutive turns of one role are merged, since Gemini wants them alternating.
* A model turn is replayed part by part with each `thoughtSignature` on the part it came on.
  Signatures are read from wherever langchain-google-genai also keeps them, so histories move
  freely between the two packages.
* On Gemini 3, a function call in the current turn with no signature at all (a history from
  another provider, a hand-written call) gets Google's documented bypass value; without it the
  request is rejected with 400 "Function call is missing a thought_signature". When the turn
  came from a Gemini 3 model, which always signs its calls, the signature was lost on the way
  (usually a checkpointer or serializer that drops `additional_kwargs`), so the bypass is sent
  with a warning naming the message: Google says replaying without it degrades quality.
* Tool-call ids go out as `functionCall.id` and `functionResponse.id` only when asked
  (`function_call_ids=True`), and then always both: a gateway that re-marshals requests
  (new-api) drops `functionCall.id` but keeps `functionResponse.id`, which would leave Google
  with a response id that answers no call. Without ids Gemini pairs results with calls by
  order and name, as it does for its own id-less calls.
* A `systemInstruction` is sent only with a non-empty text part (Google takes text there, and
  new-api deletes one without text).
* Anything we cannot express raises `UnsupportedContentError` naming the block, before any
  request is made. Messages produced by another provider are converted leniently instead: their
  reasoning and signatures mean nothing to Gemini and are dropped.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from ._exceptions import ToolConversionError, UnsupportedContentError
from ._media import MEDIA_BLOCK_TYPES, Downloaded, media_block_to_part, urls_to_download
from ._tools import server_tool_part
from ._wire import Content, Part, Role, SystemInstruction

logger = logging.getLogger(__name__)

FUNCTION_CALL_SIGNATURES_KEY = "__gemini_function_call_thought_signatures__"
"""`AIMessage.additional_kwargs` key mapping tool-call id → thought signature.

The same key langchain-google-genai uses, so histories are interchangeable.
"""

GENERATED_TOOL_CALL_ID_PREFIX = "tokenhot-"
"""Prefix of tool-call ids we invent when Gemini sends none; such ids are never sent back."""

BYPASS_SIGNATURE = base64.b64encode(b"skip_thought_signature_validator").decode()
"""Google's documented value that skips signature validation for a function call.

Sent base64-encoded, as the google-genai SDK sends it (that form is verified against the live
API; see the wire-format reference §9).
"""

_GEMINI_PROVIDERS = frozenset({"google_genai", "google_vertexai", "tokenhot"})
_TEXT_BLOCK_TYPES = frozenset({"text", "text-plain"})
_REASONING_BLOCK_TYPES = frozenset({"thinking", "reasoning"})
# Blocks in an AI message that stand for its tool calls; `tool_calls` is authoritative.
_TOOL_CALL_BLOCK_TYPES = frozenset({"tool_call", "tool_use", "function_call", "tool_call_chunk"})
# Blocks with nothing to replay (citations live on text; refusals are metadata).
_SERVER_TOOL_BLOCK_TYPES = frozenset({"server_tool_call", "server_tool_result"})
_SKIPPED_AI_BLOCK_TYPES = frozenset({"refusal", "invalid_tool_call", "function_call_signature"})


def block_signature(block: Mapping[str, Any]) -> str | None:
    """The thought signature stored on a content block, in any of the places genai uses."""
    sig = block.get("thought_signature") or block.get("signature")
    if not sig:
        extras = block.get("extras")
        if isinstance(extras, Mapping):
            sig = extras.get("signature") or extras.get("thought_signature")
    return sig if isinstance(sig, str) and sig else None


def download_urls(messages: Sequence[BaseMessage]) -> list[str]:
    """The http(s) media URLs that must be fetched before `convert_messages` can run."""
    urls: list[str] = []
    for message in messages:
        content = message.content
        if isinstance(content, str):
            continue
        for block in content:
            if isinstance(block, Mapping) and block.get("type") in MEDIA_BLOCK_TYPES:
                url = urls_to_download(block)
                if url is not None and url not in urls:
                    urls.append(url)
    return urls


class _Conversation:
    """Accumulates one request's `contents` and `systemInstruction`, message by message.

    Consecutive turns of one role are merged, since Gemini wants them alternating.
    """

    __slots__ = (
        "contents",
        "downloads",
        "function_call_ids",
        "gemini3",
        "sent_ids",
        "system_parts",
        "tool_names",
        "turn_start",
        "unsigned",
    )

    def __init__(
        self, model: str, downloads: Mapping[str, Downloaded], *, function_call_ids: bool
    ) -> None:
        self.contents: list[Content] = []
        self.function_call_ids = function_call_ids
        self.system_parts: list[Part] = []
        self.downloads = downloads
        self.gemini3 = model.startswith("gemini-3")
        # Function names of the calls seen so far, by call id (tool results need the name).
        self.tool_names: dict[str, str] = {}
        # Call ids that went out on a functionCall: a functionResponse carries its id only
        # then, so the two always pair up (or neither has one).
        self.sent_ids: set[str] = set()
        # Index in `contents` where the current turn (from the last real user message) starts;
        # only there does Gemini 3 validate function-call signatures.
        self.turn_start = 0
        # (index in `contents`, where) of Gemini 3 model turns whose calls lost their signature.
        self.unsigned: list[tuple[int, str]] = []

    def add(self, role: Role, parts: list[Part], *, user_turn: bool = False) -> None:
        if not parts:
            return
        if self.contents and self.contents[-1]["role"] == role:
            self.contents[-1]["parts"].extend(parts)
        else:
            self.contents.append({"role": role, "parts": parts})
        if user_turn:
            self.turn_start = len(self.contents) - 1

    def tool_result(
        self, call_id: Any, name: str | None, content: Any, *, error: bool, where: str
    ) -> None:
        self.add(
            "user",
            _function_response_parts(
                _tool_name(self.tool_names, call_id, name, where),
                call_id if call_id in self.sent_ids else None,
                content,
                error=error,
                where=where,
                downloads=self.downloads,
                nested_media=self.gemini3,
            ),
        )

    def message(self, message: BaseMessage, where: str) -> None:
        downloads = self.downloads
        if isinstance(message, SystemMessage):
            self.system_parts.extend(_user_parts(message.content, where, downloads))
        elif isinstance(message, HumanMessage):
            content = message.content
            if isinstance(content, list) and any(_is_tool_result(b) for b in content):
                # Anthropic-format tool results ride in a human message.
                for block in content:
                    if _is_tool_result(block):
                        self.tool_result(
                            block.get("tool_use_id"),  # type: ignore[union-attr]
                            None,
                            block.get("content") or "",  # type: ignore[union-attr]
                            error=bool(block.get("is_error")),  # type: ignore[union-attr]
                            where=where,
                        )
                content = [b for b in content if not _is_tool_result(b)]
            self.add("user", _user_parts(content, where, downloads), user_turn=True)
        elif isinstance(message, AIMessage):
            for call in message.tool_calls:
                if call_id := call.get("id"):
                    self.tool_names[call_id] = call["name"]
            parts = _model_parts(message, where, downloads, with_ids=self.function_call_ids)
            self.sent_ids.update(
                p["functionCall"]["id"] for p in parts if "id" in p.get("functionCall", ())
            )
            self.add("model", parts)
            if self.gemini3 and _lost_signature(message, parts):
                self.unsigned.append((len(self.contents) - 1, where))
        elif isinstance(message, ToolMessage):
            self.tool_result(
                message.tool_call_id,
                message.name,
                message.content,
                error=message.status == "error",
                where=where,
            )
        elif isinstance(message, FunctionMessage):
            self.tool_result(None, message.name, message.content, error=False, where=where)
        elif isinstance(message, ChatMessage):
            role = message.role.lower()
            if role == "system":
                self.system_parts.extend(_user_parts(message.content, where, downloads))
            elif role in ("user", "human"):
                self.add("user", _user_parts(message.content, where, downloads), user_turn=True)
            elif role in ("assistant", "ai", "model"):
                self.add("model", _user_parts(message.content, where, downloads))
            else:
                raise UnsupportedContentError(
                    f"{where}: ChatMessage role {message.role!r} has no Gemini equivalent; use "
                    "'system', 'user' or 'assistant'."
                )
        else:
            raise UnsupportedContentError(
                f"{where}: {type(message).__name__} cannot be sent to Gemini."
            )


def convert_messages(
    messages: Sequence[BaseMessage],
    *,
    model: str,
    downloads: Mapping[str, Downloaded] | None = None,
    function_call_ids: bool = False,
) -> tuple[SystemInstruction | None, list[Content]]:
    """Convert a LangChain conversation to Gemini's `systemInstruction` and `contents`.

    Args:
        messages: the conversation, already normalised by langchain-core.
        model: the model the request goes to (signature rules differ on Gemini 3).
        downloads: bytes of the http(s) media URLs listed by `download_urls`.
        function_call_ids: send tool-call ids as `functionCall.id` and the matching
            `functionResponse.id` (both or neither; off for gateways that drop the first).

    Raises:
        UnsupportedContentError: a message or block cannot be expressed for Gemini, nothing
            is left to send, or the system messages hold no text.
    """
    conversation = _Conversation(model, downloads or {}, function_call_ids=function_call_ids)
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        try:
            conversation.message(message, where)
        except (UnsupportedContentError, ToolConversionError):
            raise
        except (KeyError, IndexError, AttributeError, TypeError, ValueError) as exc:
            # A block of a shape we do not know (a list where a dict belongs...): name it.
            raise UnsupportedContentError(
                f"{where}: cannot convert this {type(message).__name__} "
                f"({type(exc).__name__}: {exc})"
            ) from None
    contents = conversation.contents
    if conversation.gemini3:
        for index, where in conversation.unsigned:
            if index >= conversation.turn_start:
                logger.warning(
                    "%s: this Gemini 3 model turn's function call has no thought signature, so "
                    "it is sent with the bypass value (Google says answers degrade). The "
                    "signature was most likely lost when the history was stored: keep "
                    "AIMessage.additional_kwargs (and content blocks' signatures) in your "
                    "checkpointer or serializer.",
                    where,
                )
        _add_bypass_signatures(contents, conversation.turn_start)
    if not contents:
        raise UnsupportedContentError(
            "Nothing to send: the conversation has no user, assistant or tool message with "
            "content (Gemini needs at least one non-empty turn besides system messages)."
        )
    parts = conversation.system_parts
    if parts and not any(part.get("text") for part in parts):
        raise UnsupportedContentError(
            "The system messages hold no text (only media): Gemini takes text in "
            "systemInstruction, and a gateway drops one without text. Put the media in a "
            "human message, or add the instruction's text."
        )
    return ({"parts": parts} if parts else None), contents


def _is_tool_result(block: Any) -> bool:
    return isinstance(block, Mapping) and block.get("type") == "tool_result"


def _tool_name(tool_names: Mapping[str, str], call_id: Any, name: str | None, where: str) -> str:
    """The function name a tool result answers (from its call, else its own `name`)."""
    found = tool_names.get(call_id) if isinstance(call_id, str) else None
    if found or name:
        return found or name  # type: ignore[return-value]
    raise UnsupportedContentError(
        f"{where}: tool result with tool_call_id={call_id!r} answers no tool call of an "
        "earlier AIMessage and has no `name`; Gemini needs the function name. Keep the "
        "AIMessage with its tool_calls in the history or set ToolMessage(name=...)."
    )


def _lost_signature(message: AIMessage, parts: list[Part]) -> bool:
    """Whether a Gemini 3 answer (which always signs its first call) arrives unsigned."""
    if _provider_kind(message) != "gemini":
        return False  # another provider's or a hand-written history: the quiet bypass
    model_name = message.response_metadata.get("model_name")
    if not isinstance(model_name, str) or not model_name.removeprefix("models/").startswith(
        "gemini-3"
    ):
        return False
    first_call = next((p for p in parts if "functionCall" in p), None)
    return first_call is not None and "thoughtSignature" not in first_call


def _add_bypass_signatures(contents: list[Content], turn_start: int) -> None:
    # Gemini 3 checks every model step of the current turn: the first functionCall of a step
    # must carry a signature. Steps we replay without one (other provider, hand-written, lost)
    # would be rejected, so they get the documented bypass value.
    for content in contents[turn_start:]:
        if content["role"] != "model":
            continue
        for part in content["parts"]:
            if "functionCall" in part:
                part.setdefault("thoughtSignature", BYPASS_SIGNATURE)
                break


def _text_of(block: Mapping[str, Any]) -> str:
    text = block.get("text")
    return text if isinstance(text, str) else ""


def _items(
    content: str | list[str | dict[Any, Any]], where: str
) -> Iterator[tuple[str, str | Mapping[str, Any]]]:
    """(position, item) for each non-empty string and each dict block of a message's content."""
    if isinstance(content, str):
        if content:
            yield where, content
        return
    for j, block in enumerate(content):
        block_where = f"{where}.content[{j}]"
        if isinstance(block, str):
            if block:
                yield block_where, block
        elif isinstance(block, Mapping):
            yield block_where, block
        else:
            raise UnsupportedContentError(
                f"{block_where}: content items must be strings or dicts, got "
                f"{type(block).__name__}."
            )


def _user_parts(
    content: str | list[str | dict[Any, Any]], where: str, downloads: Mapping[str, Downloaded]
) -> list[Part]:
    """Parts of a human/system/tool message: text and media."""
    parts: list[Part] = []
    for block_where, block in _items(content, where):
        if isinstance(block, str):
            parts.append({"text": block})
            continue
        block_type = block.get("type")
        if block_type in _TEXT_BLOCK_TYPES:
            if text := _text_of(block):
                parts.append({"text": text})
        elif block_type in MEDIA_BLOCK_TYPES:
            parts.append(media_block_to_part(block, downloads, where=block_where))  # type: ignore[arg-type]
        elif block_type == "non_standard":
            parts.append(_non_standard_part(block, block_where))
        elif block_type is None and set(block) & _PART_KEYS:
            # Already a Gemini part, e.g. {"inlineData": {...}}: pass it through.
            parts.append(_raw_part(block, block_where))
        else:
            raise UnsupportedContentError(
                f"{block_where}: content block type {block_type!r} is not supported here. "
                "Supported: text, image, audio, video, file, image_url (and Gemini parts)."
            )
    return parts


_PART_KEYS = frozenset(
    {
        "text",
        "inlineData",
        "fileData",
        "functionCall",
        "functionResponse",
        "executableCode",
        "codeExecutionResult",
    }
)


def _require_json(value: Any, where: str) -> None:
    """Values we pass through unchanged must be JSON (bytes are not): say so before sending."""
    try:
        orjson.dumps(value)
    except TypeError as exc:
        raise UnsupportedContentError(
            f"{where}: content passed to Gemini as is must hold only JSON values ({exc}); "
            "pass binary data base64-encoded, e.g. as an image/file block with 'base64'."
        ) from None


def _raw_part(value: Any, where: str) -> Part:
    """A part given verbatim (already in Gemini's form): it must be a JSON object."""
    _require_json(value, where)
    if not isinstance(value, Mapping):
        raise UnsupportedContentError(f"{where}: a Gemini part must be a dict, got {value!r:.40}")
    return dict(value)  # type: ignore[return-value]


def _non_standard_part(block: Mapping[str, Any], where: str) -> Part:
    value = block.get("value")
    if isinstance(value, Mapping) and set(value) & _PART_KEYS:
        return _raw_part(value, where)
    if isinstance(value, Mapping) and value.get("type") == "gemini_part":
        return _raw_part(value.get("part") or {}, where)
    raise UnsupportedContentError(
        f"{where}: non_standard block whose value is not a Gemini part cannot be sent."
    )


def _provider_kind(message: AIMessage) -> str:
    """ "gemini" (ours or genai's), "unknown" (no provider: hand-built or old) or "foreign"."""
    provider = message.response_metadata.get("model_provider")
    if provider is None:
        return "unknown"
    return "gemini" if provider in _GEMINI_PROVIDERS else "foreign"


def _model_parts(
    message: AIMessage, where: str, downloads: Mapping[str, Downloaded], *, with_ids: bool
) -> list[Part]:
    """Parts of a model turn: its content blocks in order, then its function calls."""
    kind = _provider_kind(message)
    # Block signatures and thoughts are replayed only from Gemini messages (see
    # `_model_block_part`); the call-signature key is Gemini's own, so it is trusted unless the
    # message says it came from another provider.
    signatures: Mapping[str, str] = (
        message.additional_kwargs.get(FUNCTION_CALL_SIGNATURES_KEY) or {}
        if kind != "foreign"
        else {}
    )
    calls = {c.get("id") or f"#{k}": c for k, c in enumerate(message.tool_calls)}
    emitted: set[str] = set()
    parts: list[Part] = []

    def call_part(key: str) -> Part:
        call = calls[key]
        emitted.add(key)
        fc: dict[str, Any] = {"name": call["name"], "args": call["args"]}
        call_id = call.get("id")
        if (
            with_ids
            and kind != "foreign"
            and call_id
            and not call_id.startswith(GENERATED_TOOL_CALL_ID_PREFIX)
        ):
            fc["id"] = call_id
        part: Part = {"functionCall": fc}  # type: ignore[typeddict-item]
        sig = signatures.get(call_id) if call_id else None
        if sig:
            part["thoughtSignature"] = sig
        return part

    for block_where, block in _items(message.content, where):
        if isinstance(block, str):
            parts.append({"text": block})
            continue
        part = _model_block_part(block, block_where, kind, downloads)
        if part is not None:
            parts.append(part)
        elif block.get("type") in _TOOL_CALL_BLOCK_TYPES:
            # Keep a v1 tool_call block's position among the other parts.
            key = block.get("id")
            if key in calls and key not in emitted:
                parts.append(call_part(key))
    parts.extend(call_part(key) for key in calls if key not in emitted)
    return parts


def _model_block_part(
    block: Mapping[str, Any], where: str, kind: str, downloads: Mapping[str, Downloaded]
) -> Part | None:
    """One AI content block as a part, or None when it has nothing to replay.

    `kind` is the message's provider kind: signatures and thoughts are replayed only from
    "gemini" messages; Gemini-specific blocks are kept unless the message is "foreign", and
    blocks of a foreign message that we cannot express are dropped instead of raising.
    """
    block_type = block.get("type")
    sig = block_signature(block) if kind == "gemini" else None
    gemini_only = kind == "foreign"
    part: Part
    if block_type in _TEXT_BLOCK_TYPES:
        text = _text_of(block)
        if not text and not sig:
            return None
        part = {"text": text}
    elif block_type in _REASONING_BLOCK_TYPES:
        if kind != "gemini":
            return None
        thought = block.get("thinking") if block_type == "thinking" else block.get("reasoning")
        if not thought and not sig:
            return None
        part = {"text": thought or "", "thought": True}
    elif block_type in MEDIA_BLOCK_TYPES:
        try:
            part = media_block_to_part(block, downloads, where=where)  # type: ignore[assignment]
        except UnsupportedContentError:
            if kind != "foreign":
                raise
            logger.warning(
                "Dropping %s block %s from another provider's message", block_type, where
            )
            return None
    elif block_type in _SERVER_TOOL_BLOCK_TYPES and (server_part := server_tool_part(block)):
        # Gemini 3 combined tools: echoed verbatim, signature included (even for a message
        # of unknown provenance: the block carries Gemini's own toolType).
        return None if gemini_only else _raw_part(server_part, where)
    elif block_type == "executable_code" or (
        block_type == "server_tool_call" and block.get("name") == "code_interpreter"
    ):
        if gemini_only:
            return None
        args = block.get("args") or {}
        code = block.get("executable_code", args.get("code", ""))
        language = block.get("language", args.get("language", "PYTHON"))
        part = {"executableCode": {"language": str(language).upper(), "code": code}}
    elif block_type == "code_execution_result" or (
        block_type == "server_tool_result"
        and (block.get("extras") or {}).get("block_type") == "code_execution_result"
    ):
        if gemini_only:
            return None
        output = block.get("code_execution_result", block.get("output", ""))
        outcome = (block.get("extras") or {}).get("outcome", block.get("outcome", 1))
        part = {"codeExecutionResult": {"outcome": _outcome_name(outcome), "output": output}}
    elif block_type == "non_standard":
        return None if gemini_only else _non_standard_part(block, where)
    elif block_type == "gemini_part":
        return None if gemini_only else _raw_part(block.get("part") or {}, where)
    elif block_type in _TOOL_CALL_BLOCK_TYPES or block_type in _SKIPPED_AI_BLOCK_TYPES:
        return None
    elif kind == "foreign":
        logger.warning("Dropping %s block %s from another provider's message", block_type, where)
        return None
    else:
        raise UnsupportedContentError(
            f"{where}: content block type {block_type!r} in an AIMessage cannot be sent to Gemini."
        )
    if sig:
        part["thoughtSignature"] = sig
    return part


_OUTCOMES = {1: "OUTCOME_OK", 2: "OUTCOME_FAILED", 3: "OUTCOME_DEADLINE_EXCEEDED"}


def _outcome_name(outcome: Any) -> str:
    if isinstance(outcome, str):
        return outcome
    return _OUTCOMES.get(outcome, "OUTCOME_OK")


def _function_response_parts(
    name: str,
    tool_call_id: str | None,
    content: str | list[str | dict[Any, Any]],
    *,
    error: bool,
    where: str,
    downloads: Mapping[str, Downloaded],
    nested_media: bool,
) -> list[Part]:
    """A tool result as a `functionResponse` part (plus media parts where needed)."""
    media: list[Part] = []
    if isinstance(content, str):
        value: Any = _maybe_json(content)
    else:
        texts: list[str] = []
        values: list[Any] = []
        for j, block in enumerate(content):
            if isinstance(block, str):
                texts.append(block)
            elif isinstance(block, Mapping) and block.get("type") in _TEXT_BLOCK_TYPES:
                texts.append(_text_of(block))
            elif isinstance(block, Mapping) and block.get("type") in MEDIA_BLOCK_TYPES:
                media.append(media_block_to_part(block, downloads, where=f"{where}.content[{j}]"))  # type: ignore[arg-type]
            elif isinstance(block, Mapping) and block.get("type") == "json":
                values.append(block.get("json"))
            else:
                values.append(block)
        if values:
            _require_json(values, where)
        if values and not texts:
            value = values[0] if len(values) == 1 else values
        else:
            value = _maybe_json("".join(texts)) if len(texts) == 1 else "\n".join(texts)
            if values:
                value = {"output": value, "items": values}
    if error:
        response: dict[str, Any] = {"error": value}
    elif isinstance(value, dict):
        response = value
    else:
        response = {"output": value}
    fr: dict[str, Any] = {"name": name, "response": response}
    if tool_call_id:
        fr["id"] = tool_call_id
    if media and nested_media:
        # Gemini 3 takes media inside the function response itself.
        fr["parts"] = media
        media = []
    return [{"functionResponse": fr}, *media]  # type: ignore[typeddict-item]


def _maybe_json(text: str) -> Any:
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return orjson.loads(stripped)
        except orjson.JSONDecodeError:
            pass
    return text
