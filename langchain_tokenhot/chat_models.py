"""`ChatTokenhotGemini`: the LangChain chat model for Gemini models served by Tokenhot.

The class holds configuration and glue only; translation lives in the private modules
(`_messages`, `_response`, `_streaming`, `_tools`, `_request`) and all I/O in `_transport`.
"""

from __future__ import annotations

import copy
import difflib
import functools
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Annotated, Any, Literal, NamedTuple, Self

import httpx
import orjson
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils import from_env, secret_from_env
from langchain_core.utils.function_calling import convert_to_json_schema
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from ._cache import omit_cache_held_fields
from ._catalog import ModelInfo, models_from_pages, models_path, next_page_token
from ._download import MediaBudget, MediaURLPolicy
from ._exceptions import (
    InvalidOptionError,
    ToolConversionError,
    UnknownOptionError,
)
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
    normalize_model,
    safety_settings,
)
from ._resolution import check_media_resolution
from ._response import check_shape, messages_from_response
from ._secrets import header_env, is_secret_header, masked_headers, scrub_values
from ._service_tier import ServedTier, ServiceTier, check_service_tier, note_served_tier
from ._streaming import StreamAssembler, streams_blocks
from ._structured import StructuredOutputParser
from ._templates import chat_result, generation_of
from ._token_count import approximate_tokens, count_from_response, count_tokens_body
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
        "stream",
        "strict",
    }
)
# Per-call options that set a generationConfig field (LangChain names, after OPTION_ALIASES).
_OPTION_KEYS = (
    frozenset(GENERATION_FIELDS)
    | frozenset(THINKING_OPTIONS)
    | frozenset(NESTED_CONFIG_OPTIONS)
    | {"voice_name"}
)


def _lower_name(value: Any) -> Any:
    """Enum-like option values in any case (`"PRIORITY"` is `"priority"`)."""
    return value.strip().lower() if isinstance(value, str) else value


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

    # validate_assignment: `llm.api_key = "..."` is validated (a str becomes a SecretStr, a bad
    # value is refused) like a constructor argument, and then reaches the next call.
    model_config = ConfigDict(
        populate_by_name=True, arbitrary_types_allowed=True, validate_assignment=True
    )

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
    service_tier: Annotated[ServiceTier | None, BeforeValidator(_lower_name)] = None
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
    token_counter: Literal["approximate", "server"] = "approximate"
    """How `get_num_tokens*` count: `"approximate"` (default) locally and free, with
    langchain-core's approximate counter; `"server"` with `:countTokens`, which a new-api
    gateway runs (and bills) as a full generation."""
    send_function_call_ids: bool = False
    """Send tool-call ids as `functionCall.id` and `functionResponse.id`. Off by default: a
    gateway that re-marshals requests (new-api) drops the first and keeps the second. Turn on
    for Google directly or a pass-through gateway."""
    download_media: bool = True
    """Download http(s) media URLs in messages and inline them. `False` refuses every such
    URL with `MediaURLRefusedError` (pass media as base64 or a file URI instead)."""
    media_allowed_hosts: list[str] | None = None
    """Hosts (`"media.intranet"`) or networks (`"10.0.0.0/8"`) that media URLs may reach
    although they are not public. By default loopback, private, link-local (cloud metadata),
    CGNAT, multicast and reserved addresses are refused (see docs/reliability.md)."""

    _transport: Transport | None = PrivateAttr(default=None)
    """Built from the fields on first use; dropped on any assignment, copy or pickle, so the
    next call sees the current key, URL, headers, timeout and retries. Copies share only the
    pooled clients (process- and loop-wide, in `_pool`), never a transport."""
    _media_policy: MediaURLPolicy | None = PrivateAttr(default=None)
    _derived_epoch: int = PrivateAttr(default=0)
    """Bumped whenever `_transport` / `_media_policy` are dropped: a transport built from values
    that changed while it was being built is used for its call but not kept."""
    """Built from `download_media` / `media_allowed_hosts` and dropped with `_transport`. (A
    non-None default would be deep-copied on every construction, ~35 us.)"""

    def __init__(self, **kwargs: Any) -> None:
        # Pydantic ignores unknown keywords: a misspelt option would vanish without a word.
        for key in kwargs:
            if key not in _CONSTRUCTOR_NAMES:
                raise _unknown_option(
                    key,
                    "ChatTokenhotGemini()",
                    _CONSTRUCTOR_NAMES,
                    " Raw generationConfig fields go in model_kwargs={...}.",
                )
        super().__init__(**kwargs)
        # Checked here, after pydantic, so the error is ours (InvalidOptionError naming the
        # option), not wrapped in a ValidationError.
        generation_config(self.model, self._options())
        safety_settings(self.safety_settings)
        self._media_url_policy()  # a bad media_allowed_hosts entry fails here, not at a call

    # -- validation and plumbing ------------------------------------------------------------

    @field_validator("model")
    @classmethod
    def _normalize_model(cls, model: str) -> str:
        return normalize_model(model)

    @field_validator("default_headers", mode="before")
    @classmethod
    def _revive_header_secrets(cls, headers: Any) -> Any:
        # A serialized model holds credential headers as secret references (see lc_secrets);
        # langchain-core's loader revives only top-level secrets, so nested ones are read from
        # their environment variable here, as `secrets_from_env` does for the key.
        if not isinstance(headers, Mapping):
            return headers
        revived = dict(headers)
        for name, value in headers.items():
            if isinstance(value, Mapping) and value.get("type") == "secret" and value.get("lc"):
                [env] = value.get("id") or [None]
                if not isinstance(env, str) or not os.environ.get(env):
                    raise ValueError(
                        f"default_headers[{name!r}] was serialized as a secret; set the {env} "
                        "environment variable or pass default_headers again."
                    )
                revived[name] = os.environ[env]
        return revived

    @model_validator(mode="after")
    def _validate(self) -> Self:
        if self.api_key is None or not self.api_key.get_secret_value():
            raise ValueError(
                "No Tokenhot API key: set the TOKENHOT_API_KEY environment variable or pass "
                "api_key=... to ChatTokenhotGemini."
            )
        if self.n > 1 and self.streaming:
            raise ValueError("n > 1 cannot be combined with streaming=True.")
        return self

    # -- copies, assignment, pickling: never carry a transport built from other values ------

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in type(self).model_fields:
            super().__setattr__(name, value)
            return
        previous = self.__dict__.get(name)
        try:
            super().__setattr__(name, value)
        except ValidationError:
            # pydantic has already stored the value when a model validator refuses the result
            # (`streaming=True` with `n=2`): put the old one back, so a refused assignment
            # changes nothing.
            self.__dict__[name] = previous
            raise
        _drop_derived(self)

    def __copy__(self) -> Self:
        copied = super().__copy__()
        # A copy's headers, kwargs and settings are its own: changing one in place must not
        # change the original's (another tenant's) requests.
        for name, value in copied.__dict__.items():
            if isinstance(value, dict | list):
                copied.__dict__[name] = copy.copy(value)
        _drop_derived(copied)
        return copied

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        memo = {} if memo is None else memo
        for client in (self.http_client, self.http_async_client):
            if client is not None:
                memo[id(client)] = client  # your clients are the pool: copies share them
        copied = super().__deepcopy__(memo)
        _drop_derived(copied)
        return copied

    def __getstate__(self) -> dict[Any, Any]:
        if self.http_client is not None or self.http_async_client is not None:
            raise TypeError(
                "A ChatTokenhotGemini with its own http_client or http_async_client cannot be "
                "pickled (to a spawn/forkserver/Ray worker): an httpx client holds sockets and "
                "locks. Pickle the model without them and set them in the worker, or leave "
                "them unset to use the shared pools, which every process builds for itself."
            )
        state = super().__getstate__()
        private = state["__pydantic_private__"] or {}
        state["__pydantic_private__"] = {**private, "_transport": None, "_media_policy": None}
        return state

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with `update` applied and validated like constructor arguments.

        pydantic's `model_copy` sets `update` without validation, so `api_key="..."` would stay
        a plain `str` and a misspelt field would be ignored; here both are handled as
        `ChatTokenhotGemini(...)` would: a str key becomes a `SecretStr`, a bad value or an
        unknown field raises. `deep=True` copies every field but your own `http_client` /
        `http_async_client`, which the copy shares.
        """
        copied = self.__deepcopy__() if deep else self.__copy__()
        if not update:
            return copied
        fields = type(self).model_fields
        unknown = sorted(str(key) for key in update if key not in fields)
        if unknown:
            raise ValueError(
                f"model_copy(update=...) got unknown field(s) {', '.join(unknown)}; "
                f"ChatTokenhotGemini fields are: {', '.join(sorted(fields))}."
            )
        values = {name: value for name, value in copied.__dict__.items() if name in fields}
        # Through __init__, so the update gets every check a constructor argument gets.
        validated = type(self)(**{**values, **update})
        fields_set = copied.model_fields_set | set(update)
        object.__setattr__(validated, "__pydantic_fields_set__", fields_set)
        return validated

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
        secrets = {"api_key": "TOKENHOT_API_KEY"}
        for name in self.default_headers or ():
            if is_secret_header(name) and "." not in name:
                secrets[f"default_headers.{name}"] = header_env(name)
        return secrets

    def to_json(self) -> Any:
        serialized = super().to_json()
        # lc_secrets paths are split on ".", so a credential header whose name holds a dot
        # cannot be named there: it is replaced by the same secret reference here.
        kwargs = serialized.get("kwargs") if isinstance(serialized, dict) else None
        headers = kwargs.get("default_headers") if isinstance(kwargs, dict) else None
        if isinstance(kwargs, dict) and isinstance(headers, dict):
            kwargs["default_headers"] = {
                name: (
                    {"lc": 1, "type": "secret", "id": [header_env(name)]}
                    if "." in name and is_secret_header(name)
                    else value
                )
                for name, value in headers.items()
            }
        return serialized

    @field_serializer("default_headers")
    def _mask_secret_headers(self, headers: dict[str, str] | None) -> dict[str, str] | None:
        """`model_dump()` masks credential headers as it masks `api_key`."""
        return masked_headers(headers)

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            if name == "default_headers" and value:
                value = masked_headers(value)
            yield name, value

    @property
    def _identifying_params(self) -> dict[str, Any]:
        options = {name: value for name, value in self._options().items() if value is not None}
        return {"model": self.model, **options}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        # What LangSmith records is what goes on the wire: the same precedence as `_request`
        # (per call, then the instance, then raw generation_config / model_kwargs fields).
        calls = {OPTION_ALIASES.get(k, k): v for k, v in kwargs.items()} if kwargs else {}
        model = calls.get("model")
        params = LangSmithParams(
            ls_provider="tokenhot",
            ls_model_name=normalize_model(model) if isinstance(model, str) else self.model,
            ls_model_type="chat",
        )
        call_config = calls.get("generation_config")
        if not isinstance(call_config, Mapping):
            call_config = {}  # a bad value is reported by `_request`, not here
        for option, wire, key in (
            ("temperature", "temperature", "ls_temperature"),
            ("max_tokens", "maxOutputTokens", "ls_max_tokens"),
        ):
            value = calls.get(option)
            if value is None:
                value = call_config.get(wire, call_config.get(option))
            if value is None:
                value = getattr(self, option)
            if value is None:
                value = self.model_kwargs.get(wire, self.model_kwargs.get(option))
            if value is not None:
                params[key] = value  # type: ignore[literal-required]
        if ls_stop := stop or calls.get("stop") or self.stop:
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
        """The HTTP transport of the current configuration (built on first use and after any
        change to a field; it shares the pooled clients)."""
        # Read the private slot directly: pydantic's __getattr__ path costs ~2.5 us a call.
        private = self.__pydantic_private__
        assert private is not None
        transport = private.get("_transport")
        if transport is not None:
            return transport  # type: ignore[no-any-return]
        epoch = private.get("_derived_epoch", 0)  # before any field is read
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
        transport = Transport(
            base_url=normalize_base_url(self.base_url),
            headers=headers,
            secret=scrub_values(key, self.default_headers),
            timeout=self.timeout,
            max_retries=self.max_retries,
            http_client=self.http_client,
            http_async_client=self.http_async_client,
        )
        if private.get("_derived_epoch", 0) == epoch:  # no field changed meanwhile
            private["_transport"] = transport
        return transport

    # -- request building ---------------------------------------------------------------------

    def _media_url_policy(self) -> MediaURLPolicy:
        private = self.__pydantic_private__
        assert private is not None
        policy = private.get("_media_policy")
        if policy is None:
            epoch = private.get("_derived_epoch", 0)
            policy = MediaURLPolicy.from_options(self.download_media, self.media_allowed_hosts)
            if private.get("_derived_epoch", 0) == epoch:
                private["_media_policy"] = policy
        return policy

    def _download(
        self, transport: Transport, messages: Sequence[BaseMessage]
    ) -> dict[str, Downloaded]:
        """The http(s) media URLs of `messages`, fetched under the media-URL policy and the
        per-call limits (`MediaBudget`)."""
        policy = self._media_url_policy()  # built (and checked) on every call, even with no URL
        urls = download_urls(messages)
        if not urls:
            return {}
        budget = MediaBudget(urls)
        downloaded: dict[str, Downloaded] = {}
        for url in urls:
            with budget.fetching(url):
                downloaded[url] = transport.fetch(url, policy)
            budget.spend(downloaded[url])
        return downloaded

    async def _adownload(
        self, transport: Transport, messages: Sequence[BaseMessage]
    ) -> dict[str, Downloaded]:
        policy = self._media_url_policy()  # built (and checked) on every call, even with no URL
        urls = download_urls(messages)
        if not urls:
            return {}
        budget = MediaBudget(urls)
        downloaded: dict[str, Downloaded] = {}
        for url in urls:
            with budget.fetching(url):
                downloaded[url] = await transport.afetch(url, policy)
            budget.spend(downloaded[url])
        return downloaded

    def _plan(self, stop: list[str] | None, kwargs: Mapping[str, Any]) -> _CallPlan:
        """Everything of a call's request but its messages, checked: run before any media URL
        is downloaded, so a bad option fails before anything is sent anywhere.

        Precedence, lowest first: `model_kwargs`, instance fields, a per-call
        `generation_config`, per-call options (arguments, `bind`). Per-call values are checked
        like constructor values (`InvalidOptionError` naming the option).
        """
        options = self._options()
        pinned: list[str] = []
        for key, value in kwargs.items():
            name = OPTION_ALIASES.get(key, key)
            if name in _OPTION_KEYS:
                options[name] = _checked_call_value(name, value)
                pinned.append(name)
            elif name in _CALL_KEYS:
                _checked_call_value(name, value)
            elif not name.startswith("ls_"):
                raise _unknown_option(
                    key,
                    "a call",
                    _CALL_NAMES,
                    " Raw generationConfig fields go in generation_config={...}.",
                )
        if stop is not None:
            options["stop"] = _checked_call_value("stop", stop)
            pinned.append("stop")
        model = normalize_model(kwargs["model"]) if kwargs.get("model") else self.model
        if response_format := kwargs.get("response_format"):
            options.update(_response_format_options(response_format))
            pinned.extend(("response_mime_type", "response_json_schema"))
        tools = kwargs.get("tools")
        if tools:
            tools = tools if _is_converted(tools) else convert_tools(tools)
        # No per-call option: no tool_choice, tool_config or strict to turn into a toolConfig.
        tool_config = _tool_config(tools or [], kwargs) if kwargs else None
        if tools:
            tool_config = _combined_tools_config(tools, tool_config, model)
        tier = kwargs.get("service_tier", self.service_tier)
        settings = kwargs.get("safety_settings", self.safety_settings)
        return _CallPlan(
            model=model,
            tools=tools or None,
            tool_config=tool_config,
            safety_settings=safety_settings(settings) if settings is not None else None,
            generation_config=generation_config(
                model,
                options,
                kwargs.get("generation_config"),
                defaults=self.model_kwargs,
                pinned=pinned,
            ),
            cached_content=kwargs.get("cached_content", self.cached_content),
            service_tier=check_service_tier(tier) if tier is not None else None,
        )

    def _request(
        self,
        messages: Sequence[BaseMessage],
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
        downloads: Mapping[str, Downloaded] | None = None,
        plan: _CallPlan | None = None,
    ) -> tuple[str, GenerateContentRequest]:
        """(model, request body) for a call; raises ValueError on anything we cannot send.

        `plan` is `_plan(stop, kwargs)` when the caller made it already (before downloads).
        """
        if plan is None:
            plan = self._plan(stop, kwargs)
        model = plan.model
        system, contents = convert_messages(
            messages,
            model=model,
            downloads=downloads,
            function_call_ids=self.send_function_call_ids,
        )
        body: GenerateContentRequest = {"contents": contents}
        if system is not None:
            body["systemInstruction"] = system
        if plan.tools:
            body["tools"] = plan.tools
        if plan.tool_config:
            body["toolConfig"] = plan.tool_config
        if plan.safety_settings:
            body["safetySettings"] = plan.safety_settings
        if plan.generation_config:
            body["generationConfig"] = plan.generation_config
        check_media_resolution(model, body)
        if plan.cached_content:
            body["cachedContent"] = plan.cached_content
            omit_cache_held_fields(body)
        if plan.service_tier is not None:
            body["serviceTier"] = plan.service_tier
        return model, body

    # -- generation -----------------------------------------------------------------------------

    def _result(
        self, response: Any, model: str, body: GenerateContentRequest, served: ServedTier
    ) -> ChatResult:
        checked = check_shape(response)
        tier = served.value(checked.get("usageMetadata"))
        if (requested := body.get("serviceTier")) is not None:
            note_served_tier(requested, tier, model)
        generations = [
            generation_of(message)
            for message, _ in messages_from_response(checked, model, service_tier=tier)
        ]
        if _asks_for_server_records(body):
            for generation in generations:
                note_missing_server_records(
                    model,
                    generation.message.response_metadata,
                    has_records=has_server_tool_blocks(generation.message.content),
                )
        return chat_result(generations)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        transport = self.transport
        plan = self._plan(stop, kwargs)
        downloads = self._download(transport, messages)
        model, body = self._request(messages, stop, kwargs, downloads, plan)
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
        plan = self._plan(stop, kwargs)
        downloads = await self._adownload(transport, messages)
        model, body = self._request(messages, stop, kwargs, downloads, plan)
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
        plan: _CallPlan,
    ) -> tuple[str, bytes, StreamAssembler]:
        model, body = self._request(messages, stop, kwargs, downloads, plan)
        config = body.get("generationConfig", {})
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
        plan = _streamable(self._plan(stop, kwargs))
        downloads = self._download(transport, messages)
        model, body, assembler = self._stream_setup(messages, stop, kwargs, downloads, plan)
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
        plan = _streamable(self._plan(stop, kwargs))
        downloads = await self._adownload(transport, messages)
        model, body, assembler = self._stream_setup(messages, stop, kwargs, downloads, plan)
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
        """Tokens in a conversation (and its tools), counted as `token_counter` says.

        `"approximate"` (default): counted locally, no request, nothing billed (see
        docs/guides/gateway.md for why). `"server"`: one `:countTokens` call for the whole
        conversation; when the gateway answers it with a generation (new-api runs countTokens
        as generateContent, and bills it), its prompt token count is used and a warning says so.
        """
        if self.token_counter == "approximate":
            return approximate_tokens(messages, tools)
        transport = self.transport
        downloads = self._download(transport, messages)
        model, body = self._request(messages, None, {"tools": tools} if tools else {}, downloads)
        response = transport.post_json(
            model, "countTokens", _encode(count_tokens_body(body, model=model))
        )
        return count_from_response(response, model=model, base_url=transport.base_url)

    def get_num_tokens(self, text: str) -> int:
        """Tokens in `text` (counted as `token_counter` says)."""
        from langchain_core.messages import HumanMessage

        return self.get_num_tokens_from_messages([HumanMessage(text)])

    # -- model listing --------------------------------------------------------------------------

    def list_models(self) -> list[ModelInfo]:
        """The models this key can use (`GET /v1beta/models`), with the profile of known ones."""
        transport = self.transport
        pages = []
        token: str | None = None
        while True:
            page = transport.get_json(models_path(token))
            pages.append(page)
            token = next_page_token(page)
            if token is None:
                return models_from_pages(pages)

    async def alist_models(self) -> list[ModelInfo]:
        """Async `list_models`."""
        transport = self.transport
        pages = []
        token: str | None = None
        while True:
            page = await transport.aget_json(models_path(token))
            pages.append(page)
            token = next_page_token(page)
            if token is None:
                return models_from_pages(pages)

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

        `strict` needs no wire field here: `responseJsonSchema` constrains the output, and the
        forced call of `function_calling` (mode `ANY`) constrains the call to its schema.
        """
        for key in kwargs:
            raise _unknown_option(
                key, "with_structured_output()", frozenset({"method", "include_raw", "strict"})
            )
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


class _CallPlan(NamedTuple):
    """A call's request parts other than its messages (see `ChatTokenhotGemini._plan`)."""

    model: str
    tools: list[Any] | None
    tool_config: dict[str, Any] | None
    safety_settings: list[dict[str, str]] | None
    generation_config: dict[str, Any]
    cached_content: str | None
    service_tier: str | None


def _streamable(plan: _CallPlan) -> _CallPlan:
    if plan.generation_config.get("candidateCount", 1) != 1:
        raise InvalidOptionError("n", "Streaming returns one candidate; call with n=1.")
    return plan


def _drop_derived(model: ChatTokenhotGemini) -> None:
    """Forget what was built from the fields (transport, media policy): the next call rebuilds
    it from the current values."""
    private = model.__pydantic_private__
    assert private is not None
    private["_transport"] = None
    private["_media_policy"] = None
    private["_derived_epoch"] = private.get("_derived_epoch", 0) + 1


_CONSTRUCTOR_NAMES = frozenset(
    name
    for field_name, field in ChatTokenhotGemini.model_fields.items()
    for name in (field_name, field.alias)
    if name
)
_CALL_NAMES = _OPTION_KEYS | _CALL_KEYS | frozenset(OPTION_ALIASES)

# Types of the per-call values that are not constructor fields.
_CALL_ONLY_TYPES: dict[str, Any] = {
    "response_logprobs": bool | None,
    "logprobs": int | None,
    "tool_config": dict[str, Any] | None,
    "generation_config": dict[str, Any] | None,
    "strict": bool | None,
    "stream": bool | None,
}


def _unknown_option(
    key: str, where: str, known: frozenset[str], hint: str = ""
) -> UnknownOptionError:
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    suggestion = f" Did you mean {close[0]!r}?" if close else ""
    return UnknownOptionError(
        key,
        f"ChatTokenhotGemini got an unknown option {key!r} in {where}.{suggestion}{hint}",
        close[0] if close else None,
    )


@functools.cache
def _call_adapter(name: str) -> TypeAdapter[Any] | None:
    """The validator of a per-call option: the constructor field's own type and constraints."""
    if name in _CALL_ONLY_TYPES:
        return TypeAdapter(_CALL_ONLY_TYPES[name])
    if name == "safety_settings":
        return None  # `safety_settings()` checks it with a message that shows the right shape
    for field_name, field in ChatTokenhotGemini.model_fields.items():
        if name in (field_name, field.alias):
            if not field.metadata:
                return TypeAdapter(field.annotation)  # type: ignore[arg-type]
            return TypeAdapter(Annotated[(field.annotation, *field.metadata)])  # type: ignore[arg-type]
    return None  # tools, tool_choice, response_format: checked where they are converted


def _checked_call_value(name: str, value: Any) -> Any:
    adapter = _call_adapter(name)
    if adapter is None or value is None:
        return value
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"]
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise InvalidOptionError(
            name, f"Invalid per-call option {name}={shown}: {problem}."
        ) from None


_FUNCTION_CALLING_KEYS = frozenset({"functionCallingConfig", "mode", "allowedFunctionNames"})
"""toolConfig keys that `tool_choice_to_config` reads (the dict and the short Gemini form)."""


def _tool_config(tools: list[Any], kwargs: Mapping[str, Any]) -> dict[str, Any] | None:
    """`toolConfig` from `tool_choice`, `tool_config` and `strict`, checked against the tools.

    A raw `tool_config` goes through the same checks as `tool_choice` (a forced call needs a
    bound function). `strict=True` turns `AUTO` function calling into Gemini's `VALIDATED`
    mode (calls constrained to the declared schemas).
    """
    names = function_names(tools)
    config: dict[str, Any] | None
    if kwargs.get("tool_choice") is not None:
        config = tool_choice_to_config(kwargs["tool_choice"], names)
    elif raw := kwargs.get("tool_config"):
        # The function-calling part is checked like a tool_choice; the other toolConfig fields
        # (includeServerSideToolInvocations, retrievalConfig, ...) are sent as given.
        wire = camel_keys(dict(raw)) if isinstance(raw, Mapping) else raw
        others = (
            {k: v for k, v in wire.items() if k not in _FUNCTION_CALLING_KEYS}
            if isinstance(wire, Mapping)
            else {}
        )
        calling = {k: v for k, v in wire.items() if k not in others} if others else raw
        config = None
        if calling:
            try:
                config = tool_choice_to_config(calling, names)
            except ToolConversionError as exc:
                raise InvalidOptionError("tool_config", f"Invalid tool_config: {exc}") from None
            fcc = camel_keys(dict(calling)).get("functionCallingConfig")
            if config is None and isinstance(fcc, Mapping) and fcc:
                config = {"functionCallingConfig": camel_keys(dict(fcc))}  # e.g. explicit AUTO
        if others:
            config = {**(config or {}), **others}
    else:
        config = None
    if kwargs.get("strict"):
        if not names:
            raise InvalidOptionError(
                "strict",
                "strict=True constrains function calls to their schemas, but no function "
                "tools are bound; bind tools with bind_tools(..., strict=True) or drop strict.",
            )
        config = dict(config or {})
        fcc = dict(config.get("functionCallingConfig") or {})
        if str(fcc.get("mode", "AUTO")).upper() == "AUTO":
            fcc["mode"] = "VALIDATED"
        config["functionCallingConfig"] = fcc
    return config


def _asks_for_server_records(body: GenerateContentRequest) -> bool:
    return bool((body.get("toolConfig") or {}).get(SERVER_SIDE_INVOCATIONS))


def _combined_tools_config(
    tools: list[Any], tool_config: dict[str, Any] | None, model: str
) -> dict[str, Any] | None:
    """Built-in tools next to functions: ask for the server-side invocation records (Gemini 3),
    or refuse before sending for a model that cannot combine them."""
    return combine_tool_kinds(
        tools, tool_config, model=model, supported=supports_combined_tools(model)
    )


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
