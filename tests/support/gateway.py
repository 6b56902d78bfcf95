"""A gateway-shaped fake: `FakeGemini` behind what new-api does on Gemini's native routes.

Tokenhot very likely runs the open-source new-api gateway. This module plays that gateway from
its source as read in mid-2026 (nothing here is a recording of Tokenhot or of new-api)::

    with FakeGateway() as gateway:                     # a FakeGemini subclass
        llm = ChatTokenhotGemini(model="gemini-2.5-flash", base_url=gateway.base_url, ...)
        llm.invoke("hi")
        gateway.requests[0].json          # what Google received, after the gateway
        gateway.client_requests[0].json   # what the client sent

Between the client and the scripted upstream (``enqueue``/``default`` exactly as on
``FakeGemini``; responders see the *upstream* request):

* **Requests are re-marshalled** through new-api's typed DTO (:func:`remarshal`) unless
  ``pass_through=True``: unknown fields are dropped (``serviceTier``, ``labels``,
  ``functionCall.id``, ``toolCall``/``toolResponse`` parts, unknown ``generationConfig`` keys),
  empty strings and ``false`` vanish (``omitempty``), a ``systemInstruction`` without a
  non-empty text part is deleted. The upstream URL is rebuilt as ``:generateContent`` or
  ``:streamGenerateContent?alt=sse``, and the client's auth header is replaced by the gateway's.
* **Streams** are always SSE, re-framed ``data: <json>\\n\\n`` (LF only), with no terminator, no
  keep-alives and none of the upstream's headers; any upstream failure mid-stream just ends the
  stream cleanly.
* **Errors** are new-api's OpenAI shape ``{"error": {"message", "type", "param", "code"}}``:
  Google's errors keep their message and numeric code but lose ``status``, ``details`` and
  ``Retry-After``; an upstream that cannot be reached becomes 500 ``do_request_failed``.
* **Its own routes**: ``GET /v1beta/models`` lists :attr:`FakeGateway.models` (names without
  ``models/``); ``:countTokens`` runs as a generation (new-api#7283) and is recorded upstream as
  ``:generateContent``; a body without ``contents`` is a 400 "contents is required"; a model
  not in ``models`` is a 503 ``model_not_found``; any other route is a 404 "Invalid URL".

``gateway.answer(*actions)`` queues answers from the gateway itself (no upstream request is
made): use the factories below (:func:`invalid_token`, :func:`model_not_found`, ...).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

import orjson

from langchain_tokenhot._profiles import PROFILES
from tests.support.fake_gemini import (
    _PATH_RE,
    JSON_CT,
    Action,
    CloseWithoutResponse,
    FakeGemini,
    Raw,
    RecordedRequest,
    Reset,
    Respond,
    ScriptItem,
    SlowHeaders,
    SseStream,
    TruncatedBody,
    parse_sse,
)

__all__ = [
    "DEFAULT_MODELS",
    "FakeGateway",
    "bad_response_status",
    "contents_required",
    "insufficient_user_quota",
    "invalid_token",
    "invalid_url",
    "model_forbidden",
    "model_not_found",
    "newapi_error",
    "rate_limited_empty",
    "rate_limited_json",
    "remarshal",
    "token_quota_exhausted",
    "upstream_unreachable",
]

REQUEST_ID = "20261201120000000000000000000000"
UPSTREAM_KEY = "AIza-gateway-channel-key"
"""The gateway's own key for Google, sent upstream instead of the client's."""
DEFAULT_MODELS = (*PROFILES, "gemini-3-pro-preview")
"""What the gateway serves unless told otherwise: every model the package has a profile for,
and the retired preview the recorded samples come from."""

# --------------------------------------------------------------------------------------------
# new-api's error shapes
# --------------------------------------------------------------------------------------------


def _with_request_id(message: str) -> str:
    return f"{message} (request id: {REQUEST_ID})"


def newapi_error(
    status: int, message: str, *, code: str | int = "", type: str = "new_api_error"
) -> Respond:
    """``{"error": {"message", "type", "param", "code"}}`` as new-api's relay writes it."""
    body = {
        "error": {
            "message": _with_request_id(message),
            "type": type,
            "param": "",
            "code": code,
        }
    }
    return Respond(status, orjson.dumps(body), JSON_CT)


def invalid_token() -> Respond:
    """401 from the auth middleware: wrong, expired or exhausted key (code empty)."""
    return newapi_error(401, "Invalid token")


def insufficient_user_quota() -> Respond:
    """403: the account's balance is used up."""
    return newapi_error(
        403, "user quota is not enough", code="insufficient_user_quota", type="new_api_error"
    )


def token_quota_exhausted() -> Respond:
    """403: the key's own quota is used up."""
    return newapi_error(
        403,
        "token quota is not enough, token remain quota: $0.0012, need quota: $0.0150",
        code="pre_consume_token_quota_failed",
    )


def model_forbidden(model: str) -> Respond:
    """403 from the distributor: the key may not use this model."""
    return newapi_error(403, f"This token has no access to model {model}")


def model_not_found(model: str, group: str = "default") -> Respond:
    """503 from the distributor: no channel serves this model (a mistyped id, usually)."""
    return newapi_error(
        503,
        f"No available channel for model {model} under group {group} (distributor)",
        code="model_not_found",
    )


def rate_limited_json() -> Respond:
    """429 from the Redis rate limiter (no ``Retry-After``)."""
    return newapi_error(429, "您已达到请求数限制：1分钟内最多请求60次", code="rate_limit_exceeded")


def rate_limited_empty() -> Respond:
    """429 from the in-memory rate limiter: an empty body, no ``Retry-After``."""
    return Respond(429, b"", "text/plain; charset=utf-8")


def upstream_unreachable() -> Respond:
    """500 when the request to Google failed (DNS, refused, reset, timeout)."""
    return newapi_error(
        500, "upstream error: do request failed", code="do_request_failed", type="new_api_error"
    )


def bad_response_status(status: int) -> Respond:
    """The upstream answered ``status`` with a body that is not Google's JSON error."""
    return newapi_error(
        status,
        f"bad response status code {status}",
        code="bad_response_status_code",
        type="upstream_error",
    )


def bad_response_body() -> Respond:
    """500 when a 200 upstream body cannot be read into the response DTO."""
    return newapi_error(500, "unmarshal_response_body_failed", code="bad_response_body")


def contents_required() -> Respond:
    """400 when the body does not parse as a generation request with ``contents``."""
    return newapi_error(400, "contents is required", code="invalid_request")


def invalid_url(method: str, path: str) -> Respond:
    """404 from ``RelayNotFound`` for the routes the gateway does not serve."""
    return newapi_error(
        404, f"Invalid URL ({method} {path})", code="", type="invalid_request_error"
    )


def _upstream_error(status: int, body: bytes) -> Respond:
    """Google's error as ``RelayErrorHandler`` rewrites it: message and numeric code kept,
    ``status`` and ``details`` dropped, ``type: upstream_error``."""
    try:
        data = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return bad_response_status(status)
    raw_code = error.get("code")
    code: int = raw_code if isinstance(raw_code, int) else status
    return newapi_error(status, error["message"], code=code, type="upstream_error")


# --------------------------------------------------------------------------------------------
# The DTO round trip
# --------------------------------------------------------------------------------------------


def _drop_empty(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Go's ``omitempty`` on pointer, string, slice and raw fields: null, "", [] and {} are
    not written (0 and false survive in pointers; plain bools are handled by the caller)."""
    return {k: v for k, v in obj.items() if not (v is None or v in ("", [], {}))}


def _pick(obj: Any, keys: Iterable[str]) -> dict[str, Any]:
    if not isinstance(obj, Mapping):
        return {}
    return _drop_empty({k: obj[k] for k in keys if k in obj})


def _part(part: Any) -> dict[str, Any]:
    if not isinstance(part, Mapping):
        return {}
    out = _pick(part, ("text", "thoughtSignature", "mediaResolution", "videoMetadata"))
    if part.get("thought"):  # a plain bool: false is not written
        out["thought"] = True
    inline = part.get("inlineData") or part.get("inline_data")
    if isinstance(inline, Mapping):
        # No omitempty on these two.
        out["inlineData"] = {
            "mimeType": inline.get("mimeType") or inline.get("mime_type") or "",
            "data": inline.get("data", ""),
        }
    if isinstance(part.get("fileData"), Mapping):
        out["fileData"] = _pick(part["fileData"], ("mimeType", "fileUri"))
    if isinstance(part.get("functionCall"), Mapping):
        call = part["functionCall"]
        # `FunctionCall` has only name and args, neither omitempty: the id is lost.
        out["functionCall"] = {"name": call.get("name", ""), "args": call.get("args")}
    if isinstance(part.get("functionResponse"), Mapping):
        response = part["functionResponse"]
        fr: dict[str, Any] = {
            "name": response.get("name", ""),
            "response": response.get("response"),
        }
        fr.update(_pick(response, ("willContinue", "scheduling", "parts", "id")))
        out["functionResponse"] = fr
    if isinstance(part.get("executableCode"), Mapping):
        out["executableCode"] = _pick(part["executableCode"], ("language", "code"))
    if isinstance(part.get("codeExecutionResult"), Mapping):
        out["codeExecutionResult"] = _pick(part["codeExecutionResult"], ("outcome", "output"))
    return out


def _content(content: Any) -> dict[str, Any]:
    if not isinstance(content, Mapping):
        return {"parts": []}
    out: dict[str, Any] = {}
    if content.get("role"):
        out["role"] = content["role"]
    out["parts"] = [_part(p) for p in content.get("parts") or []]
    return out


_GENERATION_FIELDS = (
    "temperature",
    "topP",
    "topK",
    "maxOutputTokens",
    "candidateCount",
    "stopSequences",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "presencePenalty",
    "frequencyPenalty",
    "responseLogprobs",
    "logprobs",
    "enableEnhancedCivicAnswers",
    "mediaResolution",
    "seed",
    "responseModalities",
    "speechConfig",
    "imageConfig",
)


def _generation_config(config: Any) -> dict[str, Any]:
    out = _pick(config, _GENERATION_FIELDS)
    if isinstance(config, Mapping) and isinstance(config.get("thinkingConfig"), Mapping):
        thinking = config["thinkingConfig"]
        kept = _pick(thinking, ("thinkingLevel",))
        if thinking.get("includeThoughts"):  # a plain bool
            kept["includeThoughts"] = True
        if thinking.get("thinkingBudget") is not None:  # a pointer: 0 survives
            kept["thinkingBudget"] = thinking["thinkingBudget"]
        out["thinkingConfig"] = kept
    return out


def _tool_config(config: Any) -> dict[str, Any]:
    if not isinstance(config, Mapping):
        return {}
    out: dict[str, Any] = {}
    if isinstance(config.get("functionCallingConfig"), Mapping):
        out["functionCallingConfig"] = _pick(
            config["functionCallingConfig"], ("mode", "allowedFunctionNames")
        )
    if isinstance(config.get("retrievalConfig"), Mapping):
        out["retrievalConfig"] = _pick(config["retrievalConfig"], ("latLng", "languageCode"))
    if config.get("includeServerSideToolInvocations") is not None:
        out["includeServerSideToolInvocations"] = config["includeServerSideToolInvocations"]
    return out


def remarshal(body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` after new-api's ``GeminiChatRequest`` round trip (parse, clean up, marshal)."""
    out: dict[str, Any] = {"contents": [_content(c) for c in body.get("contents") or []]}
    if out["contents"] and "role" not in out["contents"][0]:
        out["contents"][0]["role"] = "user"  # ConvertGeminiRequest
    if body.get("safetySettings"):
        out["safetySettings"] = [
            {"category": s.get("category", ""), "threshold": s.get("threshold", "")}
            for s in body["safetySettings"]
            if isinstance(s, Mapping)
        ]
    # A struct, so omitempty does not apply: always written, possibly {}.
    out["generationConfig"] = _generation_config(body.get("generationConfig"))
    if body.get("tools"):
        out["tools"] = body["tools"]  # raw JSON
    if body.get("toolConfig"):
        out["toolConfig"] = _tool_config(body["toolConfig"])
    system = body.get("systemInstruction") or body.get("system_instruction")
    if isinstance(system, Mapping):
        converted = _content(system)
        if any(p.get("text") for p in converted["parts"]):
            out["systemInstruction"] = converted
    if body.get("cachedContent"):
        out["cachedContent"] = body["cachedContent"]
    return out


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

_OPERATIONS = frozenset({"generateContent", "streamGenerateContent", "countTokens"})


def _client_key(request: RecordedRequest) -> str:
    """The key as new-api's TokenAuth reads it on /v1beta routes."""
    key = request.headers.get("x-goog-api-key") or request.query.get("key") or ""
    if not key:
        auth = request.headers.get("authorization", "")
        key = auth[7:] if auth.lower().startswith("bearer ") else ""
    return key.removeprefix("sk-")


class FakeGateway(FakeGemini):
    """``FakeGemini`` as the upstream of a new-api-shaped gateway (see the module docstring).

    ``requests`` are what the upstream received; ``client_requests`` what the client sent
    (each one, answered by the gateway or not). ``models``: what the gateway serves (and
    lists); ``keys``: the accepted keys (``None``: any); ``pass_through``: forward bodies
    unchanged (they must still parse).
    """

    def __init__(
        self,
        *,
        default: ScriptItem | None = None,
        models: Iterable[str] = DEFAULT_MODELS,
        keys: Iterable[str] | None = None,
        pass_through: bool = False,
        latency_s: float = 0.0,
        port: int = 0,
        record: bool = True,
    ) -> None:
        super().__init__(default=default, latency_s=latency_s, port=port, record=False)
        self.models = list(models)
        self.keys = None if keys is None else {k.removeprefix("sk-") for k in keys}
        self.pass_through = pass_through
        self._record_requests = record
        self._client_requests: list[RecordedRequest] = []
        self._answers: deque[Action] = deque()

    @property
    def client_requests(self) -> list[RecordedRequest]:
        """Every request as the client sent it (auth header included)."""
        return list(self._client_requests)

    def answer(self, *actions: Action) -> None:
        """Queue answers the gateway gives itself, one per client request, before any routing."""
        self._answers.extend(actions)

    def clear(self) -> None:
        super().clear()
        self._client_requests.clear()
        self._answers.clear()

    def _next_action(self, request: RecordedRequest) -> Action:
        if self._record_requests:
            self._client_requests.append(request)
        if self._answers:
            return self._answers.popleft()
        if self.keys is not None and _client_key(request) not in self.keys:
            return invalid_token()
        path = unquote(request.path)
        if request.method == "GET" and path.rstrip("/") in ("/v1beta/models", "/v1/models"):
            return self._model_list()
        match = _PATH_RE.match(path)
        if request.method != "POST" or match is None or match.group(2) not in _OPERATIONS:
            return invalid_url(request.method, request.path)
        model, operation = match.groups()
        if model not in self.models:
            return model_not_found(model)
        body = request.json
        if not isinstance(body, dict) or not (body.get("contents") or body.get("requests")):
            return contents_required()
        upstream = self._upstream_request(model, operation, body)
        if self._record_requests:
            self._requests.append(upstream)
        item = self._queue.popleft() if self._queue else None
        return self._relay(self._resolve(item, upstream))

    def _model_list(self) -> Respond:
        fields = ("description", "version", "inputTokenLimit", "outputTokenLimit")
        listed = [{"name": m, "displayName": m, **dict.fromkeys(fields)} for m in self.models]
        body = {"models": listed, "nextPageToken": None}
        return Respond(200, orjson.dumps(body), JSON_CT)

    def _upstream_request(
        self, model: str, operation: str, body: dict[str, Any]
    ) -> RecordedRequest:
        sent = body if self.pass_through else remarshal(body)
        stream = operation == "streamGenerateContent"
        # countTokens has no handler: it runs as a generation.
        upstream_operation = "streamGenerateContent" if stream else "generateContent"
        data = orjson.dumps(sent)
        return RecordedRequest(
            method="POST",
            path=f"/v1beta/models/{model}:{upstream_operation}",
            query={"alt": "sse"} if stream else {},
            headers={"content-type": "application/json", "x-goog-api-key": UPSTREAM_KEY},
            body=data,
            json=orjson.loads(data),
        )

    def _relay(self, action: Action) -> Action:
        """What the client gets when the upstream answers ``action``."""
        if isinstance(action, Respond):
            if action.status >= 300:
                return _upstream_error(action.status, action.body)
            try:
                orjson.loads(action.body)
            except orjson.JSONDecodeError:
                return bad_response_body()
            # Forwarded byte for byte, upstream headers copied.
            return action
        if isinstance(action, SseStream):
            if action.status >= 300:
                return bad_response_status(action.status)
            return _reframe(action)
        if isinstance(action, SlowHeaders) and isinstance(action.then, Action):
            return dataclasses.replace(action, then=self._relay(action.then))
        if isinstance(action, (Reset, CloseWithoutResponse, Raw, TruncatedBody)):
            return upstream_unreachable()
        return action  # stalls and slow bodies reach the client as they are


def _reframe(stream: SseStream) -> SseStream:
    """The upstream's events re-emitted ``data: <json>\\n\\n``; a cut upstream ends cleanly."""
    events = list(stream.events)
    if stream.cut_after is not None:
        events = events[: stream.cut_after]
    payloads = [p for e in events for p in parse_sse(e)]
    framed: list[bytes] = []
    for payload in payloads:
        try:
            orjson.loads(payload)
        except orjson.JSONDecodeError:
            break  # a chunk that does not parse ends the stream, silently
        framed.append(b"data: " + payload + b"\n\n")
    return SseStream(tuple(framed), stream.delay_s, 200, (), chunk_size=stream.chunk_size)
