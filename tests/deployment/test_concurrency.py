"""Thread pools and many async calls in flight reuse their pooled connections.

Counted at the server: connections opened must stay within the concurrency plus 10%, however
many calls run (with one pool keeping 20 idle, 640 calls on 32 threads opened 359).

The thread test makes 16 calls per thread in the default run. `TOKENHOT_FULL_SIZE=1` makes it
1,000 per thread (64,000 calls); `.ci/run` runs it that way once, on the highest supported
Python, after the README's test command. Its server runs in a process of its own, so that it
does not compete with 64 calling threads for one GIL.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.deployment.workers import make
from tests.support.fake_gemini import FakeGemini

THREADS = 64
CALLS_PER_THREAD = 1000 if os.environ.get("TOKENHOT_FULL_SIZE") == "1" else 16
IN_FLIGHT = 1000


class _EchoProcess:
    """`tests.deployment.workers.serve_echo` in a subprocess, and the two questions we ask it."""

    def __init__(self) -> None:
        repo = Path(__file__).resolve().parents[2]
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")])),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.deployment.workers"],
            cwd=repo,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        ready = self.proc.stdout.readline().split()
        assert ready[:1] == ["READY"], ready
        self.base_url = ready[1]

    def _ask(self, command: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def stats(self) -> tuple[int, int]:
        requests, connections = self._ask("stats").split()
        return int(requests), int(connections)

    def clear(self) -> None:
        assert self._ask("clear") == "ok"

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


@pytest.fixture
def echo_process() -> Iterator[_EchoProcess]:
    server = _EchoProcess()
    try:
        yield server
    finally:
        server.close()


@pytest.mark.timeout(1200)
def test_64_threads_reuse_their_connections(echo_process: _EchoProcess) -> None:
    llm = make(echo_process.base_url)
    barrier = threading.Barrier(THREADS)

    def worker(thread: int) -> list[bool]:
        barrier.wait()  # all 64 at once, so the pool really serves 64 concurrent callers
        return [
            llm.invoke(f"t{thread} c{call}").text == f"answer to t{thread} c{call}"
            for call in range(CALLS_PER_THREAD)
        ]

    with ThreadPoolExecutor(THREADS) as pool:
        results = [ok for oks in pool.map(worker, range(THREADS)) for ok in oks]
    assert len(results) == THREADS * CALLS_PER_THREAD and all(results)
    requests, connections = echo_process.stats()
    assert requests == THREADS * CALLS_PER_THREAD
    assert connections <= THREADS * 1.1, connections
    # batch() runs its calls on a thread pool too.
    echo_process.clear()
    answers = llm.batch([f"batch {i}" for i in range(64)], config={"max_concurrency": 64})
    assert [a.text for a in answers] == [f"answer to batch {i}" for i in range(64)]
    assert echo_process.stats() == (64, 0)  # served on the connections already open


async def test_a_thousand_async_calls_in_flight_reuse_their_connections(
    server: FakeGemini,
) -> None:
    server.latency_s = 0.3  # every call of a wave is in flight at once
    llm = make(server.base_url, timeout=60)
    for wave in range(2):
        answers = await asyncio.gather(*(llm.ainvoke(f"w{wave} q{i}") for i in range(IN_FLIGHT)))
        assert [a.text for a in answers] == [f"answer to w{wave} q{i}" for i in range(IN_FLIGHT)]
    assert len(server.requests) == 2 * IN_FLIGHT
    assert server.total_connections <= IN_FLIGHT * 1.1, server.total_connections
