"""Edges of the sync per-attempt deadline found in review: after the answer is read, and across
a redirect followed by your own client."""

from __future__ import annotations

import http.server
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from langchain_tokenhot import ChatTokenhotGemini, TokenhotTimeoutError
from langchain_tokenhot._transport import Transport
from tests.reliability.conftest import SLACK


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: both calls below share one pooled connection

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if "slow" in self.path:
            time.sleep(1.0)
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


@pytest.fixture
def keep_alive_server() -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_deadline_passing_after_the_answer_never_cuts_the_next_call_on_its_connection(
    keep_alive_server: str,
) -> None:
    # A's answer is read and its connection goes back to the pool; A's deadline (0.5 s) then
    # passes while A is still busy with the answer (here: in `on_headers`), and B has taken
    # the connection for a 1 s call. The watchdog must not shut that connection down.
    short = Transport(
        base_url=keep_alive_server, headers={}, secret=None, timeout=0.5, max_retries=0
    )
    long = Transport(base_url=keep_alive_server, headers={}, secret=None, timeout=5, max_retries=0)
    assert short.post_json("m", "fast", b"{}") == {"ok": True}  # one idle pooled connection
    outcome: dict[str, Any] = {}

    def call_b() -> None:
        try:
            outcome["B"] = long.post_json("m", "slow", b"{}")
        except Exception as exc:  # reported below
            outcome["B"] = exc

    b = threading.Thread(target=call_b)

    def on_headers(headers: Any) -> None:
        b.start()
        time.sleep(0.8)  # past A's deadline, while B waits on the shared connection

    assert short.post_json("m", "fast", b"{}", on_headers=on_headers) == {"ok": True}
    b.join(5)
    assert outcome["B"] == {"ok": True}


def _serve(handler: Any) -> tuple[socket.socket, int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handler, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener, listener.getsockname()[1]


def _trickle_headers(conn: socket.socket) -> None:
    with conn:
        conn.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 60:
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                return
            time.sleep(0.1)


def test_the_deadline_holds_after_a_redirect_your_client_follows() -> None:
    trickler, trickle_port = _serve(_trickle_headers)

    def redirect(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 307 Temporary Redirect\r\n"
                + f"Location: http://127.0.0.1:{trickle_port}/v1beta/x\r\n".encode()
                + b"Content-Length: 0\r\n\r\n"
            )

    redirector, redirect_port = _serve(redirect)
    llm = ChatTokenhotGemini(
        model="gemini-2.5-flash",
        api_key="k",
        base_url=f"http://127.0.0.1:{redirect_port}",
        timeout=1.0,
        max_retries=0,
        http_client=httpx.Client(follow_redirects=True),
    )
    started = time.monotonic()
    try:
        with pytest.raises(TokenhotTimeoutError):
            llm.invoke("hi")
        # The trickle would last 7 s; the attempt's deadline is 1 s.
        assert time.monotonic() - started < 1.0 + SLACK
    finally:
        trickler.close()
        redirector.close()
