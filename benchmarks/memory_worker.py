"""Memory per in-flight async call, measured in a fresh process for one client.

``python -m benchmarks.memory_worker --client tokenhot --url http://127.0.0.1:PORT --n 1000
--warm-url http://127.0.0.1:OTHER [--mode rss|tracemalloc]``

``--url`` is a server that holds every response for a while (``--latency-ms``), so that all
``n`` calls are open at the same time; ``--warm-url`` a latency-0 server. The client is warmed
up on the latter (pools, per-loop clients, lazy imports, caches), pointed at the former, and
after a ``gc.collect()``:

* ``rss``: ``n`` concurrent ``ainvoke`` calls while a thread samples ``/proc/self/statm`` every
  2 ms; the result is (peak RSS - RSS before) / n, the peak taken up to the moment all ``n``
  calls are in flight.
* ``tracemalloc``: the same burst under ``tracemalloc``: (traced memory at that moment -
  before) / n, plus the allocation sites that hold it (Python allocations only, but exact and
  free of allocator noise).

"All in flight" is observed, not assumed: the worker counts its own ESTABLISHED connections to
the server (``/proc/self/fd`` and ``/proc/net/tcp``; a client writes its request as soon as its
connection is up) and, once there are ``n`` of them, waits for the event loop to go idle (every
task has resumed and written its request) before measuring; if the first answer comes back
before that, ``all_in_flight`` is false. The process then prints one JSON object and exits
without waiting for the answers.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import clients as cl

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm", "rb") as f:
        return int(f.read().split()[1]) * _PAGE


class Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = rss_bytes()
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(0.002):
            self.peak = max(self.peak, rss_bytes())

    def stop(self) -> None:
        self.stop_event.set()
        self.join()
        self.peak = max(self.peak, rss_bytes())


def own_connections(port: int) -> int:
    """ESTABLISHED TCP connections of this process to 127.0.0.1:``port``.

    A client writes its request right after its connection is up, so this counts calls whose
    request reached the server (it works for any client, whatever its HTTP stack)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    suffix = f":{port:04X}"
    count = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[3] == "01" and fields[2].endswith(suffix) and fields[9] in inodes:
                count += 1
    return count


async def burst(
    client: cl.Client, n: int, port: int, on_all_in_flight: Any = None
) -> dict[str, Any]:
    """``n`` concurrent calls. Returns (without waiting for the answers) once all ``n`` have
    their connection up, or at the first answer if that comes earlier; ``on_all_in_flight`` is
    called at that moment, while every call is in flight."""
    first = asyncio.get_running_loop().create_future()

    async def one() -> None:
        await client.ainvoke()  # the result is dropped at once: only in-flight state counts
        if not first.done():
            first.set_result(time.perf_counter())

    t0 = time.perf_counter()
    task = asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
    all_at = 0.0
    while not first.done():
        await asyncio.sleep(0.02)
        if own_connections(port) >= n:
            # Every connection is up; the tasks still have to resume and write their
            # requests: wait until the loop has nothing left to run (3 quiet 5 ms ticks).
            deadline = time.perf_counter() + 5.0
            quiet = 0
            while quiet < 3 and time.perf_counter() < deadline and not first.done():
                t = time.perf_counter()
                await asyncio.sleep(0.005)
                quiet = quiet + 1 if time.perf_counter() - t < 0.008 else 0
            all_at = time.perf_counter()
            break
    in_flight = bool(all_at) and not first.done()
    if on_all_in_flight is not None:
        on_all_in_flight()
    first_at = first.result() if first.done() else 0.0
    return {
        "all_sent_s": all_at - t0 if all_at else None,
        "first_answer_s": first_at - t0 if first_at else None,
        "all_in_flight": in_flight,
        "task": task,
    }


async def warm(client: cl.Client, n: int) -> None:
    await asyncio.gather(*(client.ainvoke() for _ in range(n)))


def _sites(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, n: int) -> list[Any]:
    """Where the in-flight memory is: (file:line, KB per call), biggest first."""
    rows = []
    for stat in after.compare_to(before, "lineno")[:80]:
        frame = stat.traceback[0]
        where = f"{_short(frame.filename)}:{frame.lineno}"
        rows.append((where, stat.size_diff / n / 1024))
    return rows


_REPO = str(Path(__file__).resolve().parents[1]) + "/"


def _short(filename: str) -> str:
    """A file name as shown in the table: relative to the checkout or to site-packages."""
    if filename.startswith(_REPO):
        return filename[len(_REPO) :]
    for marker in ("site-packages/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    client = cl.make(args.client, args.warm_url)
    await client.aopen()
    await warm(client, args.warmup)
    await warm(client, args.warmup)
    client.retarget(args.url)
    port = int(args.url.rsplit(":", 1)[1].split("/")[0])
    gc.collect()
    out: dict[str, Any] = {"client": args.client, "n": args.n, "mode": args.mode}
    if args.mode == "rss":
        before = rss_bytes()
        sampler = Sampler()
        sampler.start()
        timing = await burst(client, args.n, port, sampler.stop)
        peak = sampler.peak
        out.update(
            rss_before_mb=before / 2**20,
            rss_peak_mb=peak / 2**20,
            kb_per_call=(peak - before) / args.n / 1024,
        )
    else:
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        snap0 = tracemalloc.take_snapshot()
        held: dict[str, Any] = {}

        def measure() -> None:
            held["current"] = tracemalloc.get_traced_memory()[0]
            held["snap"] = tracemalloc.take_snapshot()

        timing = await burst(client, args.n, port, measure)
        tracemalloc.stop()
        out.update(
            kb_per_call=(held["current"] - base) / args.n / 1024,
            sites=_sites(snap0, held["snap"], args.n),
        )
    timing.pop("task")
    out.update(timing)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", required=True)
    parser.add_argument("--url", required=True, help="the latency-holding server")
    parser.add_argument("--warm-url", required=True, help="a latency-0 server for the warm-up")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--mode", choices=("rss", "tracemalloc"), default="rss")
    args = parser.parse_args()
    loop = asyncio.new_event_loop()
    result = loop.run_until_complete(main_async(args))
    print(json.dumps(result), flush=True)
    os._exit(0)  # the answers still on their way are of no interest


if __name__ == "__main__":
    main()
