"""`ChatTokenhotGemini`: the LangChain chat model for Gemini models served by Tokenhot.

The class holds configuration and glue only; translation lives in the private modules
(`_messages`, `_response`, `_streaming`, `_tools`, `_request`) and all I/O in `_transport`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, Literal

import httpx
import orjson
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils import from_env, secret_from_env
from langchain_core.utils.function_calling import convert_to_json_schema
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from ._cache import omit_cache_held_fields
from ._exceptions import TokenhotResponseError
from ._malformed import MalformedCallGuard
from ._media import Downloaded
from ._messages import convert_messages, download_urls
from ._profiles import profile_for, supports_combined_tools
from ._request import (
    GENERATION_FIELDS,
    NESTED_CONFIG_OPTIONS,
    OPTION_ALIASES,
    THINKING_OPTIONS,
    camel_keys,
    generation_config,
    safety_settings,
)
from ._resolution import check_media_resolution, model_wide_level
from ._response import check_shape, messages_from_response
from ._service_tier import ServedTier, ServiceTier, check_service_tier, note_served_tier
from ._streaming import StreamAssembler, streams_blocks
from ._structured import StructuredOutputParser
from ._tools import (
    SERVER_SIDE_INVOCATIONS,
    combine_tool_kinds,
    convert_tools,
    function_names,
    has_server_tool_blocks,
    json_schema_for_output,
    note_missing_server_records,
    tool_choice_to_config,
)
from ._transport import Transport, normalize_base_url
from ._version import __version__
from ._wire import GenerateContentRequest

DEFAULT_BASE_URL = "https://api.tokenhot.ai"
DEFAULT_TIMEOUT = 300.0
"""Seconds per attempt; Gemini 3 Pro at high thinking can take minutes before answering."""

# Per-call keyword arguments besides the generation options.
_CALL_KEYS = frozenset(
    {
        "model",
        "tools",
        "tool_choice",
        "tool_config",
        "generation_config",
        "safety_settings",
        "cached_content",
        "service_tier",
        "response_format",
        "voice_name",
        "image_config",
        "speech_config",
        "stream",
        "strict",
    }
)
_OPTION_KEYS = (
    frozenset(GENERATION_FIELDS) | frozenset(THINKING_OPTIONS) | frozenset(NESTED_CONFIG_OPTIONS)
)


class ChatTokenhotGemini(BaseChatModel):
    """Gemini chat models (2.5, 3, 3.1, image and TTS models) through Tokenhot.

    Setup: `pip install langchain-tokenhot` and `export TOKENHOT_API_KEY=sk-...`.

    Example:
        ```python
        from langchain_tokenhot import ChatTokenhotGemini

        llm = ChatTokenhotGemini(model="gemini-2.5-flash")
        msg = llm.invoke([("system", "Be brief."), ("human", "Hello")])
        msg.text, msg.usage_metadata, msg.response_metadata["finish_reason"]
        ```

    Every option left at `None` stays off the wire, so the server's per-model defaults apply.
    Options can also be passed per call: `llm.invoke(..., temperature=0.2, model="...")`.
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    model: str
    """Model id, e.g. `gemini-2.5-flash`, `gemini-3-flash-preview`, `gemini-3.1-pro`."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("TOKENHOT_API_KEY", default=None)
    )
    """Tokenhot key; read from `TOKENHOT_API_KEY` when not given."""
    base_url: str = Field(default_factory=from_env("TOKENHOT_BASE_URL", default=DEFAULT_BASE_URL))
    """API root (env `TOKENHOT_BASE_URL`); a trailing `/` or `/v1beta` is tolerated."""
    auth_header: Literal["authorization", "x-goog-api-key"] = "authorization"
    """How the key is sent: `Authorization: Bearer <key>` (Tokenhot's documented scheme) or
    Google's `x-goog-api-key` header. Never in the URL."""
    timeout: float | None = Field(default=DEFAULT_TIMEOUT, alias="request_timeout")
    """Seconds one attempt may take (connect, and each read of a stream). None: no limit."""
    max_retries: int = Field(default=2, ge=0)
    """Retries after the first attempt for 408/429/5xx, connection errors and timeouts."""

    temperature: float | None = None
    """Sampling temperature (0-2). Unset by default: Gemini 3 is tuned for its own default."""
    max_tokens: int | None = Field(default=None, alias="max_output_tokens")
    """`maxOutputTokens`. Thinking tokens count against it."""
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    n: int = Field(default=1, ge=1, alias="candidate_count")
    """Number of candidates (`candidateCount`); streaming always uses one."""
    seed: int | None = None
    presence_penalty: float | None = None
    """Not accepted by the Gemini 2.5 models (the server answers 400)."""
    frequency_penalty: float | None = None
    """Not accepted by the Gemini 2.5 models (the server answers 400)."""
    safety_settings: dict[str, str] | list[dict[str, str]] | None = None
    """`{"HARM_CATEGORY_HARASSMENT": "BLOCK_ONLY_HIGH", ...}` or the wire list."""
    cached_content: str | None = None
    """Name of a context cache, `cachedContents/...`. Gemini refuses a system instruction,
    tools or tool config next to it, so those are left out of such requests (the cache holds
    them), with a one-time warning naming what was left out."""
    service_tier: ServiceTier | None = None
    """Gemini's service tier, sent as `serviceTier`: `"standard"`, `"flex"` (about half the
    price, variable latency: size `timeout` for it) or `"priority"`. The tier that served the
    call is in `response_metadata["service_tier"]` when the server says so."""
    response_mime_type: str | None = None
    """`application/json` or `text/x.enum` for raw structured output."""
    response_schema: dict[str, Any] | None = Field(default=None, alias="response_json_schema")
    """JSON Schema sent as `responseJsonSchema` (needs `response_mime_type`)."""
    response_modalities: list[str] | None = None
    """E.g. `["TEXT", "IMAGE"]` for image models; TTS models get `["AUDIO"]` automatically."""
    image_config: dict[str, Any] | None = None
    """Image models: `{"aspect_ratio": "16:9", "image_size": "2K"}`."""
    speech_config: dict[str, Any] | None = None
    """TTS models: `{"voice_config": {"prebuilt_voice_config": {"voice_name": "Kore"}}}`."""
    voice_name: str | None = None
    """TTS shortcut for a prebuilt voice (`"Kore"`, `"Puck"`, ...)."""
    media_resolution: str | None = None
    """`"low"`, `"medium"` or `"high"` (or `MEDIA_RESOLUTION_*`) for all media inputs. Gemini 3
    also takes a resolution per content block (`media_resolution` on the block, including the
    per-part-only `"ultra_high"`)."""
    thinking_level: str | None = Field(default=None, alias="reasoning_effort")
    """Gemini 3: `"minimal"`, `"low"`, `"medium"` or `"high"` (what each model accepts is in
    its profile). Not with `thinking_budget`."""
    thinking_budget: int | None = None
    """Gemini 2.5: thinking tokens; 0 disables where allowed, -1 dynamic."""
    include_thoughts: bool | None = None
    """Return thought summaries as reasoning blocks."""
    malformed_call_retries: int = Field(default=1, ge=0)
    """Re-asks after a turn that ends in `MALFORMED_FUNCTION_CALL` / `UNEXPECTED_TOOL_CALL`;
    then `TokenhotMalformedFunctionCallError`. Re-asks are listed in
    `response_metadata["malformed_call_retries"]`."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra `generationConfig` fields sent as given (camelCase or snake_case top-level keys)."""
    default_headers: dict[str, str] | None = None
    """Extra HTTP headers on every request."""
    streaming: bool = False
    """Stream internally even for `invoke` (chunks reach callbacks as they arrive)."""
    http_client: httpx.Client | None = Field(default=None, exclude=True)
    """Your own `httpx.Client` (proxies, custom transports); by default a shared pool."""
    http_async_client: httpx.AsyncClient | None = Field(default=None, exclude=True)
    """Your own `httpx.AsyncClient`; by default a shared pool per event loop."""

    _transport: Transport | None = PrivateAttr(default=None)

    # -- validation and plumbing ------------------------------------------------------------

    @model_validator(mode="after")
    def _validate(self) -> Self:
        if self.api_key is None or not self.api_key.get_secret_value():
            raise ValueError(
                "No Tokenhot API key: set the TOKENHOT_API_KEY environment variable or pass "
                "api_key=... to ChatTokenhotGemini."
            )
        if self.n > 1 and self.streaming:
            raise ValueError("n > 1 cannot be combined with streaming=True.")
        # Surface bad thinking options at construction, not at the first call.
        generation_config(self.model, self._options())
        if self.media_resolution is not None:
            model_wide_level(self.media_resolution)
        return self

    @property
    def _llm_type(self) -> str:
        return "tokenhot-gemini"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_tokenhot", "chat_models"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "TOKENHOT_API_KEY"}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.model}
        params.update((k, v) for k, v in self._options().items() if v is not None)
        return params

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="tokenhot",
            ls_model_name=kwargs.get("model") or self.model,
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        if ls_stop := stop or kwargs.get("stop") or self.stop:
            params["ls_stop"] = ls_stop
        return params

    def _resolve_model_profile(self) -> ModelProfile | None:
        return profile_for(self.model)

    def _options(self) -> dict[str, Any]:
        """The generation options set on the instance (LangChain names)."""
        return {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "stop": self.stop,
            "n": self.n,
            "seed": self.seed,
            "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty,
            "response_mime_type": self.response_mime_type,
            "response_json_schema": self.response_schema,
            "response_modalities": self.response_modalities,
            "media_resolution": self.media_resolution,
            "image_config": self.image_config,
            "speech_config": self.speech_config,
            "voice_name": self.voice_name,
            "thinking_level": self.thinking_level,
            "thinking_budget": self.thinking_budget,
            "include_thoughts": self.include_thoughts,
        }

    @property
    def transport(self) -> Transport:
        """The HTTP transport of this configuration (built once, shares the pooled clients)."""
        # Read the private slot directly: pydantic's __getattr__ path costs ~2.5 us a call.
        transport = self.__pydantic_private__.get("_transport")  # type: ignore[union-attr]
        if transport is not None:
            return transport  # type: ignore[no-any-return]
        key = self.api_key.get_secret_value() if self.api_key else ""
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"langchain-tokenhot/{__version__}",
            **(self.default_headers or {}),
        }
        if self.auth_header == "x-goog-api-key":
            headers["x-goog-api-key"] = key
        else:
            headers["Authorization"] = f"Bearer {key}"
        transport = self._transport = Transport(
            base_url=normalize_base_url(self.base_url),
            headers=headers,
            secret=key,
            timeout=self.timeout,
            max_retries=self.max_retries,
            http_client=self.http_client,
            http_async_client=self.http_async_client,
        )
        return transport

    # -- request building ---------------------------------------------------------------------

    def _request(
        self,
        messages: Sequence[BaseMessage],
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
        downloads: Mapping[str, Downloaded] | None = None,
    ) -> tuple[str, GenerateContentRequest]:
        """(model, request body) for a call; raises ValueError on anything we cannot send."""
        options = self._options()
        for key, value in kwargs.items():
            name = OPTION_ALIASES.get(key, key)
            if name in _OPTION_KEYS:
                options[name] = value
            elif name not in _CALL_KEYS and not name.startswith("ls_"):
                raise TypeError(
                    f"ChatTokenhotGemini got an unexpected keyword argument {key!r}. Generation "
                    "options: " + ", ".join(sorted(_OPTION_KEYS)) + "; raw generationConfig "
                    "fields go in generation_config={...} or model_kwargs."
                )
        if stop is not None:
            options["stop"] = stop
        model = kwargs.get("model") or self.model
        extra = self.model_kwargs
        if call_config := kwargs.get("generation_config"):
            extra = {**extra, **call_config}
        if response_format := kwargs.get("response_format"):
            options.update(_response_format_options(response_format))
        system, contents = convert_messages(messages, model=model, downloads=downloads)
        body: GenerateContentRequest = {"contents": contents}
        if system is not None:
            body["systemInstruction"] = system
        tools = kwargs.get("tools")
        if tools:
            body["tools"] = tools if _is_converted(tools) else convert_tools(tools)
        tool_config = kwargs.get("tool_config")
        if kwargs.get("tool_choice") is not None:
            tool_config = tool_choice_to_config(
                kwargs["tool_choice"], function_names(body.get("tools", []))
            )
        if tool_config:
            body["toolConfig"] = camel_keys(tool_config)
        if tools:
            _enable_combined_tools(body, model)
        settings = safety_settings(kwargs.get("safety_settings", self.safety_settings))
        if settings:
            body["safetySettings"] = settings
        config = generation_config(model, options, extra)
        if config:
            body["generationConfig"] = config
        check_media_resolution(model, body)
        if cached := kwargs.get("cached_content", self.cached_content):
            body["cachedContent"] = cached
            omit_cache_held_fields(body)
        if (tier := kwargs.get("service_tier", self.service_tier)) is not None:
            body["serviceTier"] = check_service_tier(tier)
        return model, body

    # -- generation -----------------------------------------------------------------------------

    def _result(
        self, response: Any, model: str, body: GenerateContentRequest, served: ServedTier
    ) -> ChatResult:
        checked = check_shape(response)
        tier = served.value(checked.get("usageMetadata"))
        note_served_tier(body.get("serviceTier"), tier, model)
        generations = [
            ChatGeneration(message=message, generation_info=None)
            for message, _ in messages_from_response(checked, model, service_tier=tier)
        ]
        if _asks_for_server_records(body):
            for generation in generations:
                note_missing_server_records(
                    model,
                    generation.message.response_metadata,
                    has_records=has_server_tool_blocks(generation.message.content),
                )
        return ChatResult(generations=generations)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        transport = self.transport
        downloads = {url: transport.fetch(url) for url in download_urls(messages)}
        model, body = self._request(messages, stop, kwargs, downloads)
        encoded = _encode(body)
        guard = MalformedCallGuard(model, self.malformed_call_retries)
        while True:
            served = ServedTier()
            response = transport.post_json(model, "generateContent", encoded, on_headers=served)
            result = self._result(response, model, body, served)
            if not guard.reask([g.message.response_metadata for g in result.generations]):
                return result

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        transport = self.transport
        downloads = {url: await transport.afetch(url) for url in download_urls(messages)}
        model, body = self._request(messages, stop, kwargs, downloads)
        encoded = _encode(body)
        guard = MalformedCallGuard(model, self.malformed_call_retries)
        while True:
            served = ServedTier()
            response = await transport.apost_json(
                model, "generateContent", encoded, on_headers=served
            )
            result = self._result(response, model, body, served)
            if not guard.reask([g.message.response_metadata for g in result.generations]):
                return result

    def _stream_setup(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        downloads: Mapping[str, Downloaded],
    ) -> tuple[str, bytes, StreamAssembler]:
        model, body = self._request(messages, stop, kwargs, downloads)
        config = body.get("generationConfig", {})
        if config.get("candidateCount", 1) != 1:
            raise ValueError("Streaming returns one candidate; call with n=1.")
        include_thoughts = config.get("thinkingConfig", {}).get("includeThoughts")
        blocks = streams_blocks(model, include_thoughts=include_thoughts) or bool(
            set(config.get("responseModalities", ())) - {"TEXT"}
        )
        assembler = StreamAssembler(
            model,
            blocks_mode=blocks,
            requested_tier=body.get("serviceTier"),
            expects_server_records=_asks_for_server_records(body),
        )
        return model, _encode(body), assembler

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        transport = self.transport
        downloads = {url: transport.fetch(url) for url in download_urls(messages)}
        model, body, assembler = self._stream_setup(messages, stop, kwargs, downloads)
        guard = MalformedCallGuard(model, self.malformed_call_retries)
        while True:
            yielded = False
            for event in transport.stream(model, body, on_headers=assembler.served):
                chunk = assembler.feed(event)
                if chunk is not None:
                    yielded = True
                    if run_manager:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
            final = assembler.finish()
            if not guard.reask([final.message.response_metadata], can_reask=not yielded):
                break
            assembler = assembler.fresh()
        if run_manager:
            run_manager.on_llm_new_token("", chunk=final)
        yield final

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        transport = self.transport
        downloads = {url: await transport.afetch(url) for url in download_urls(messages)}
        model, body, assembler = self._stream_setup(messages, stop, kwargs, downloads)
        guard = MalformedCallGuard(model, self.malformed_call_retries)
        while True:
            yielded = False
            events = transport.astream(model, body, on_headers=assembler.served)
            try:
                async for event in events:
                    chunk = assembler.feed(event)
                    if chunk is not None:
                        yielded = True
                        if run_manager:
                            await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                        yield chunk
            finally:
                # Closing early (break, cancellation) must release the connection now, not at GC.
                await events.aclose()  # type: ignore[attr-defined]
            final = assembler.finish()
            if not guard.reask([final.message.response_metadata], can_reask=not yielded):
                break
            assembler = assembler.fresh()
        if run_manager:
            await run_manager.on_llm_new_token("", chunk=final)
        yield final

    # -- token counting -------------------------------------------------------------------------

    def get_num_tokens_from_messages(
        self,
        messages: list[BaseMessage],
        tools: Sequence[Any] | None = None,
    ) -> int:
        """Count tokens with one `:countTokens` call for the whole conversation (and tools)."""
        transport = self.transport
        downloads = {url: transport.fetch(url) for url in download_urls(messages)}
        model, body = self._request(messages, None, {"tools": tools} if tools else {}, downloads)
        request = {"generateContentRequest": {"model": f"models/{model}", **body}}
        response = transport.post_json(model, "countTokens", _encode(request))
        if not isinstance(response, dict) or not isinstance(response.get("totalTokens"), int):
            # The body itself is not quoted: it could echo anything, the key included.
            keys = sorted(response) if isinstance(response, dict) else type(response).__name__
            raise TokenhotResponseError(
                f"countTokens answered without an integer totalTokens (got {keys})",
                status_code=200,
                model=model,
            )
        return int(response["totalTokens"])

    def get_num_tokens(self, text: str) -> int:
        """Tokens in `text`, counted by the server."""
        from langchain_core.messages import HumanMessage

        return self.get_num_tokens_from_messages([HumanMessage(text)])

    # -- tools and structured output ----------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | list[str] | dict[str, Any] | None = None,
        tool_config: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools: LangChain tools, Pydantic models, TypedDicts, functions, OpenAI dicts,
        and Gemini's built-in `{"google_search": {}}`, `{"code_execution": {}}`,
        `{"url_context": {}}`.

        `tool_choice`: `"auto"`, `"none"`, `"any"`/`"required"`/`True`, a tool name or a list
        of names. Tools are converted once, here, not on every call.
        """
        converted = convert_tools(tools)
        if tool_choice is not None and tool_choice is not False:
            tool_config = tool_choice_to_config(tool_choice, function_names(converted))
        if tool_config:
            kwargs["tool_config"] = tool_config
        return super().bind(tools=_Converted(converted), **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Model that returns output matching `schema` (Pydantic, TypedDict or JSON Schema).

        `json_schema` (default) uses Gemini's native `responseJsonSchema`; `function_calling`
        forces a call of a tool shaped like the schema; `json_mode` asks for JSON with the
        schema. A reply that does not parse raises `OutputParserException`; a blocked or
        refused reply raises `ModelRefusalError`, never a silent None.
        """
        if kwargs:
            raise TypeError(f"Unexpected arguments: {', '.join(kwargs)}")
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        ls_format = {
            "kwargs": {"method": method, "strict": strict},
            "schema": convert_to_json_schema(schema),
        }
        parser: Runnable[Any, Any]
        if method == "function_calling":
            tools = convert_tools([schema])
            name = function_names(tools)[0]
            llm = self.bind_tools([schema], tool_choice=name, ls_structured_output_format=ls_format)
            parser = StructuredOutputParser(
                source="tool", tool_name=name, pydantic_schema=schema if is_pydantic else None
            )
        elif method in ("json_schema", "json_mode"):
            llm = self.bind(
                response_mime_type="application/json",
                response_json_schema=json_schema_for_output(schema),
                ls_structured_output_format=ls_format,
            )
            parser = StructuredOutputParser(
                source="text", pydantic_schema=schema if is_pydantic else None
            )
        else:
            raise ValueError(
                f"Unknown method {method!r}; use 'json_schema', 'function_calling' or 'json_mode'."
            )
        if not include_raw:
            return llm | parser
        parser_with_fallback = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        ).with_fallbacks(
            [RunnablePassthrough.assign(parsed=lambda _: None)], exception_key="parsing_error"
        )
        return RunnableMap(raw=llm) | parser_with_fallback


def _asks_for_server_records(body: GenerateContentRequest) -> bool:
    return bool((body.get("toolConfig") or {}).get(SERVER_SIDE_INVOCATIONS))


def _enable_combined_tools(body: GenerateContentRequest, model: str) -> None:
    """Built-in tools next to functions: ask for the server-side invocation records (Gemini 3),
    or refuse before sending for a model that cannot combine them."""
    config = combine_tool_kinds(
        body["tools"],
        body.get("toolConfig"),
        model=model,
        supported=supports_combined_tools(model),
    )
    if config:
        body["toolConfig"] = config


def _encode(body: Any) -> bytes:
    """The request body as JSON bytes.

    orjson hands back small outputs in a 4 KB allocation; a compact copy of a small body keeps
    ~3.7 KB per in-flight request out of memory (measured with tracemalloc) for a copy of a few
    hundred bytes. Large bodies (inline media) are not copied.
    """
    data = orjson.dumps(body)
    return bytes(memoryview(data)) if len(data) < 65_536 else data


class _Converted(list):  # type: ignore[type-arg]
    """A tools list already in Gemini's wire form (converted once by `bind_tools`)."""


def _is_converted(tools: Any) -> bool:
    return isinstance(tools, _Converted)


def _response_format_options(response_format: Any) -> dict[str, Any]:
    """OpenAI-style `response_format` (sent by `create_agent`'s ProviderStrategy)."""
    if isinstance(response_format, dict):
        kind = response_format.get("type")
        if kind == "json_schema":
            spec = response_format.get("json_schema") or {}
            schema = spec.get("schema", spec)
            return {
                "response_mime_type": "application/json",
                "response_json_schema": json_schema_for_output(schema),
            }
        if kind == "json_object":
            return {"response_mime_type": "application/json"}
    return {
        "response_mime_type": "application/json",
        "response_json_schema": json_schema_for_output(response_format),
    }
