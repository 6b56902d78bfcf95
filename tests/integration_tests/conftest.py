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
* live (`TOKENHOT_API_KEY` set, sockets allowed, `--record-mode=rewrite`): real Tokenhot and
  real downloads; responses without an `x-cassette-source` header get
  `live recording, <UTC date>` so the cassette says where it came from.

Cassettes never hold credentials: request headers are reduced to `content-type` (after the
usual `filter_headers`), the `key` query parameter is filtered, and response headers are reduced
to `content-type` and `x-cassette-source`.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpcore
import pytest
from langchain_tests.conftest import base_vcr_config

REPO = Path(__file__).resolve().parents[2]
CASSETTES_DIR = REPO / "cassettes"
DEFAULT_BASE_URL = "https://api.tokenhot.ai"
SOURCE_HEADER = "x-cassette-source"
TEST_HEADER = "x-cassette-test"
MEDIA_PREFIX = "/__media__/"

BUILD = os.environ.get("TOKENHOT_CASSETTE_BUILD") == "1"
FAKE_BASE_URL = os.environ.get("TOKENHOT_BASE_URL", "").rstrip("/") if BUILD else ""
if BUILD and not FAKE_BASE_URL.startswith("http://127.0.0.1:"):
    raise RuntimeError(
        "TOKENHOT_CASSETTE_BUILD=1 needs TOKENHOT_BASE_URL=http://127.0.0.1:<port> of the fake "
        "server; run scripts/record_cassettes.py instead of setting it by hand."
    )

_KEPT_REQUEST_HEADERS = frozenset({"content-type"})
_KEPT_RESPONSE_HEADERS = frozenset({"content-type", SOURCE_HEADER})


def _before_record_request(request: Any) -> Any:
    if BUILD and request.uri.startswith(FAKE_BASE_URL + "/"):
        request.uri = DEFAULT_BASE_URL + request.uri[len(FAKE_BASE_URL) :]
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
        today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        headers[SOURCE_HEADER] = [f"live recording, {today}"]
    response["headers"] = headers
    return response


def _exact_body(r1: Any, r2: Any) -> None:
    """vcrpy's `body` matcher compares JSON bodies parsed; ours wants the exact bytes."""
    if r1.body != r2.body:
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
