"""Thread pools and many async calls in flight reuse their pooled connections.

Counted at the server: connections opened must stay within the concurrency plus 10%, however
many calls run (with one pool keeping 20 idle, 640 calls on 32 threads opened 359)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from tests.deployment.workers import make
from tests.support.fake_gemini import FakeGemini

THREADS = 64
CALLS_PER_THREAD = 16
IN_FLIGHT = 1000


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
