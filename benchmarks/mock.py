"""The same four clients over ``httpx.MockTransport``: no socket, no server, no scheduler noise.

Every byte of the answer is what the fake server sends (fetched from it once), and every layer
of the client runs (httpx's request/response machinery included); only the kernel and the other
process are gone. Per-call CPU differences between clients are then measured in a hot loop with
little noise, and cProfile can attribute them function by function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx

from benchmarks import clients as cl

NO_DEADLINE = "tokenhot timeout=None"
"""tokenhot with ``request_timeout=None``: no per-attempt deadline (watchdog, trace hook), so
the difference to ``tokenhot`` is what that machinery costs per call."""


class Answers:
    """The server's answers, fetched once: a JSON body and the SSE events as sent."""

    def __init__(self, base_url: str) -> None:
        with httpx.Client() as client:
            self.json = client.post(
                f"{base_url}/v1beta/models/{cl.MODEL}:generateContent", content=b"{}"
            ).content
            with client.stream(
                "POST",
                f"{base_url}/v1beta/models/{cl.MODEL}:streamGenerateContent?alt=sse",
                content=b"{}",
            ) as response:
                self.sse = response.read()
        frames = self.sse.split(b"\r\n\r\n")
        self.frames = [f + b"\r\n\r\n" for f in frames if f.strip()]

    def handler(self, module: Any = httpx) -> Callable[[Any], Any]:
        json_headers = {"content-type": "application/json; charset=UTF-8"}
        sse_headers = {"content-type": "text/event-stream"}

        def handle(request: Any) -> Any:
            if b"streamGenerateContent" in request.url.raw_path:
                return module.Response(200, headers=sse_headers, content=iter(self.frames))
            return module.Response(200, headers=json_headers, content=self.json)

        return handle


def make(name: str, answers: Answers) -> cl.Client:
    base_url = "http://mock.invalid"
    transport = httpx.MockTransport(answers.handler())
    if name == cl.RawHttpx.name:
        raw = cl.RawHttpx(base_url)
        raw.client = httpx.Client(transport=transport)
        return raw
    if name == cl.LangChainFloor.name:
        floor = cl.LangChainFloor(base_url)
        floor.model._client = httpx.Client(transport=transport)  # type: ignore[attr-defined]
        return floor
    if name in (cl.Tokenhot.name, NO_DEADLINE):
        from langchain_tokenhot import ChatTokenhotGemini

        ours = cl.Tokenhot(base_url)
        ours.name = name
        extra: dict[str, Any] = {"request_timeout": None} if name == NO_DEADLINE else {}
        ours.model = ChatTokenhotGemini(
            model=cl.MODEL,
            api_key=cl.API_KEY,
            base_url=base_url,
            http_client=httpx.Client(transport=transport),
            **extra,
        )
        return ours
    if name == cl.GenAI.name:
        import httpx2
        from langchain_google_genai import ChatGoogleGenerativeAI

        genai = cl.GenAI.__new__(cl.GenAI)
        cl._ModelClient.__init__(
            genai,
            ChatGoogleGenerativeAI(
                model=cl.MODEL,
                google_api_key=cl.API_KEY,
                base_url=base_url,
                client_args={"transport": httpx2.MockTransport(answers.handler(httpx2))},
            ),
        )
        return genai
    raise KeyError(name)


def drain(it: Iterator[Any]) -> int:
    return sum(1 for _ in it)
