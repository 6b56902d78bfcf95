"""VCR set-up for the langchain-tests integration suite (cassettes in `<repo>/cassettes/`).

Three ways to run (`scripts/record_cassettes.py` drives the last two; see cassettes/README.md):

* replay (default; pytest's addopts give `--record-mode=none` and block every socket except
  127.0.0.1): each test plays `cassettes/<TestClass>/<test name>.yaml`; a request that is not in
  its cassette fails the test. Requests match on method, URI and the exact body bytes.
* build (`TOKENHOT_CASSETTE_BUILD=1`, `TOKENHOT_BASE_URL=http://127.0.0.1:<port>` of a
  `FakeGemini(default=ScriptedResponder())`, `--record-mode=rewrite`): the model talks to the
  fake server; `before_record_request` writes the default base URL
  (`https://api.tokenhot.ai`) into the cassette so replays with the default base URL match.
  Requests to any other host (the image/PDF/WAV files langchain-tests downloads, through httpx
  in the test or in the model) are rerouted *below* vcrpy, at the httpcore connection pool, to
  the fake server's `GET /__media__/<scheme>/<host>/<path>`, which serves small placeholder
  files: the cassette keeps the original URL and the placeholder's `x-cassette-source`. Every
  rerouted request also carries an `x-cassette-test: <test name>` header (added below vcrpy,
  never recorded) that tells the scripted responder which test is running.
* live (`TOKENHOT_CASSETTE_LIVE=1`, `TOKENHOT_API_KEY` set, sockets allowed,
  `--record-mode=rewrite`): real downloads, and the model talks to `TOKENHOT_BASE_URL` when it is
  set (a staging endpoint, a self-hosted gateway), else to Tokenhot; the cassette holds the
  default base URL either way, so replays match. Responses without an `x-cassette-source` header
  get `live recording, <UTC date>` (plus `, base URL <url>` for another base URL) so the
  cassette says where it came from.

`TOKENHOT_CASSETTE_DIR` moves the cassette library (the recorder writes into an empty staging
directory and copies back only what passing tests recorded).

Cassettes never hold credentials: request headers are reduced to `content-type` (after the
usual `filter_headers`), the `key` query parameter is filtered, and response headers are reduced
to `content-type` and `x-cassette-source`.
"""

from __future__ import annotations

import datetime
import inspect
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpcore
import orjson
import pytest
from langchain_tests.conftest import base_vcr_config

REPO = Path(__file__).resolve().parents[2]
CASSETTES_DIR = Path(os.environ.get("TOKENHOT_CASSETTE_DIR") or REPO / "cassettes")
DEFAULT_BASE_URL = "https://api.tokenhot.ai"
SOURCE_HEADER = "x-cassette-source"
TEST_HEADER = "x-cassette-test"
MEDIA_PREFIX = "/__media__/"

BUILD = os.environ.get("TOKENHOT_CASSETTE_BUILD") == "1"
LIVE = os.environ.get("TOKENHOT_CASSETTE_LIVE") == "1"
# The base URL the model talks to while recording; written into cassettes as the default one.
RECORD_BASE_URL = (
    os.environ.get("TOKENHOT_BASE_URL", "").rstrip("/") or DEFAULT_BASE_URL
    if BUILD or LIVE
    else DEFAULT_BASE_URL
)
FAKE_BASE_URL = RECORD_BASE_URL if BUILD else ""
if BUILD and not FAKE_BASE_URL.startswith("http://127.0.0.1:"):
    raise RuntimeError(
        "TOKENHOT_CASSETTE_BUILD=1 needs TOKENHOT_BASE_URL=http://127.0.0.1:<port> of the fake "
        "server; run scripts/record_cassettes.py instead of setting it by hand."
    )

_KEPT_REQUEST_HEADERS = frozenset({"content-type"})
_KEPT_RESPONSE_HEADERS = frozenset({"content-type", SOURCE_HEADER})


def _before_record_request(request: Any) -> Any:
    if request.uri.startswith(RECORD_BASE_URL + "/"):
        request.uri = DEFAULT_BASE_URL + request.uri[len(RECORD_BASE_URL) :]
    for name in list(request.headers):
        if name.lower() not in _KEPT_REQUEST_HEADERS:
            del request.headers[name]
    return request


def _before_record_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = {
        name: values
        for name, values in response["headers"].items()
        if name.lower() in _KEPT_RESPONSE_HEADERS
    }
    if not any(name.lower() == SOURCE_HEADER for name in headers):
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        via = "" if RECORD_BASE_URL == DEFAULT_BASE_URL else f", base URL {RECORD_BASE_URL}"
        headers[SOURCE_HEADER] = [f"live recording, {today}{via}"]
    response["headers"] = headers
    return response


def _clean_descriptions(value: Any) -> Any:
    """`value` with every `description` string passed through `inspect.cleandoc`.

    Tool and schema descriptions come from docstrings, and Python 3.13 strips their common
    indentation at compile time: the same tool sends `"Adds.\n\n    Args: ..."` on 3.11 and
    `"Adds.\n\nArgs: ..."` on 3.13. Nothing else in a body is touched.
    """
    if isinstance(value, dict):
        return {
            key: inspect.cleandoc(item)
            if key == "description" and isinstance(item, str)
            else _clean_descriptions(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_clean_descriptions(item) for item in value]
    return value


def wire_body(body: bytes | str | None) -> bytes:
    """What replay compares of a request body: the bytes, descriptions cleaned (JSON bodies)."""
    raw = body.encode() if isinstance(body, str) else (body or b"")
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw
    # orjson keeps key order, so a reordered body still differs.
    return orjson.dumps(_clean_descriptions(parsed))


def _exact_body(r1: Any, r2: Any) -> None:
    """Exact body bytes (vcrpy's own `body` matcher compares parsed JSON, ignoring key order
    and types), except for the line indentation of docstring-made descriptions."""
    if r1.body == r2.body or wire_body(r1.body) == wire_body(r2.body):
        return
    raise AssertionError(
        f"request bodies differ ({len(r1.body or b'')} vs {len(r2.body or b'')} bytes)"
    )


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, Any]:
    config = base_vcr_config()
    # The record mode comes from pytest-recording's --record-mode (pyproject: none); a
    # record_mode here would override the command line.
    config.pop("record_mode", None)
    config.update(
        cassette_library_dir=str(CASSETTES_DIR),
        filter_headers=[
            ("authorization", "PLACEHOLDER"),
            ("x-goog-api-key", "PLACEHOLDER"),
            ("api-key", "PLACEHOLDER"),
            ("x-api-key", "PLACEHOLDER"),
        ],
        filter_query_parameters=["key"],
        match_on=["method", "uri", "body"],
        decode_compressed_response=True,
        before_record_request=_before_record_request,
        before_record_response=_before_record_response,
    )
    return config


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    # Also where --record-mode=rewrite deletes the old cassette before recording.
    return str(CASSETTES_DIR)


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """`<TestClass>/<test name>` (the yaml suffix is added by the path transformer)."""
    name = request.node.name
    for ch in r"<>?%*:|\"'/\\":
        name = name.replace(ch, "-")
    return f"{request.cls.__name__}/{name}" if request.cls else name


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher("body", _exact_body)


# -- build mode: route everything to the fake server, below vcrpy -------------------------------

_current_test: str = ""


def _reroute(request: httpcore.Request) -> httpcore.Request:
    fake = httpcore.URL(FAKE_BASE_URL)
    url = request.url
    target = url.target
    if (url.host, url.port) != (fake.host, fake.port):
        port = b":%d" % url.port if url.port is not None else b""
        target = MEDIA_PREFIX.encode() + url.scheme + b"/" + url.host + port + url.target
    headers = [
        (k, v) for k, v in request.headers if k.lower() not in (b"host", TEST_HEADER.encode())
    ]
    headers.append((b"Host", b"%s:%d" % (fake.host, fake.port or 80)))
    headers.append((TEST_HEADER.encode(), _current_test.encode("ascii", "replace")))
    return httpcore.Request(
        request.method,
        httpcore.URL(scheme=b"http", host=fake.host, port=fake.port, target=target),
        headers=headers,
        content=request.stream,
        extensions=request.extensions,
    )


@pytest.fixture(scope="session", autouse=BUILD)
def _route_to_fake_server() -> Iterator[None]:
    sync_handle = httpcore.ConnectionPool.handle_request
    async_handle = httpcore.AsyncConnectionPool.handle_async_request

    def handle_request(self: httpcore.ConnectionPool, request: httpcore.Request) -> Any:
        return sync_handle(self, _reroute(request))

    async def handle_async_request(
        self: httpcore.AsyncConnectionPool, request: httpcore.Request
    ) -> Any:
        return await async_handle(self, _reroute(request))

    httpcore.ConnectionPool.handle_request = handle_request  # type: ignore[method-assign]
    httpcore.AsyncConnectionPool.handle_async_request = handle_async_request  # type: ignore[method-assign]
    try:
        yield
    finally:
        httpcore.ConnectionPool.handle_request = sync_handle  # type: ignore[method-assign]
        httpcore.AsyncConnectionPool.handle_async_request = async_handle  # type: ignore[method-assign]


@pytest.fixture(autouse=BUILD)
def _tell_responder_the_test(request: pytest.FixtureRequest) -> Iterator[None]:
    global _current_test
    _current_test = request.node.name
    yield
    _current_test = ""
