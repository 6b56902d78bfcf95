"""The clients measured side by side, all behind one small interface.

* ``raw-httpx``   -- the physical floor: build the body, POST it with a pooled ``httpx`` client,
  ``orjson.loads`` the answer (SSE: split ``data:`` lines and parse each event). No LangChain.
* ``lc-floor``    -- the LangChain floor: :class:`FloorChatModel`, the smallest honest
  ``BaseChatModel`` (body from the messages, httpx POST, JSON → ``AIMessage`` with usage;
  ``_stream`` yields one chunk per event plus a closing chunk with usage). Everything it costs
  above ``raw-httpx`` is langchain-core's own per-call machinery (callbacks, config, run ids,
  message/chunk pydantic models), which no integration can avoid.
* ``tokenhot``    -- ``langchain_tokenhot.ChatTokenhotGemini`` with its defaults.
* ``genai``       -- ``langchain_google_genai.ChatGoogleGenerativeAI`` (google-genai SDK), only
  when installed.

Every client gets the same input (a system message and a short human message) and the same
server; all httpx clients that we build ourselves use the pool limits of langchain-tokenhot's
shared clients in total (``_pool.SHARDS`` x ``_pool.SHARD_LIMITS``, one pool keeping 20 idle;
30 s connect timeout; see ``_tokenhot_limits``). ``genai`` gets the same pool size through
``client_args``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx
import orjson
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LangSmithParams
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

MODEL = "gemini-2.5-flash"
API_KEY = "bench-key-not-secret"
SYSTEM = "You are a concise assistant. Answer in one paragraph."
PROMPT = "Explain in two sentences why streaming parsers must handle split UTF-8 characters."


def _tokenhot_limits() -> tuple[int, int]:
    """(max connections, max idle connections) for the httpx clients we build ourselves.

    langchain-tokenhot's shared clients spread calls over ``_pool.SHARDS`` httpcore pools of
    ``_pool.SHARD_LIMITS`` (all kept alive); the baselines get one pool of the same total size,
    keeping 20 idle as before the sharding (one pool keeping all of them idle costs seconds of
    CPU per wave in httpcore's pool walk, see ``_pool.SHARD_LIMITS``)."""
    from langchain_tokenhot._pool import SHARD_LIMITS, SHARDS

    return SHARDS * int(SHARD_LIMITS.max_connections or 16), 20


POOL = _tokenhot_limits()
LIMITS = httpx.Limits(max_connections=POOL[0], max_keepalive_connections=POOL[1])
TIMEOUT = httpx.Timeout(300.0, connect=30.0)  # langchain-tokenhot's default timeouts
HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"}


def messages() -> list[BaseMessage]:
    return [SystemMessage(SYSTEM), HumanMessage(PROMPT)]


def genai_installed() -> bool:
    try:
        return importlib.util.find_spec("langchain_google_genai") is not None
    except (ImportError, ValueError, AttributeError):
        return False


def _raw_body() -> bytes:
    return orjson.dumps(
        {
            "systemInstruction": {"parts": [{"text": SYSTEM}]},
            "contents": [{"role": "user", "parts": [{"text": PROMPT}]}],
        }
    )


def _iter_sse_data(chunks: Iterator[bytes]) -> Iterator[bytes]:
    buf = b""
    for chunk in chunks:
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            if line.startswith(b"data:"):
                yield line[5:]


async def _aiter_sse_data(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    buf = b""
    async for chunk in chunks:
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            if line.startswith(b"data:"):
                yield line[5:]


def _event_text(event: dict[str, Any]) -> str:
    return "".join(p.get("text", "") for p in event["candidates"][0]["content"]["parts"])


# --------------------------------------------------------------------------------------------
# Client interface
# --------------------------------------------------------------------------------------------


class Client:
    name = "?"

    def invoke(self) -> Any:
        raise NotImplementedError

    def stream(self) -> Iterator[Any]:
        raise NotImplementedError

    async def ainvoke(self) -> Any:
        raise NotImplementedError

    async def aopen(self) -> None:
        """Called inside the event loop before async calls."""

    async def aclose(self) -> None:
        pass

    def close(self) -> None:
        pass

    def retarget(self, base_url: str) -> None:
        """Send the next calls to another server, keeping pools and warmed-up state."""
        raise NotImplementedError


class RawHttpx(Client):
    name = "raw-httpx"

    def __init__(self, base_url: str) -> None:
        self.retarget(base_url)
        self.client = httpx.Client(limits=LIMITS, timeout=TIMEOUT)
        self.aclient: httpx.AsyncClient | None = None

    def retarget(self, base_url: str) -> None:
        self.url = f"{base_url}/v1beta/models/{MODEL}:generateContent"
        self.stream_url = f"{base_url}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"

    def invoke(self) -> Any:
        response = self.client.post(self.url, content=_raw_body(), headers=HEADERS)
        response.raise_for_status()
        data = orjson.loads(response.content)
        return _event_text(data), data.get("usageMetadata")

    def stream(self) -> Iterator[Any]:
        with self.client.stream(
            "POST", self.stream_url, content=_raw_body(), headers=HEADERS
        ) as response:
            response.raise_for_status()
            for data in _iter_sse_data(response.iter_bytes()):
                yield _event_text(orjson.loads(data))

    async def aopen(self) -> None:
        if self.aclient is None:
            self.aclient = httpx.AsyncClient(limits=LIMITS, timeout=TIMEOUT)

    async def ainvoke(self) -> Any:
        assert self.aclient is not None
        response = await self.aclient.post(self.url, content=_raw_body(), headers=HEADERS)
        response.raise_for_status()
        data = orjson.loads(response.content)
        return _event_text(data), data.get("usageMetadata")

    async def aclose(self) -> None:
        if self.aclient is not None:
            await self.aclient.aclose()
            self.aclient = None

    def close(self) -> None:
        self.client.close()


# --------------------------------------------------------------------------------------------
# The LangChain floor
# --------------------------------------------------------------------------------------------


class FloorChatModel(BaseChatModel):
    """The least a LangChain chat model over Gemini's REST format can do per call."""

    model: str = MODEL
    base_url: str

    _client: httpx.Client | None = PrivateAttr(default=None)
    _aclient: httpx.AsyncClient | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "floor-gemini"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        # langchain-core asks subclasses to override this; its generic fallback probes
        # attributes with hasattr(), which costs a pydantic AttributeError per missing one.
        return LangSmithParams(ls_provider="floor", ls_model_name=self.model, ls_model_type="chat")

    def _body(self, messages: Sequence[BaseMessage]) -> bytes:
        system = []
        contents = []
        for m in messages:
            part = {"text": m.content}
            if m.type == "system":
                system.append(part)
            else:
                contents.append({"role": "model" if m.type == "ai" else "user", "parts": [part]})
        body: dict[str, Any] = {"contents": contents}
        if system:
            body["systemInstruction"] = {"parts": system}
        return orjson.dumps(body)

    def _url(self, method: str) -> str:
        return f"{self.base_url}/v1beta/models/{self.model}:{method}"

    @staticmethod
    def _usage(usage: dict[str, Any]) -> Any:
        return {
            "input_tokens": usage.get("promptTokenCount", 0),
            "output_tokens": usage.get("candidatesTokenCount", 0),
            "total_tokens": usage.get("totalTokenCount", 0),
        }

    def _result(self, data: dict[str, Any]) -> ChatResult:
        candidate = data["candidates"][0]
        message = AIMessage(
            content=_event_text(data),
            usage_metadata=self._usage(data.get("usageMetadata") or {}),
            response_metadata={
                "finish_reason": candidate.get("finishReason"),
                "model_name": data.get("modelVersion", self.model),
            },
            id=data.get("responseId"),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self._client is None:
            self._client = httpx.Client(limits=LIMITS, timeout=TIMEOUT)
        response = self._client.post(
            self._url("generateContent"), content=self._body(messages), headers=HEADERS
        )
        response.raise_for_status()
        return self._result(orjson.loads(response.content))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self._aclient is None:
            self._aclient = httpx.AsyncClient(limits=LIMITS, timeout=TIMEOUT)
        response = await self._aclient.post(
            self._url("generateContent"), content=self._body(messages), headers=HEADERS
        )
        response.raise_for_status()
        return self._result(orjson.loads(response.content))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if self._client is None:
            self._client = httpx.Client(limits=LIMITS, timeout=TIMEOUT)
        usage = None
        meta: dict[str, Any] = {}
        with self._client.stream(
            "POST",
            self._url("streamGenerateContent") + "?alt=sse",
            content=self._body(messages),
            headers=HEADERS,
        ) as response:
            response.raise_for_status()
            for data in _iter_sse_data(response.iter_bytes()):
                event = orjson.loads(data)
                usage = event.get("usageMetadata") or usage
                if reason := event["candidates"][0].get("finishReason"):
                    meta["finish_reason"] = reason
                yield ChatGenerationChunk(message=AIMessageChunk(content=_event_text(event)))
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata=self._usage(usage or {}),
                response_metadata=meta,
                chunk_position="last",
            )
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        if self._aclient is not None:
            await self._aclient.aclose()
            self._aclient = None


class _ModelClient(Client):
    """Any BaseChatModel, called through its public Runnable API."""

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model
        self.input = messages()

    def invoke(self) -> Any:
        return self.model.invoke(self.input)

    def stream(self) -> Iterator[Any]:
        return self.model.stream(self.input)

    async def ainvoke(self) -> Any:
        return await self.model.ainvoke(self.input)


class LangChainFloor(_ModelClient):
    name = "lc-floor"

    def __init__(self, base_url: str) -> None:
        super().__init__(FloorChatModel(base_url=base_url))

    def close(self) -> None:
        self.model.close()  # type: ignore[attr-defined]

    def retarget(self, base_url: str) -> None:
        self.model.base_url = base_url  # type: ignore[attr-defined]

    async def aclose(self) -> None:
        await self.model.aclose()  # type: ignore[attr-defined]


class Tokenhot(_ModelClient):
    name = "tokenhot"

    def __init__(self, base_url: str) -> None:
        from langchain_tokenhot import ChatTokenhotGemini

        super().__init__(ChatTokenhotGemini(model=MODEL, api_key=API_KEY, base_url=base_url))

    def retarget(self, base_url: str) -> None:
        # The pooled clients are shared (per process / per event loop): a new instance keeps
        # them warm.
        from langchain_tokenhot import ChatTokenhotGemini

        self.model = ChatTokenhotGemini(model=MODEL, api_key=API_KEY, base_url=base_url)


class GenAI(_ModelClient):
    name = "genai"

    def __init__(self, base_url: str) -> None:
        from langchain_google_genai import ChatGoogleGenerativeAI

        try:  # google-genai >= 2 talks through httpx2 when it is installed
            import httpx2

            limits: Any = httpx2.Limits(max_connections=POOL[0], max_keepalive_connections=POOL[1])
        except ImportError:
            limits = LIMITS
        super().__init__(
            ChatGoogleGenerativeAI(
                model=MODEL,
                google_api_key=API_KEY,
                base_url=base_url,
                client_args={"limits": limits},  # same pool size as everyone else
            )
        )

    def retarget(self, base_url: str) -> None:
        self.model.client._api_client._http_options.base_url = base_url  # type: ignore[attr-defined]


CLIENTS: dict[str, type[Client]] = {
    RawHttpx.name: RawHttpx,
    LangChainFloor.name: LangChainFloor,
    Tokenhot.name: Tokenhot,
    GenAI.name: GenAI,
}


def available(names: Sequence[str] | None = None) -> list[str]:
    """Client names to run: all by default, ``genai`` only when it is installed."""
    wanted = list(names) if names else list(CLIENTS)
    return [n for n in wanted if n != GenAI.name or genai_installed()]


def make(name: str, base_url: str) -> Client:
    return CLIENTS[name](base_url)
