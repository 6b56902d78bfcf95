"""The API key never leaks: not in reprs, serialization, exceptions, logs or cassettes.

One scan walks everything a user or a log pipeline could see after a call went wrong: the
exception's str/repr/args, its attributes (recursively), its `__cause__`/`__context__` chain,
its formatted traceback and its pickle; every log record at DEBUG from httpx, httpcore and this
package; and the model's repr/str/dumpd/dumps/model_dump. The fake server echoes the key back
wherever a real server or gateway might (error messages, statuses, details, HTML pages, 200
bodies, SSE events), with the key sent in either header.

`test_no_key_in_any_cassette` greps every file under each `cassettes/` directory of the repo for
anything that looks like a key (so CI fails on a leaked recording).
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import re
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.load import dumpd, dumps

from langchain_tokenhot import ChatTokenhotGemini, TokenhotError
from tests.reliability.conftest import SECRET, make
from tests.support.fake_gemini import (
    FakeGemini,
    cut_sse_between_events,
    error,
    html_error,
    json_response,
    malformed_json,
    rate_limited,
    reset,
    slow_body,
    sse,
    stall,
    text_events,
    text_response,
    unused_port,
)

REPO = Path(__file__).resolve().parents[2]
EVENT = text_events(["hello"])[0]

# -- the scan --------------------------------------------------------------------------------


def leaks(obj: Any, secret: str = SECRET) -> list[str]:
    """Paths inside `obj` where `secret` appears (strings, bytes, containers, attributes)."""
    found: list[str] = []
    seen: set[int] = set()
    raw = secret.encode()

    def walk(value: Any, path: str, depth: int) -> None:
        if isinstance(value, str):
            if secret in value:
                found.append(path)
            return
        if isinstance(value, (bytes, bytearray, memoryview)):
            if raw in bytes(value):
                found.append(path)
            return
        if value is None or isinstance(value, (int, float, bool, type)) or depth > 8:
            return
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, BaseException):
            walk(str(value), f"{path}.__str__", depth + 1)
            walk(repr(value), f"{path}.__repr__", depth + 1)
            walk(value.args, f"{path}.args", depth + 1)
            walk(value.__cause__, f"{path}.__cause__", depth + 1)
            walk(value.__context__, f"{path}.__context__", depth + 1)
            walk("".join(traceback.format_exception(value)), f"{path}<traceback>", depth + 1)
        if isinstance(value, dict):
            for key, item in value.items():
                walk(key, f"{path}[{key!r}]<key>", depth + 1)
                walk(item, f"{path}[{key!r}]", depth + 1)
            return
        if isinstance(value, (list, tuple, set, frozenset)):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]", depth + 1)
            return
        attrs = getattr(value, "__dict__", None)
        if isinstance(attrs, dict):
            walk(attrs, f"{path}.__dict__", depth + 1)
        for name in getattr(type(value), "__slots__", ()):
            if hasattr(value, name):
                walk(getattr(value, name), f"{path}.{name}", depth + 1)

    walk(obj, "obj", 0)
    return found


def test_the_scan_finds_what_it_should() -> None:
    class Holder:
        __slots__ = ("inner",)

        def __init__(self, inner: Any) -> None:
            self.inner = inner

    try:
        try:
            raise ValueError({"headers": [(b"authorization", f"Bearer {SECRET}".encode())]})
        except ValueError:
            raise RuntimeError("outer") from None
    except RuntimeError as exc:
        chained = exc
    assert leaks(chained)  # found through __context__, although suppressed
    assert leaks(Holder({"k": [SECRET]})) == ["obj.inner['k'][0]"]
    assert leaks(TokenhotError("x", body=f"..{SECRET}..")) != []
    assert leaks(TokenhotError("clean")) == []


# -- exceptions and logs ---------------------------------------------------------------------

ECHO_GOOGLE = {
    "error": {
        "code": 401,
        "message": f"API key not valid: {SECRET}",
        "status": f"UNAUTHENTICATED {SECRET}",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
             "metadata": {"key": SECRET, SECRET: "as a key"}},
        ],
    }
}  # fmt: skip
ECHO_OPENAI = {"error": {"message": f"bad token {SECRET}", "type": SECRET, "code": SECRET}}


def _scenarios() -> Iterator[tuple[str, str, Callable[[], Any], int]]:
    """(id, kind, action factory, max_retries)."""
    yield "401-google-echo", "invoke", lambda: error(401, ECHO_GOOGLE), 0
    yield "401-google-echo", "stream", lambda: error(401, ECHO_GOOGLE), 0
    yield "400-api-key-invalid-echo", "invoke", lambda: error(400, ECHO_GOOGLE), 0
    yield "403-openai-echo", "invoke", lambda: error(403, ECHO_OPENAI), 0
    yield "503-openai-echo", "stream", lambda: error(503, ECHO_OPENAI), 1
    yield "429-echo", "invoke", lambda: rate_limited(0, None, message=f"quota {SECRET}"), 1
    yield "html-echo", "invoke", lambda: html_error(502, f"<h1>{SECRET}</h1>"), 0
    yield "200-not-json-echo", "invoke", lambda: malformed_json(body=f"<{SECRET}".encode()), 0
    yield (
        "sse-error-event-echo",
        "stream",
        lambda: sse(
            [{"error": {"code": 500, "message": SECRET, "status": SECRET, "details": [SECRET]}}]
        ),
        0,
    )
    yield "sse-event-not-json-echo", "stream", lambda: sse([f"oops {SECRET}"]), 0
    yield (
        "sse-unfinished-last-event-echo",
        "stream",
        lambda: cut_sse_between_events(
            [EVENT, f'data: {{"text": "{SECRET}'.encode()], after=2, terminate=True
        ),
        0,
    )
    yield "reset", "invoke", reset, 1
    yield "reset", "stream", reset, 1
    yield "timeout", "invoke", lambda: stall(seconds=0.5), 0
    yield "timeout", "stream", lambda: stall(after_headers=True, seconds=0.5), 0
    yield "deadline", "invoke", lambda: slow_body(0.03, text_response("x" * 300)), 0
    yield "stall-after-output", "stream", lambda: stall(True, 0.5, [EVENT]), 0
    yield "refused", "invoke", lambda: None, 1


SCENARIOS = [
    pytest.param(sid, kind, action, retries, header, flavour,
                 id=f"{sid}-{kind}-{header}-{flavour}")
    for sid, kind, action, retries in _scenarios()
    for header in ("authorization", "x-goog-api-key")
    for flavour in ("sync", "async")
]  # fmt: skip


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "langchain_tokenhot", "langchain_core"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _log_leaks(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    out = []
    for record in caplog.records:
        text = formatter.format(record)  # message, args and any exc_info traceback
        if SECRET in text or leaks(record.args):
            out.append(f"{record.name}: {record.getMessage()[:200]}")
    return out


@pytest.mark.parametrize(("sid", "kind", "action", "retries", "header", "flavour"), SCENARIOS)
async def test_no_key_in_errors_or_logs(
    server: FakeGemini,
    debug_logs: pytest.LogCaptureFixture,
    sid: str,
    kind: str,
    action: Callable[[], Any],
    retries: int,
    header: str,
    flavour: str,
) -> None:
    base_url = f"http://127.0.0.1:{unused_port()}" if sid == "refused" else server.base_url
    if sid != "refused":
        server.default = action()
    llm = make(base_url, max_retries=retries, auth_header=header)

    def run() -> Any:
        return llm.invoke("hi") if kind == "invoke" else list(llm.stream("hi"))

    async def arun() -> Any:
        if kind == "invoke":
            return await llm.ainvoke("hi")
        return [c async for c in llm.astream("hi")]

    with pytest.raises(TokenhotError) as info:
        if flavour == "sync":
            await asyncio.to_thread(run)
        else:
            await arun()
    err = info.value
    if sid != "refused":
        sent = server.requests[0].headers
        assert SECRET in sent.get(header, "")  # the key did go out, in the chosen header
        assert SECRET not in server.requests[0].path + repr(server.requests[0].query)
    assert leaks(err) == []
    assert SECRET not in pickle.dumps(err).decode("latin-1")
    assert _log_leaks(debug_logs) == []
    assert debug_logs.records  # DEBUG records were produced and scanned


def test_no_key_in_wrong_shape_200_error(server: FakeGemini) -> None:
    server.default = json_response({"candidates": f"echo {SECRET}"})
    with pytest.raises(TokenhotError) as info:
        make(server, max_retries=0).invoke("hi")
    assert leaks(info.value) == []


def test_no_key_in_count_tokens_error(server: FakeGemini) -> None:
    server.default = json_response({"totalTokens": f"echo {SECRET}"})
    with pytest.raises(TokenhotError) as info:
        make(server, max_retries=0, token_counter="server").get_num_tokens("hi")
    assert leaks(info.value) == []


# -- the model object ------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["authorization", "x-goog-api-key"])
def test_no_key_in_model_repr_or_serialization(server: FakeGemini, header: str) -> None:
    llm = make(server, auth_header=header, default_headers={"X-Team": "a"})
    assert llm.invoke("hi").text  # the transport (which holds the headers) now exists
    texts = [
        repr(llm),
        str(llm),
        dumps(llm),
        repr(dumpd(llm)),
        repr(llm.model_dump()),
        llm.model_dump_json(),
        repr(llm.transport),
        repr(llm.asdict()),
        str(llm._identifying_params),
        repr(llm._get_ls_params()),
    ]
    for text in texts:
        assert SECRET not in text
    # The key is stored as a secret reference, and the ordinary round trip still works.
    assert dumpd(llm)["kwargs"]["api_key"] == {
        "lc": 1,
        "type": "secret",
        "id": ["TOKENHOT_API_KEY"],
    }
    assert isinstance(llm, ChatTokenhotGemini)


# -- cassettes -------------------------------------------------------------------------------

_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "site", "build", "dist", "__pycache__"}
_PLACEHOLDER = re.compile(
    r"(?i)^[<\[{('\"*]*(?:\*+|x+|\.\.\.|redacted|filtered|dummy|placeholder|fake|test|"
    r"example|none|null|your[-_ ]?(?:api[-_ ]?)?key|api[-_]?key|key|secret|sk-\.\.\.)"
    r"[-_a-z0-9.]*[>\]})'\"*]*$"
)
_KEY_SHAPES = [
    ("Google API key", re.compile(r"AIza[0-9A-Za-z_-]{30,}")),
    ("OpenAI-style key", re.compile(r"\bsk-[A-Za-z0-9_-]{20,}")),
]
_VALUE_SHAPES = [
    ("Bearer token", re.compile(r"Bearer\s+([A-Za-z0-9._~+/=-]{20,})")),
    (
        "x-goog-api-key value",
        re.compile(
            r"(?im)x-goog-api-key['\"]?[ \t]*[:=][ \t]*(?:\n[ \t]*-[ \t]*|\[\s*)?['\"]?"
            r"([^\s'\",\]]+)"
        ),
    ),
    (
        "authorization value",
        re.compile(
            r"(?im)\bauthorization['\"]?[ \t]*[:=][ \t]*(?:\n[ \t]*-[ \t]*|\[\s*)?['\"]?"
            r"(?:Bearer\s+)?([^\s'\",\]]+)"
        ),
    ),
    ("key= query parameter", re.compile(r"[?&](?:api_?)?key=([^&\s'\"#]+)")),
]


def scan_for_keys(text: str) -> list[str]:
    """What in `text` looks like a credential (placeholders such as `***` or `DUMMY` pass)."""
    found = [f"{name}: {m.group(0)[:12]}..." for name, rx in _KEY_SHAPES for m in rx.finditer(text)]
    for name, rx in _VALUE_SHAPES:
        for m in rx.finditer(text):
            value = m.group(1)
            if not _PLACEHOLDER.match(value):
                found.append(f"{name}: {value[:6]}...")
    return found


def cassette_files(root: Path = REPO) -> list[Path]:
    files = []
    for directory in root.rglob("cassettes"):
        if not directory.is_dir() or _SKIP_DIRS & set(directory.relative_to(root).parts):
            continue
        files.extend(p for p in directory.rglob("*") if p.is_file())
    return sorted(files)


def test_no_key_in_any_cassette() -> None:
    offenders = {}
    for path in cassette_files():
        hits = scan_for_keys(path.read_text("utf-8", errors="replace"))
        if hits:
            offenders[str(path.relative_to(REPO))] = hits
    assert offenders == {}, f"files under cassettes/ that look like they hold a key: {offenders}"


@pytest.mark.parametrize(
    "text",
    [
        f"uri: https://x/v1beta/models/m:generateContent?key={SECRET}",
        "      authorization:\n      - Bearer sk-live0123456789abcdefghij\n",
        "      x-goog-api-key:\n      - AIzaSyAbCdEfGhIjKlMnOpQrStUvWxYz0123456\n",
        '"x-goog-api-key": ["k3y-0123456789abcdef"]',
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc",
        "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
        f"leaked {SECRET} in a body",
    ],
)
def test_the_cassette_scan_flags_keys(text: str) -> None:
    assert scan_for_keys(text)


@pytest.mark.parametrize(
    "text",
    [
        "      x-goog-api-key:\n      - DUMMY\n",
        "      authorization:\n      - Bearer ***\n",
        "authorization: Bearer <REDACTED>",
        "uri: https://x/v1beta/models/m:generateContent?key=FILTERED",
        "TOKENHOT_API_KEY=sk-... python scripts/record_cassettes.py",
        "no `authorization` / `x-goog-api-key` header is kept",
        '"thoughtSignature":"Y2Fzc2V0dGUtc2NyaXB0LXNpZ25hdHVyZTpJJVqVCSWvEqk61Fqp9I6qwTjnV9e"',
    ],
)
def test_the_cassette_scan_passes_placeholders(text: str) -> None:
    assert scan_for_keys(text) == []


def test_cassette_files_are_found(tmp_path: Path) -> None:
    (tmp_path / "tests" / "cassettes" / "Suite").mkdir(parents=True)
    (tmp_path / "tests" / "cassettes" / "Suite" / "a.yaml").write_text("x")
    (tmp_path / ".venv" / "cassettes").mkdir(parents=True)
    (tmp_path / ".venv" / "cassettes" / "b.yaml").write_text("x")
    assert [p.name for p in cassette_files(tmp_path)] == ["a.yaml"]
