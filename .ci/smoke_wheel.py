"""Smoke test of an installed langchain-tokenhot (run by .ci/run in a fresh venv from the wheel).

Run it from outside the checkout, so `import langchain_tokenhot` finds the installed copy. It
starts a tiny Gemini-shaped server on 127.0.0.1 (stdlib only: nothing from tests/ is installed),
makes one `invoke` and one `stream`, and checks what the server received and what came back.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import langchain_tokenhot
from langchain_tokenhot import ChatTokenhotGemini

KEY = "smoke-test-key"
ANSWER = {
    "candidates": [
        {"content": {"role": "model", "parts": [{"text": "pong"}]}, "finishReason": "STOP"}
    ],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4},
    "modelVersion": "gemini-2.5-flash",
}
received: list[tuple[str, str, dict[str, object]]] = []


class Gemini(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        received.append((self.path, self.headers.get("Authorization", ""), body))
        payload = json.dumps(ANSWER).encode()
        if ":streamGenerateContent" in self.path:
            payload = b"data: " + payload + b"\r\n\r\n"
            content_type = "text/event-stream"
        else:
            content_type = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> int:
    location = Path(langchain_tokenhot.__file__).resolve()
    assert "site-packages" in location.parts, f"not the installed copy: {location}"
    assert (location.parent / "py.typed").is_file(), "py.typed is missing"
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gemini)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        llm = ChatTokenhotGemini(
            model="gemini-2.5-flash",
            api_key=KEY,
            base_url=f"http://127.0.0.1:{server.server_address[1]}",
            max_retries=0,
        )
        msg = llm.invoke("ping")
        chunks = [chunk.text for chunk in llm.stream("ping")]
    finally:
        server.shutdown()
    assert msg.text == "pong", msg
    assert msg.usage_metadata is not None
    assert msg.usage_metadata["total_tokens"] == 4, msg.usage_metadata
    assert "".join(chunks) == "pong", chunks
    paths = [path for path, _, _ in received]
    assert paths == [
        "/v1beta/models/gemini-2.5-flash:generateContent",
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    ], paths
    assert all(auth == f"Bearer {KEY}" for _, auth, _ in received)
    assert received[0][2]["contents"] == [{"role": "user", "parts": [{"text": "ping"}]}]
    print(f"smoke OK: langchain-tokenhot {langchain_tokenhot.__version__} from {location.parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
