"""Tests of the fake Gemini server itself (plain httpx clients, all quick)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.fake_gemini import (
    Action,
    DefaultResponder,
    Exchange,
    FakeGemini,
    RecordedRequest,
    close_without_response,
    cut_sse_between_events,
    cut_sse_mid_event,
    empty_error,
    error,
    from_sample,
    google_error,
    html_error,
    json_response,
    load_sample_events,
    load_sample_json,
    malformed_json,
    parse_sse,
    rate_limited,
    raw,
    reset,
    samples_dir,
    slow_body,
    slow_headers,
    sse,
    stall,
    text_events,
    text_response,
    truncated_json,
    unused_port,
    wrong_shape_json,
)

REPO = Path(__file__).resolve().parents[2]
MODEL = "gemini-2.5-flash"
GEN = f"/v1beta/models/{MODEL}:generateContent"
STREAM = f"/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
COUNT = f"/v1beta/models/{MODEL}:countTokens"
BODY = {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}
EVENTS = text_events(["one ", "two ", "three"])


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini() as srv:
        yield srv


@pytest.fixture
def client(server: FakeGemini) -> Iterator[httpx.Client]:
    with httpx.Client(verify=False, base_url=server.base_url, timeout=5) as c:
        yield c


def split_events(raw_body: bytes) -> list[dict]:
    """Independent of the module's parse_sse: Google framing is `data: <json>\\r\\n\\r\\n`."""
    assert raw_body.endswith(b"\r\n\r\n")
    out = []
    for block in raw_body.split(b"\r\n\r\n")[:-1]:
        assert block.startswith(b"data: ")
        out.append(json.loads(block[6:]))
    return out


def read_until_error(response: httpx.Response) -> tuple[bytes, BaseException | None]:
    got = b""
    try:
        for piece in response.iter_raw():
            got += piece
    except httpx.TransportError as exc:
        return got, exc
    return got, None


# ---------------------------------------------------------------------------- defaults


def test_default_generate_content(server: FakeGemini, client: httpx.Client) -> None:
    r = client.post(GEN, json=BODY)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    cand = body["candidates"][0]
    assert cand["content"]["role"] == "model"
    assert cand["finishReason"] == "STOP"
    text = cand["content"]["parts"][0]["text"]
    assert isinstance(server.default, DefaultResponder)
    assert text == server.default.text
    assert len(text.encode()) == 64
    usage = body["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert body["modelVersion"] == MODEL
    assert set(body) >= set(load_sample_json("text_basic"))  # same top-level shape


def test_default_stream(server: FakeGemini, client: httpx.Client) -> None:
    with client.stream("POST", STREAM, json=BODY) as r:
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/event-stream"
        assert r.headers["transfer-encoding"] == "chunked"
        events = split_events(r.read())
    default = server.default
    assert isinstance(default, DefaultResponder)
    assert len(events) == 3
    texts = [e["candidates"][0]["content"]["parts"][0]["text"] for e in events]
    assert texts == default.stream_texts
    assert [("finishReason" in e["candidates"][0]) for e in events] == [False, False, True]
    counts = [e["usageMetadata"]["candidatesTokenCount"] for e in events]
    assert counts == sorted(counts)
    assert counts[0] < counts[-1]
    assert len({e["responseId"] for e in events}) == 1


def test_default_configurable_and_other_routes() -> None:
    responder = DefaultResponder(text_bytes=10, chunks=5, chunk_text="x", count_tokens=7)
    with (
        FakeGemini(default=responder) as srv,
        httpx.Client(verify=False, base_url=srv.base_url) as c,
    ):
        assert (
            len(c.post(GEN, json=BODY).json()["candidates"][0]["content"]["parts"][0]["text"]) == 10
        )
        with c.stream("POST", STREAM, json=BODY) as r:
            assert len(split_events(r.read())) == 5
        assert c.post(COUNT, json=BODY).json()["totalTokens"] == 7
        no_alt = c.post(f"/v1beta/models/{MODEL}:streamGenerateContent", json=BODY).json()
        assert isinstance(no_alt, list)
        assert len(no_alt) == 5
        missing = c.post("/v1beta/nothing/here", json=BODY)
        assert missing.status_code == 404
        assert missing.json()["error"]["status"] == "NOT_FOUND"
        assert c.post(f"/v1beta/models/{MODEL}:embedContent").status_code == 404


def test_default_can_be_a_fixed_action() -> None:
    with (
        FakeGemini(default=error(503)) as srv,
        httpx.Client(verify=False, base_url=srv.base_url) as c,
    ):
        assert [c.post(GEN).status_code for _ in range(3)] == [503, 503, 503]


# ---------------------------------------------------------------------------- scripting


def test_enqueue_order_then_default(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(json_response({"n": 1}), json_response({"n": 2}, status=201))
    server.enqueue(json_response([3]))
    assert server.pending == 3
    assert client.post(GEN).json() == {"n": 1}
    second = client.post(GEN)
    assert (second.status_code, second.json()) == (201, {"n": 2})
    assert client.post(GEN).json() == [3]
    assert "candidates" in client.post(GEN).json()
    assert server.pending == 0


def test_requests_recorded(server: FakeGemini, client: httpx.Client) -> None:
    client.post(STREAM, json=BODY, headers={"X-Goog-Api-Key": "k1"})
    client.post(COUNT, content=b"not json")
    first, second = server.requests
    assert first.method == "POST"
    assert first.path == f"/v1beta/models/{MODEL}:streamGenerateContent"
    assert first.query == {"alt": "sse"}
    assert first.headers["x-goog-api-key"] == "k1"
    assert first.headers["content-type"] == "application/json"
    assert json.loads(first.body) == BODY
    assert first.json == BODY
    assert (first.model, first.operation) == (MODEL, "streamGenerateContent")
    assert second.body == b"not json"
    assert second.json is None
    assert server.last_request is second
    server.enqueue(error(500))
    server.clear()
    assert server.requests == []
    assert server.pending == 0
    assert server.total_connections == 0


def test_chunked_request_body_is_read(server: FakeGemini, client: httpx.Client) -> None:
    client.post(GEN, content=iter([b'{"a":', b" 1}"]))
    assert server.last_request.headers["transfer-encoding"] == "chunked"
    assert server.last_request.json == {"a": 1}


def test_responder_callable(server: FakeGemini, client: httpx.Client) -> None:
    def echo(req: RecordedRequest) -> Action:
        return json_response(text_response(req.json["contents"][0]["parts"][0]["text"].upper()))

    server.enqueue(echo)
    assert (
        client.post(GEN, json=BODY).json()["candidates"][0]["content"]["parts"][0]["text"] == "HI"
    )
    server.default = lambda req: error(418 if req.operation == "countTokens" else 400)
    assert client.post(COUNT).status_code == 418
    assert client.post(GEN).status_code == 400


def test_keep_alive_reuse_and_no_leak(server: FakeGemini) -> None:
    with httpx.Client(verify=False, base_url=server.base_url) as c:
        c.post(GEN, json=BODY)
        with c.stream("POST", STREAM, json=BODY) as r:
            r.read()
        c.post(COUNT, json=BODY)
        assert server.total_connections == 1
        assert server.open_connections == 1
    assert server.wait_until(lambda: server.open_connections == 0)


def test_connection_close_is_honoured(server: FakeGemini) -> None:
    with httpx.Client(verify=False, base_url=server.base_url, headers={"Connection": "close"}) as c:
        r1 = c.post(GEN)
        c.post(GEN)
    assert r1.headers["connection"] == "close"
    assert server.total_connections == 2


def test_latency(server: FakeGemini, client: httpx.Client) -> None:
    server.latency_s = 0.15
    t0 = time.monotonic()
    client.post(GEN)
    assert time.monotonic() - t0 >= 0.15


# ---------------------------------------------------------------------------- errors


def test_error_bodies_and_headers(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(
        rate_limited(retry_after=1, retry_delay="1s"),
        error(400, google_error(400, "bad field")),
        error(401, {"error": {"message": "bad key", "type": "new_api_error"}}, {"X-A": "b"}),
    )
    r = client.post(GEN)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "1"
    details = r.json()["error"]["details"]
    assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"} in details
    assert r.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    r = client.post(GEN)
    assert (r.status_code, r.json()["error"]["message"]) == (400, "bad field")
    r = client.post(GEN)
    assert (r.status_code, r.headers["x-a"], r.json()["error"]["type"]) == (
        401,
        "b",
        "new_api_error",
    )
    assert server.total_connections == 1  # errors keep the connection alive


def test_html_empty_malformed_wrong_shape(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(html_error(502), empty_error(503), malformed_json(), wrong_shape_json())
    r = client.post(GEN)
    assert (r.status_code, r.headers["content-type"]) == (502, "text/html")
    assert "<h1>502 Bad Gateway</h1>" in r.text
    r = client.post(GEN)
    assert (r.status_code, r.content) == (503, b"")
    r = client.post(GEN)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()
    assert client.post(GEN).json() == {"candidates": "oops"}


def test_truncated_json(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(truncated_json())
    with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
        client.post(GEN)
    assert client.post(GEN).status_code == 200  # the pool recovers on a new connection
    assert server.total_connections == 2


def test_handler_exception_answers_500(server: FakeGemini, client: httpx.Client) -> None:
    def boom(req: RecordedRequest) -> Action:
        raise ValueError("boom")

    server.enqueue(boom)
    r = client.post(GEN)
    assert r.status_code == 500
    assert r.json()["error"]["status"] == "INTERNAL"
    assert [type(e) for e in server.errors] == [ValueError]
    assert client.post(GEN).status_code == 200


# ---------------------------------------------------------------------------- SSE


def test_sse_raw_bytes_lf_framing_and_str_payloads(
    server: FakeGemini, client: httpx.Client
) -> None:
    server.enqueue(
        sse([{"a": 1}, "{not json", b'data: {"b": 2}\n\n', b": comment\n\n"], framing=b"\n\n")
    )
    with client.stream("POST", STREAM) as r:
        body = r.read()
    assert body == b'data: {"a":1}\n\ndata: {not json\n\ndata: {"b": 2}\n\n: comment\n\n'
    assert parse_sse(body) == [b'{"a":1}', b"{not json", b'{"b": 2}']


def test_sse_chunk_size_splits_reads(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(sse(EVENTS, chunk_size=7))
    with client.stream("POST", STREAM) as r:
        pieces = list(r.iter_raw())
    assert max(len(p) for p in pieces) <= 7  # h11 yields each HTTP chunk separately
    assert len(pieces) > len(EVENTS)
    assert split_events(b"".join(pieces)) == EVENTS


def test_sse_delay_between_events(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(sse(EVENTS, delay_s=0.05))
    t0 = time.monotonic()
    with client.stream("POST", STREAM) as r:
        assert split_events(r.read()) == EVENTS
    assert time.monotonic() - t0 >= 0.1


def test_cut_sse_mid_event(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(cut_sse_mid_event(EVENTS, after=1))
    with client.stream("POST", STREAM) as r:
        got, exc = read_until_error(r)
    assert isinstance(exc, httpx.RemoteProtocolError)
    first, _, rest = got.partition(b"\r\n\r\n")
    assert json.loads(first[6:]) == EVENTS[0]
    assert rest.startswith(b"data: {")
    assert b"\r\n\r\n" not in rest


def test_cut_sse_between_events(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(cut_sse_between_events(EVENTS, after=2))
    with client.stream("POST", STREAM) as r:
        got, exc = read_until_error(r)
    assert isinstance(exc, httpx.RemoteProtocolError)
    assert split_events(got) == EVENTS[:2]


def test_cut_sse_between_events_clean_end(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(cut_sse_between_events(EVENTS, after=2, terminate=True))
    with client.stream("POST", STREAM) as r:
        got, exc = read_until_error(r)
    assert exc is None
    assert split_events(got) == EVENTS[:2]  # no finishReason: only the client can notice


def test_cut_sse_with_rst(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(cut_sse_between_events(EVENTS, after=1, rst=True, delay_s=0.05))
    with client.stream("POST", STREAM) as r:
        _, exc = read_until_error(r)
    assert isinstance(exc, httpx.ReadError | httpx.RemoteProtocolError)


def test_cut_out_of_range() -> None:
    with pytest.raises(ValueError, match="cut_after"):
        cut_sse_mid_event(EVENTS, after=3)


async def test_async_client_stream(server: FakeGemini) -> None:
    server.enqueue(sse(EVENTS, delay_s=0.01))
    async with httpx.AsyncClient(verify=False, base_url=server.base_url) as c:
        async with c.stream("POST", STREAM, json=BODY) as r:
            lines = [line async for line in r.aiter_lines() if line]
        assert [json.loads(line[6:]) for line in lines] == EVENTS
        assert (await c.post(COUNT)).json()["totalTokens"] == 12
    assert server.total_connections == 1


# ---------------------------------------------------------------------------- transport faults


def test_reset(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(reset())
    with pytest.raises(httpx.ReadError):
        client.post(GEN)
    assert client.post(GEN).status_code == 200


def test_close_without_response(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(close_without_response())
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client.post(GEN)


def test_raw_response(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(
        raw(b"HTTP/1.1 2xx Nope\r\n\r\n"), raw(b"HTTP/1.0 200 OK\r\n\r\ndata: {}\r\n\r\n")
    )
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(GEN)
    r = client.post(STREAM)  # close-delimited body: ends cleanly at FIN
    assert r.content == b"data: {}\r\n\r\n"


def test_unused_port_refuses() -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"http://127.0.0.1:{unused_port()}{GEN}", verify=False, timeout=2)


def test_stall_before_headers(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(stall(after_headers=False, seconds=5))
    with pytest.raises(httpx.ReadTimeout):
        client.post(GEN, timeout=0.2)


def test_stall_after_headers_and_events(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(stall(after_headers=True, seconds=5), stall(seconds=5, events=EVENTS[:1]))
    with client.stream("POST", STREAM, timeout=0.2) as r:
        assert r.status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            r.read()
    with client.stream("POST", STREAM, timeout=0.2) as r:
        got, exc = read_until_error(r)
    assert isinstance(exc, httpx.ReadTimeout)
    assert split_events(got) == EVENTS[:1]


def test_slow_headers(server: FakeGemini, client: httpx.Client) -> None:
    server.enqueue(slow_headers(0.15), slow_headers(0.05, then=error(503)))
    t0 = time.monotonic()
    assert client.post(GEN).status_code == 200
    assert time.monotonic() - t0 >= 0.15
    assert client.post(GEN).status_code == 503
    server.enqueue(slow_headers(1.0))
    with pytest.raises(httpx.ReadTimeout):
        client.post(GEN, timeout=0.1)


def test_slow_body(server: FakeGemini, client: httpx.Client) -> None:
    payload = text_response("x" * 40)
    server.enqueue(slow_body(0.02, payload, chunk_size=64))
    t0 = time.monotonic()
    r = client.post(GEN, timeout=0.5)  # each read is quick although the whole body is slow
    assert r.json() == payload
    pieces = -(-len(r.content) // 64)
    assert time.monotonic() - t0 >= 0.02 * (pieces - 1)


def test_client_disconnect_mid_stream_does_not_crash(server: FakeGemini) -> None:
    events = text_events([f"e{i}" for i in range(50)])
    server.enqueue(sse(events, delay_s=0.01))
    with httpx.Client(verify=False, base_url=server.base_url) as c, c.stream("POST", STREAM) as r:
        next(r.iter_raw())
    assert server.wait_until(lambda: server.open_connections == 0)
    with httpx.Client(verify=False, base_url=server.base_url) as c:
        assert c.post(GEN).status_code == 200
    assert server.errors == []


def test_stop_is_prompt_during_stall() -> None:
    srv = FakeGemini().start()
    srv.enqueue(stall(seconds=30))
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            httpx.post(srv.url(), verify=False, timeout=10)
        except httpx.TransportError as exc:
            outcome.append(exc)

    t = threading.Thread(target=call)
    t.start()
    assert srv.wait_until(lambda: len(srv.requests) == 1 and srv.open_connections == 1)
    t0 = time.monotonic()
    srv.stop()
    assert time.monotonic() - t0 < 1.0
    t.join(2)
    assert not t.is_alive()
    assert len(outcome) == 1
    assert not srv.running
    with pytest.raises(httpx.ConnectError):
        httpx.post(srv.url(), verify=False, timeout=1)


# ---------------------------------------------------------------------------- samples


def test_samples(server: FakeGemini, client: httpx.Client) -> None:
    assert samples_dir().is_dir()
    server.enqueue(
        from_sample("text_basic"),
        from_sample("error_429_resource_exhausted"),
        from_sample("stream_text"),
        from_sample("error_reseller_wrapped_503.json"),
    )
    assert client.post(GEN).json() == load_sample_json("text_basic")
    r = client.post(GEN)
    assert r.status_code == 429
    assert r.json()["error"]["details"][1]["retryDelay"] == "34.4s"
    with client.stream("POST", STREAM) as r:
        raw_body = r.read()
    assert raw_body == (samples_dir() / "stream_text.sse").read_bytes()
    assert split_events(raw_body) == load_sample_events("stream_text")
    assert len(load_sample_events("stream_text")) == 3
    assert client.post(GEN).status_code == 503


def test_samples_live_in_the_repository() -> None:
    repo = Path(__file__).resolve().parents[2]
    assert samples_dir().is_relative_to(repo)
    bodies = sorted(p for p in samples_dir().iterdir() if p.suffix in {".json", ".sse"})
    assert len(bodies) > 40
    for body in bodies:  # every copied body says where it was recorded
        assert body.with_suffix(".source.txt").is_file(), body.name
    with pytest.raises(FileNotFoundError):
        from_sample("no_such_sample")


def test_custom_action_subclass(server: FakeGemini, client: httpx.Client) -> None:
    class Teapot(Action):
        async def run(self, ex: Exchange) -> bool:
            await ex.send(ex.head(418, "text/plain", length=3) + b"tea")
            return ex.keep_alive

    server.enqueue(Teapot())
    r = client.post(GEN)
    assert (r.status_code, r.text) == (418, "tea")


# ---------------------------------------------------------------------------- subprocess


def test_subprocess_mode() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    args = ["--port", "0", "--chunks", "4", "--latency-ms", "0", "--text-bytes", "20"]
    with subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_gemini", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line.startswith("READY http://127.0.0.1:")
            base = line.split()[1]
            with (
                httpx.Client(verify=False, base_url=base, timeout=5) as c,
                c.stream("POST", STREAM) as r,
            ):
                events = split_events(r.read())
            assert len(events) == 4
            assert len(events[0]["candidates"][0]["content"]["parts"][0]["text"].encode()) == 20
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(5) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
