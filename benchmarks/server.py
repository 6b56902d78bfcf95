"""Start ``tests/support/fake_gemini.py`` as its own process on 127.0.0.1 and stop it again.

The server runs in a separate process so that its CPU time and memory never show up in the
client measurements (``time.process_time()`` and RSS are per process).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class ServerProcess:
    """``with ServerProcess(chunks=50, latency_ms=0, text_bytes=200) as srv: srv.base_url``."""

    def __init__(
        self,
        *,
        chunks: int = 50,
        text_bytes: int = 200,
        latency_ms: float = 0.0,
        event_delay_ms: float = 0.0,
    ) -> None:
        self.args = [
            sys.executable,
            "-m",
            "benchmarks.fake_server",
            "--port",
            "0",
            "--chunks",
            str(chunks),
            "--text-bytes",
            str(text_bytes),
            "--latency-ms",
            str(latency_ms),
            "--event-delay-ms",
            str(event_delay_ms),
        ]
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""

    def start(self) -> ServerProcess:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            self.args,
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("READY "):
                self.base_url = line.split()[1]
                return self
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError("fake Gemini server did not start: " + " ".join(self.args))

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
