"""Thread pools and many async calls in flight reuse their pooled connections.

Counted at the server: connections opened must stay within the concurrency plus 10%, however
many calls run (with one pool keeping 20 idle, 640 calls on 32 threads opened 359).

The thread test makes 16 calls per thread in the default run. `TOKENHOT_FULL_SIZE=1` makes it
1,000 per thread (64,000 calls, ~100 s on a 2-core machine: each call holds the GIL for about
1.5 ms with 64 threads and the server in one process); `.ci/run` runs it that way once, on the
highest supported Python, after the README's test command.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.deployment.workers import make
from tests.support.fake_gemini import FakeGemini

THREADS = 64
CALLS_PER_THREAD = 1000 if os.environ.get("TOKENHOT_FULL_SIZE") == "1" else 16
IN_FLIGHT = 1000


@pytest.mark.timeout(1200)
def test_64_threads_reuse_their_connections(server: FakeGemini) -> None:
    llm = make(server.base_url)
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
    assert len(server.requests) == THREADS * CALLS_PER_THREAD
    assert server.total_connections <= THREADS * 1.1, server.total_connections
    # batch() runs its calls on a thread pool too.
    server.clear()
    answers = llm.batch([f"batch {i}" for i in range(64)], config={"max_concurrency": 64})
    assert [a.text for a in answers] == [f"answer to batch {i}" for i in range(64)]
    assert server.total_connections == 0  # served on the connections already open


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
