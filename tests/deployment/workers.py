"""Code that runs in worker processes (importable by name, so spawn and forkserver children can
unpickle it) and the echo server answers the deployment tests check against."""

from __future__ import annotations

import os
from typing import Any

from langchain_tokenhot import ChatTokenhotGemini
from tests.support.fake_gemini import (
    Action,
    RecordedRequest,
    json_response,
    sse,
    text_events,
    text_response,
)

SECRET = "tk-deployment-secret-0123456789"


def prompt_of(request: RecordedRequest) -> str:
    return str(request.json["contents"][-1]["parts"][0]["text"])


def echo(request: RecordedRequest) -> Action:
    """Answers `answer to <prompt>`, so a caller can tell its own answer from anyone else's."""
    text = f"answer to {prompt_of(request)}"
    if request.operation == "streamGenerateContent":
        return sse(text_events([text[:6], text[6:]]))
    return json_response(text_response(text))


def make(base_url: str, **kw: Any) -> ChatTokenhotGemini:
    kw.setdefault("timeout", 10)
    kw.setdefault("max_retries", 0)  # a crossed or garbled answer must show, not be retried away
    kw.setdefault("api_key", SECRET)
    return ChatTokenhotGemini(model="gemini-2.5-flash", base_url=base_url, **kw)


def ask(job: tuple[ChatTokenhotGemini, str]) -> tuple[int, str, str]:
    """Pool task: (pid, prompt, answer text or the error's type and message)."""
    llm, prompt = job
    try:
        answer = llm.invoke(prompt).text
    except Exception as exc:
        answer = f"{type(exc).__name__}: {exc}"
    return os.getpid(), prompt, answer


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def serve_echo() -> None:
    """`python -m tests.deployment.workers`: the echo server in a process of its own.

    Prints `READY <base_url>`, then answers one command per line on stdin: `stats` prints
    `<requests> <connections>` (recorded since start or the last `clear`), `clear` forgets
    them (and prints `ok`); end of input stops the server. Used where the server must not
    share the client's GIL (64 threads calling at once).
    """
    import sys

    from tests.support.fake_gemini import FakeGemini

    with FakeGemini(default=echo) as server:
        print(f"READY {server.base_url}", flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                print(f"{len(server.requests)} {server.total_connections}", flush=True)
            elif command == "clear":
                server.clear()
                print("ok", flush=True)


if __name__ == "__main__":
    serve_echo()
