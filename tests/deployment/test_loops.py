"""One event loop per request (`asyncio.run` in a sync web app, a script, a test) and loops
closed while their client is cached: nothing grows, nothing breaks the next loop."""

from __future__ import annotations

import asyncio
import gc

from tests.deployment.workers import make, open_fds, rss_bytes
from tests.support.fake_gemini import FakeGemini, stall

RUNS = 1000


def test_a_thousand_asyncio_runs_keep_fds_and_memory_flat(server: FakeGemini) -> None:
    llm = make(server.base_url)

    async def call(i: int) -> str:
        return (await llm.ainvoke(f"run {i}")).text

    def runs(start: int, stop: int) -> None:
        for i in range(start, stop):
            assert asyncio.run(call(i)) == f"answer to run {i}"

    runs(0, 100)  # warm-up: imports, caches, the allocator's first arenas
    gc.collect()
    fds, rss = open_fds(), rss_bytes()
    runs(100, RUNS)
    gc.collect()
    assert open_fds() - fds <= 3, f"{open_fds() - fds} descriptors more after {RUNS - 100} runs"
    grown = rss_bytes() - rss
    assert grown < 8 * 2**20, f"RSS grew {grown / 2**20:.1f} MiB over {RUNS - 100} runs"
    assert len(server.requests) == RUNS
    # Each loop's connection was closed with its loop, on the client's side.
    assert server.wait_until(lambda: server.open_connections == 0, timeout=5)


def test_streams_one_loop_each_close_their_connections(server: FakeGemini) -> None:
    llm = make(server.base_url)

    async def stream(i: int) -> list[str]:
        return [chunk.text async for chunk in llm.astream(f"stream {i}")]

    for i in range(50):
        assert "".join(asyncio.run(stream(i))) == f"answer to stream {i}"
    assert server.total_connections == 50
    assert server.wait_until(lambda: server.open_connections == 0, timeout=5)


def test_a_loop_closed_without_shutdown_does_not_break_the_next(server: FakeGemini) -> None:
    llm = make(server.base_url)
    loop = asyncio.new_event_loop()
    assert loop.run_until_complete(llm.ainvoke("first loop")).text == "answer to first loop"
    loop.close()  # no shutdown_asyncgens: its cached client can no longer be closed in it
    del loop
    assert asyncio.run(llm.ainvoke("second loop")).text == "answer to second loop"
    assert server.total_connections == 2  # the second loop did not reuse the first's socket
    gc.collect()  # the dropped client's socket closes when collected
    assert server.wait_until(lambda: server.open_connections == 0, timeout=5)


def test_a_loop_closed_with_a_call_in_flight_does_not_break_the_next(
    server: FakeGemini,
) -> None:
    llm = make(server.base_url)
    server.enqueue(stall(seconds=30))
    loop = asyncio.new_event_loop()
    task = loop.create_task(llm.ainvoke("abandoned"))
    loop.run_until_complete(asyncio.sleep(0.2))  # the request is on the wire
    assert not task.done()
    loop.close()
    del loop, task
    for i in range(3):
        assert asyncio.run(llm.ainvoke(f"next {i}")).text == f"answer to next {i}"
    assert [r.json["contents"][-1]["parts"][0]["text"] for r in server.requests] == [
        "abandoned",
        "next 0",
        "next 1",
        "next 2",
    ]
