"""Benchmark suite for langchain-tokenhot (issue #8). One command, from the repository root:

    python -m benchmarks.run            # full run, a few minutes; writes benchmarks/README.md
    python -m benchmarks.run --quick    # ~30-60 s smoke run; prints only (add --readme to record)

The fake Gemini server (``tests/support/fake_gemini.py``) runs in its own process on 127.0.0.1,
started and stopped here; the clients (``benchmarks/clients.py``) run in this process, are
measured side by side and interleaved (the order rotates every repetition), and every figure is
the median over repetitions. CPU is ``time.process_time()`` of this process only. Raw results go
to ``benchmarks/results/<timestamp>.json`` (git-ignored). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import cProfile
import dataclasses
import datetime as dt
import gc
import json
import os
import platform
import pstats
import re
import statistics
import subprocess
import sys
import time
import timeit
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import clients as cl
from benchmarks.history import build_history
from benchmarks.server import REPO, ServerProcess

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
RESULTS_DIR = HERE / "results"
START, END = "<!-- results:start -->", "<!-- results:end -->"

RAW, FLOOR, OURS, GENAI = "raw-httpx", "lc-floor", "tokenhot", "genai"


@dataclass(frozen=True)
class Config:
    # Many short interleaved blocks rather than a few long ones: background load comes in
    # bursts, and a short block is either hit or not, which the median then discards.
    reps: int = 24  # repetitions of the interleaved invoke / stream blocks, in total
    workers: int = 4  # ... spread over this many fresh processes (layout, hash seeds)
    invoke_calls: int = 40  # sequential invokes per client per block
    stream_count: int = 4  # 50-chunk streams per client per block
    cpu_reps: int = 15  # mock-transport CPU case
    cpu_invoke_calls: int = 60
    cpu_stream_count: int = 6
    chunks: int = 50
    text_bytes: int = 200
    async_reps: int = 3  # repetitions with 100 in flight
    async_100_calls: int = 200
    async_1000_reps: int = 1  # repetitions with 1,000 in flight (slow: httpcore's pool)
    async_1000_calls: int = 1000
    mem_reps: int = 2
    mem_n: int = 1000
    mem_latency_ms: int = 10000  # only a margin: workers measure once all calls are in flight
    mem_tracemalloc_n: int = 300
    history_sizes: tuple[int, ...] = (50, 100, 200, 400, 800)
    history_reps: int = 9
    import_reps: int = 7
    import_genai: bool = True
    import_extras: bool = True  # -X importtime listing
    profile_invokes: int = 200
    profile_streams: int = 20
    transport_reps: int = 15
    https_reps: int = 5  # HTTPS case: repetitions of every row (clients interleaved)
    https_calls: int = 640  # calls per thread row (1 thread: a quarter of it)
    https_waves: int = 2  # gathers per async row


FULL = Config()
QUICK = Config(
    reps=6,
    workers=2,
    cpu_reps=5,
    cpu_invoke_calls=30,
    cpu_stream_count=3,
    invoke_calls=15,
    stream_count=2,
    async_reps=1,
    async_100_calls=200,
    async_1000_reps=0,
    mem_reps=1,
    mem_n=200,
    mem_latency_ms=5000,
    mem_tracemalloc_n=0,
    history_sizes=(50, 200, 800),
    history_reps=3,
    import_reps=2,
    import_genai=False,
    import_extras=False,
    transport_reps=5,
    profile_invokes=40,
    profile_streams=4,
    https_reps=1,
    https_calls=320,
    https_waves=1,
)


def med(values: Iterable[float]) -> float:
    vals = [v for v in values if v == v]
    return statistics.median(vals) if vals else float("nan")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def rotations(names: list[str], reps: int) -> Iterable[tuple[int, list[str]]]:
    """ABCD, BCDA, CDAB, ... so that no client always runs first or right after another."""
    for r in range(reps):
        k = r % len(names)
        yield r, names[k:] + names[:k]


# --------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------


def environment() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {
        mod: getattr(__import__(mod), "__version__", "?")
        for mod in (
            "langchain_core",
            "httpx",
            "httpcore",
            "orjson",
            "pydantic",
            "langchain_tokenhot",
        )
    }
    try:
        from importlib.metadata import version

        versions["langchain-google-genai"] = version("langchain-google-genai")
        versions["google-genai"] = version("google-genai")
    except Exception:
        versions["langchain-google-genai"] = "not installed"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "uname": " ".join(platform.uname()),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "versions": versions,
        "loadavg_start": os.getloadavg(),
        "git": _git_rev(),
    }


def _git_rev() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "langchain_tokenhot"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return rev + (" (langchain_tokenhot modified)" if dirty else "")
    except OSError:
        return "?"


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------


def check_clients(clients: dict[str, cl.Client]) -> None:
    """Every client must answer the same thing before we time it."""
    for name, client in clients.items():
        client.invoke()
        n = sum(1 for _ in client.stream())
        if n < 50:
            raise RuntimeError(f"{name}: stream yielded {n} chunks")


def case_invoke(clients: dict[str, cl.Client], cfg: Config) -> dict[str, dict[str, float]]:
    names = list(clients)
    for client in clients.values():
        for _ in range(max(10, cfg.invoke_calls // 5)):
            client.invoke()
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    for r, order in rotations(names, cfg.reps):
        for name in order:
            client = clients[name]
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(cfg.invoke_calls):
                client.invoke()
            c1, t1 = time.process_time(), time.perf_counter()
            wall[name].append((t1 - t0) / cfg.invoke_calls * 1e6)
            cpu[name].append((c1 - c0) / cfg.invoke_calls * 1e6)
        log(f"  invoke rep {r + 1}/{cfg.reps}")
    return {
        n: {"wall_us": med(wall[n]), "cpu_us": med(cpu[n]), "wall_all": wall[n], "cpu_all": cpu[n]}
        for n in names
    }


def paired(res: dict[str, dict[str, Any]], key: str, a: str, b: str) -> float | None:
    """Median over repetitions of a/b measured in the same repetition (robust to load drift)."""
    if a not in res or b not in res or f"{key}_all" not in res[a]:
        return None
    pairs = zip(res[a][f"{key}_all"], res[b][f"{key}_all"], strict=True)
    return med(x / y for x, y in pairs if y)


def case_network(names: list[str], cfg: Config, base_url: str) -> dict[str, Any]:
    """Sequential invoke and stream against the server, run in ``cfg.workers`` fresh processes
    one after the other (each does its share of the repetitions); per-repetition figures are
    pooled, then the medians taken. Several processes average out memory-layout and
    hash-seed effects that a single process would carry through all its repetitions."""
    import math

    per_worker = math.ceil(cfg.reps / cfg.workers)
    merged: dict[str, dict[str, dict[str, list[float]]]] = {"invoke": {}, "stream": {}}
    for w in range(cfg.workers):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.run",
                f"--worker-url={base_url}",
                f"--worker-reps={per_worker}",
                f"--worker-offset={w}",
                f"--clients={','.join(names)}",
                *(["--quick"] if cfg is QUICK else []),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"timing worker failed:\n{proc.stderr[-2000:]}")
        part = json.loads(proc.stdout.strip().splitlines()[-1])
        for case in ("invoke", "stream"):
            for name, d in part[case].items():
                dest = merged[case].setdefault(name, {})
                for key, values in d.items():
                    if key.endswith("_all"):
                        dest.setdefault(key, []).extend(values)
        log(f"  worker {w + 1}/{cfg.workers} ({per_worker} reps)")
    out: dict[str, Any] = {"invoke": {}, "stream": {}}
    for name, d in merged["invoke"].items():
        out["invoke"][name] = {"wall_us": med(d["wall_all"]), "cpu_us": med(d["cpu_all"]), **d}
    for name, d in merged["stream"].items():
        total, cpu = med(d["total_all"]), med(d["cpu_all"])
        out["stream"][name] = {
            "ttfc_us": med(d["ttfc_all"]),
            "total_us": total,
            "us_per_chunk": total / cfg.chunks,
            "cpu_us": cpu,
            "cpu_us_per_chunk": cpu / cfg.chunks,
            "chunks_yielded": med(d["chunks_all"]),
            **d,
        }
    return out


def worker_main(args: argparse.Namespace, cfg: Config) -> int:
    """One timing process (see ``case_network``): prints its raw figures as JSON."""
    names = [n for n in args.clients.split(",") if n]
    k = args.worker_offset % len(names)
    names = names[k:] + names[:k]
    clients = {n: cl.make(n, args.worker_url) for n in names}
    check_clients(clients)
    sub = dataclasses.replace(cfg, reps=args.worker_reps)
    out = {"invoke": case_invoke(clients, sub), "stream": case_stream(clients, sub)}
    for client in clients.values():
        client.close()
    print(json.dumps(out))
    return 0


def case_cpu(names: list[str], cfg: Config, base_url: str) -> dict[str, Any]:
    """Client CPU per invoke / per 50-event stream over ``httpx.MockTransport`` (no socket, no
    server): the same comparisons without kernel and scheduler noise, plus tokenhot with
    ``request_timeout=None`` to price its per-attempt deadline machinery."""
    from benchmarks import mock

    answers = mock.Answers(base_url)
    variants = [*names]
    variants.insert(variants.index(OURS) + 1, mock.NO_DEADLINE)
    clients = {n: mock.make(n, answers) for n in variants}
    ops: dict[str, tuple[int, Callable[[cl.Client], Any]]] = {
        "invoke": (cfg.cpu_invoke_calls, lambda c: c.invoke()),
        "stream": (cfg.cpu_stream_count, lambda c: mock.drain(c.stream())),
    }
    out: dict[str, Any] = {}
    for op, (count, call) in ops.items():
        for client in clients.values():
            for _ in range(max(3, count // 3)):
                call(client)
        samples: dict[str, list[float]] = {n: [] for n in clients}
        for _, order in rotations(list(clients), cfg.cpu_reps):
            for name in order:
                client = clients[name]
                c0 = time.process_time()
                for _ in range(count):
                    call(client)
                samples[name].append((time.process_time() - c0) / count * 1e6)
        out[op] = {n: {"cpu_us": med(v), "cpu_all": v} for n, v in samples.items()}
    return out


def case_stream(clients: dict[str, cl.Client], cfg: Config) -> dict[str, dict[str, float]]:
    names = list(clients)
    for client in clients.values():
        for _ in range(max(2, cfg.stream_count // 3)):
            for _ in client.stream():
                pass
    keys = ("ttfc_us", "total_us", "cpu_us", "chunks")
    per: dict[str, dict[str, list[float]]] = {n: {k: [] for k in keys} for n in names}
    for r, order in rotations(names, cfg.reps):
        for name in order:
            client = clients[name]
            gc.collect()
            ttfc, total, cpu, chunks = [], [], [], []
            for _ in range(cfg.stream_count):
                t0, c0 = time.perf_counter(), time.process_time()
                it = iter(client.stream())
                next(it)
                t1 = time.perf_counter()
                n = 1
                for _ in it:
                    n += 1
                c2, t2 = time.process_time(), time.perf_counter()
                ttfc.append((t1 - t0) * 1e6)
                total.append((t2 - t0) * 1e6)
                cpu.append((c2 - c0) * 1e6)
                chunks.append(n)
            for k, v in zip(keys, (ttfc, total, cpu, chunks), strict=True):
                per[name][k].append(statistics.median(v))
        log(f"  stream rep {r + 1}/{cfg.reps}")
    out = {}
    for name in names:
        total = med(per[name]["total_us"])
        cpu = med(per[name]["cpu_us"])
        out[name] = {
            "ttfc_us": med(per[name]["ttfc_us"]),
            "total_us": total,
            "us_per_chunk": total / cfg.chunks,
            "cpu_us": cpu,
            "cpu_us_per_chunk": cpu / cfg.chunks,
            "chunks_yielded": med(per[name]["chunks"]),
            "total_all": per[name]["total_us"],
            "cpu_all": per[name]["cpu_us"],
            "ttfc_all": per[name]["ttfc_us"],
            "chunks_all": per[name]["chunks"],
        }
    return out


def case_async(base_url: str, names: list[str], cfg: Config) -> dict[str, dict[str, float]]:
    """Throughput and client CPU with 100 and 1000 calls in flight (latency-0 server)."""
    levels = [
        (100, cfg.async_100_calls, cfg.async_reps),
        (1000, cfg.async_1000_calls, cfg.async_1000_reps),
    ]
    levels = [lv for lv in levels if lv[1] > 0 and lv[2] > 0]
    reps = max(lv[2] for lv in levels)

    async def main() -> dict[str, dict[str, float]]:
        clients = {n: cl.make(n, base_url) for n in names}
        for client in clients.values():
            await client.aopen()
            await asyncio.gather(*(client.ainvoke() for _ in range(100)))
        res: dict[str, dict[str, list[float]]] = {n: {} for n in names}
        for r, order in rotations(names, reps):
            for conc, total, level_reps in levels:
                if r >= level_reps:
                    continue
                for name in order:
                    client = clients[name]
                    per_worker = max(1, total // conc)

                    async def worker(client: cl.Client = client, k: int = per_worker) -> None:
                        for _ in range(k):
                            await client.ainvoke()

                    gc.collect()
                    t0, c0 = time.perf_counter(), time.process_time()
                    await asyncio.gather(*(worker() for _ in range(conc)))
                    c1, t1 = time.process_time(), time.perf_counter()
                    calls = per_worker * conc
                    res[name].setdefault(f"c{conc}_calls_per_s", []).append(calls / (t1 - t0))
                    res[name].setdefault(f"c{conc}_cpu_us", []).append((c1 - c0) / calls * 1e6)
            log(f"  async rep {r + 1}/{reps}")
        for client in clients.values():
            await client.aclose()
        return {n: {k: med(v) for k, v in d.items()} for n, d in res.items()}

    return asyncio.run(main())


def case_https(names: list[str], cfg: Config) -> dict[str, Any]:
    """Calls/s and connections opened over TLS (see ``benchmarks/https.py``); skipped without
    ``trustme``, which makes the throwaway certificate."""
    from benchmarks import https

    if not https.trustme_installed():
        log("  trustme is not installed: the HTTPS case is skipped (pip install trustme)")
        return {}
    return https.case_https(names, cfg.https_reps, cfg.https_calls, cfg.https_waves)


def case_memory(names: list[str], cfg: Config, warm_url: str) -> dict[str, dict[str, Any]]:
    """Memory per in-flight ainvoke: each client in fresh processes (``memory_worker``), RSS
    and tracemalloc in separate processes, against a server that holds every answer."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        n: {"rss": [], "tracemalloc": []} for n in names
    }
    plan = [("rss", cfg.mem_n, cfg.mem_reps), ("tracemalloc", cfg.mem_tracemalloc_n, 1)]
    plan = [p for p in plan if p[1] > 0 and p[2] > 0]
    reps = max(p[2] for p in plan)
    with ServerProcess(
        chunks=cfg.chunks, text_bytes=cfg.text_bytes, latency_ms=cfg.mem_latency_ms
    ) as server:
        for r, order in rotations(names, reps):
            jobs = [
                (name, mode, n) for mode, n, mode_reps in plan if r < mode_reps for name in order
            ]
            # Two workers at a time: each spends most of its time waiting for held answers,
            # and memory is per process (the in-flight check still guards the overlap).
            with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
                for name, mode, result in pool.map(
                    lambda job: (job[0], job[1], _memory_worker(*job, server.base_url, warm_url)),
                    jobs,
                ):
                    if result is not None:
                        runs[name][mode].append(result)
            log(f"  memory rep {r + 1}/{reps}")
    out: dict[str, dict[str, Any]] = {}
    for name, by_mode in runs.items():
        rss, tm = by_mode["rss"], by_mode["tracemalloc"]
        if not rss:
            continue
        out[name] = {
            "n": cfg.mem_n,
            "rss_kb_per_call": med(s["kb_per_call"] for s in rss),
            "rss_all": [s["kb_per_call"] for s in rss],
            "rss_before_mb": med(s["rss_before_mb"] for s in rss),
            "all_sent_s": med(s["all_sent_s"] or float("nan") for s in rss),
            "all_in_flight": all(s["all_in_flight"] for s in rss + tm),
            "tracemalloc_n": cfg.mem_tracemalloc_n,
            "tracemalloc_kb_per_call": med(s["kb_per_call"] for s in tm) if tm else None,
            "tracemalloc_sites": tm[0]["sites"] if tm else [],
        }
    return out


def _memory_worker(name: str, mode: str, n: int, url: str, warm_url: str) -> dict[str, Any] | None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.memory_worker",
            f"--client={name}",
            f"--url={url}",
            f"--warm-url={warm_url}",
            f"--n={n}",
            f"--mode={mode}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        log(f"  memory {name} {mode}: failed: {proc.stderr.strip()[-400:]}")
        return None
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _time_per_call(fn: Callable[[], Any], block_s: float = 0.02, repeat: int = 5) -> float:
    """µs per call of a pure function: the best of ``repeat`` blocks of ~``block_s`` each
    (the minimum, as timeit does: background load only ever adds time)."""
    fn()
    t0 = time.perf_counter()
    for _ in range(5):
        fn()
    once = max((time.perf_counter() - t0) / 5, 1e-7)
    number = max(1, int(block_s / once))
    timer = timeit.Timer(fn)
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def case_history(names: list[str], cfg: Config) -> dict[str, Any]:
    """Message conversion of long histories (tool calls, tool results, images): µs and µs/msg.

    tokenhot: everything the model does to a history before the POST (``download_urls`` +
    ``_request`` + ``orjson.dumps``) and ``convert_messages`` alone. genai: its
    ``_parse_chat_history`` (to SDK objects; the SDK serializes them later, not counted).
    """
    import orjson

    from langchain_tokenhot import ChatTokenhotGemini
    from langchain_tokenhot._messages import convert_messages, download_urls

    model = ChatTokenhotGemini(model=cl.MODEL, api_key=cl.API_KEY, base_url="http://127.0.0.1:1")
    fns: dict[str, Callable[[list[Any]], Any]] = {
        "tokenhot_request": lambda h: (
            download_urls(h),
            orjson.dumps(model._request(h, None, {}, {})[1]),
        ),
        "tokenhot_convert": lambda h: convert_messages(h, model=cl.MODEL),
    }
    if GENAI in names:
        try:
            from langchain_google_genai.chat_models import _parse_chat_history

            fns["genai_parse"] = lambda h: _parse_chat_history(h, model=cl.MODEL)
        except ImportError:
            pass
    histories = {n: build_history(n) for n in cfg.history_sizes}
    res: dict[str, dict[int, list[float]]] = {k: {n: [] for n in histories} for k in fns}
    for _ in range(cfg.history_reps):
        for size, history in histories.items():
            for key, fn in fns.items():
                reps = max(1, int(20 * 200 / size)) if not key.startswith("genai") else 2
                gc.collect()
                t0 = time.perf_counter()
                for _ in range(reps):
                    fn(history)
                res[key][size].append((time.perf_counter() - t0) / reps * 1e6)
    out: dict[str, Any] = {}
    for key, by_size in res.items():
        out[key] = {
            size: {"us": med(v), "us_per_msg": med(v) / size} for size, v in by_size.items()
        }
    sizes = sorted(histories)
    out["linearity"] = {"sizes": sizes}
    for key in fns:
        per_msg = [out[key][s]["us_per_msg"] for s in sizes]
        out["linearity"][key] = {
            "loglog_slope": _loglog_slope(sizes, [out[key][s]["us"] for s in sizes]),
            "largest_over_smallest_per_msg": per_msg[-1] / per_msg[0],
        }
    return out


def _loglog_slope(xs: list[int], ys: list[float]) -> float:
    """Least-squares slope of log(time) against log(size): 1.0 is linear, 2.0 quadratic."""
    import math

    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    num = sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True))
    den = sum((a - mx) ** 2 for a in lx)
    return num / den


IMPORT_TARGETS = {
    "langchain_core chat_models": "langchain_core.language_models.chat_models",
    "langchain_tokenhot": "langchain_tokenhot",
    "langchain_google_genai": "langchain_google_genai",
}


def _import_env() -> dict[str, str]:
    """Bytecode is cached (as for an installed wheel) in a private prefix under results/:
    with PYTHONDONTWRITEBYTECODE set and the package installed in editable mode, every import
    of langchain_tokenhot would otherwise compile its sources, which users never pay."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(RESULTS_DIR / "pycache")
    return env


def case_import(names: list[str], cfg: Config) -> dict[str, Any]:
    """Import time in fresh interpreters: wall and CPU time of the import statement alone."""
    targets = {k: v for k, v in IMPORT_TARGETS.items() if v and v != "langchain_google_genai"}
    if GENAI in names and cfg.import_genai:
        targets["langchain_google_genai"] = "langchain_google_genai"
    env = _import_env()
    code = (
        "import time;t=time.perf_counter();c=time.process_time();import {mod};"
        "print(time.perf_counter()-t, time.process_time()-c)"
    )
    for mod in targets.values():  # warm the bytecode cache
        subprocess.run([sys.executable, "-c", f"import {mod}"], cwd=REPO, env=env, check=True)
    wall: dict[str, list[float]] = {k: [] for k in targets}
    cpu: dict[str, list[float]] = {k: [] for k in targets}
    for r, order in rotations(list(targets), cfg.import_reps):
        for label in order:
            proc = subprocess.run(
                [sys.executable, "-c", code.format(mod=targets[label])],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            w, c = proc.stdout.split()
            wall[label].append(float(w) * 1e3)
            cpu[label].append(float(c) * 1e3)
        log(f"  import rep {r + 1}/{cfg.import_reps}")
    base = "langchain_core chat_models"
    out: dict[str, Any] = {
        k: {"ms": med(wall[k]), "cpu_ms": med(cpu[k]), "wall_all": wall[k], "cpu_all": cpu[k]}
        for k in targets
    }
    for k in targets:
        out[k]["paired_ratio"] = med(a / b for a, b in zip(wall[k], wall[base], strict=True))
    out["extra_modules"] = _import_extras() if cfg.import_extras else []
    return out


def _importtime(mod: str) -> dict[str, tuple[int, int]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {mod}"],
        cwd=REPO,
        env=_import_env(),
        capture_output=True,
        text=True,
    )
    out: dict[str, tuple[int, int]] = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            out[m.group(4)] = (int(m.group(1)), int(m.group(2)))
    return out


def _import_extras() -> list[tuple[str, float, int]]:
    """Top-level packages langchain_tokenhot imports beyond langchain-core's chat model module:
    (package, self ms summed over its modules, module count), biggest first."""
    core = _importtime("langchain_core.language_models.chat_models")
    ours = _importtime("langchain_tokenhot")
    extra: dict[str, list[int]] = {}
    for name, (self_us, _) in ours.items():
        if name in core:
            continue
        top = name.split(".")[0]
        agg = extra.setdefault(top, [0, 0])
        agg[0] += self_us
        agg[1] += 1
    rows = [(k, v[0] / 1e3, v[1]) for k, v in extra.items()]
    return sorted(rows, key=lambda r: -r[1])[:12]


# --------------------------------------------------------------------------------------------
# Profile and attribution
# --------------------------------------------------------------------------------------------

CATEGORIES = [
    ("langchain_tokenhot", "/langchain_tokenhot/"),
    ("benchmarks (lc-floor)", "/benchmarks/"),
    ("langchain_core", "/langchain_core/"),
    ("langsmith", "/langsmith/"),
    ("pydantic", "/pydantic"),
    ("httpx/httpcore/h11", "/httpx/|/httpcore/|/h11/|/anyio/"),
    ("uuid", "uuid.py"),
]


def _category(filename: str, func: str) -> str:
    for label, pat in CATEGORIES:
        if re.search(pat, filename):
            return label
    if filename == "~":
        if "socket" in func or "select" in func or "poll" in func:
            return "socket I/O (builtins)"
        return "builtins (orjson, dict, ...)"
    return "stdlib"


def _by_category(stats: pstats.Stats, calls: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for (filename, _, func), (_, _, tt, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        cat = _category(filename, func)
        out[cat] = out.get(cat, 0.0) + tt / calls * 1e6
    return out


def _top_ours(stats: pstats.Stats, calls: int, limit: int = 14) -> list[dict[str, Any]]:
    rows = []
    for (filename, line, func), (_, nc, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "/langchain_tokenhot/" not in filename:
            continue
        rows.append(
            {
                "function": f"{Path(filename).name}:{line}({func})",
                "calls_per_op": nc / calls,
                "self_us": tt / calls * 1e6,
                "cum_us": ct / calls * 1e6,
            }
        )
    return sorted(rows, key=lambda r: -r["cum_us"])[:limit]


def case_profile(names: list[str], cfg: Config, base_url: str) -> dict[str, Any]:
    """cProfile of invoke and stream over ``httpx.MockTransport`` (no I/O, GC paused so its
    pauses are not pinned on random functions), tokenhot next to the LangChain floor: self
    time by package, the top langchain_tokenhot functions, and the functions whose self time
    differs most between the two. The profiler inflates every figure; read the differences."""
    from benchmarks import mock

    answers = mock.Answers(base_url)
    clients = {n: mock.make(n, answers) for n in (FLOOR, OURS)}
    out: dict[str, Any] = {}
    blocks = 10  # the two profiles are taken in alternating blocks, so load bursts hit both
    for label, calls in (("invoke", cfg.profile_invokes), ("stream", cfg.profile_streams)):
        section: dict[str, Any] = {}
        per_func: dict[str, dict[tuple[str, int, str], tuple[float, float, float]]] = {}
        fns: dict[str, Callable[[], Any]] = {
            name: client.invoke if label == "invoke" else (lambda c=client: mock.drain(c.stream()))
            for name, client in clients.items()
        }
        profiles = {name: cProfile.Profile() for name in clients}
        for fn in fns.values():
            for _ in range(5):
                fn()
        per_block = max(1, calls // blocks)
        calls = per_block * blocks
        gc.collect()
        gc.disable()
        try:
            for _, order in rotations(list(clients), blocks):
                for name in order:
                    prof, fn = profiles[name], fns[name]
                    prof.enable()
                    for _ in range(per_block):
                        fn()
                    prof.disable()
        finally:
            gc.enable()
        for name in clients:
            stats = pstats.Stats(profiles[name])
            section[name] = {"by_category": _by_category(stats, calls)}
            if name == OURS:
                section[name]["top"] = _top_ours(stats, calls)
            per_func[name] = {
                (_short_path(f), line, func): (nc / calls, tt / calls * 1e6, ct / calls * 1e6)
                for (f, line, func), (_, nc, tt, ct, _) in stats.stats.items()  # type: ignore[attr-defined]
            }
        a, b = per_func[FLOOR], per_func[OURS]
        diffs = []
        for key in set(a) | set(b):
            x, y = a.get(key, (0.0, 0.0, 0.0)), b.get(key, (0.0, 0.0, 0.0))
            diffs.append(
                {
                    "function": f"{key[0]}:{key[1]}({key[2]})",
                    "calls": [x[0], y[0]],
                    "self_us": [x[1], y[1]],
                    "cum_us": [x[2], y[2]],
                    "delta_self_us": y[1] - x[1],
                }
            )
        section["diff"] = sorted(diffs, key=lambda d: -d["delta_self_us"])[:18]
        out[label] = section
    return out


def _short_path(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python3.11/", str(REPO) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def case_attribution(base_url: str, cfg: Config) -> list[dict[str, Any]]:
    """Direct timings (no profiler) of the per-call steps, tokenhot vs the floor's equivalent."""
    import httpx
    import orjson

    from langchain_tokenhot import ChatTokenhotGemini

    ours = ChatTokenhotGemini(model=cl.MODEL, api_key=cl.API_KEY, base_url=base_url)
    floor = cl.FloorChatModel(base_url=base_url)
    msgs = cl.messages()
    with httpx.Client() as client:
        response_bytes = client.post(
            f"{base_url}/v1beta/models/{cl.MODEL}:generateContent", content=b"{}"
        ).content
        sse_bytes = client.post(
            f"{base_url}/v1beta/models/{cl.MODEL}:streamGenerateContent?alt=sse", content=b"{}"
        ).content
    response = orjson.loads(response_bytes)
    raw_events = [line[6:] for line in sse_bytes.split(b"\r\n") if line.startswith(b"data: ")]
    events = [orjson.loads(e) for e in raw_events]
    per_event_frames = [b"data: " + e + b"\r\n\r\n" for e in raw_events]

    rows: list[dict[str, Any]] = []

    def add(
        step: str,
        ours_fn: Callable[[], Any] | None,
        floor_fn: Callable[[], Any] | None,
        note: str = "",
        per: int = 1,
    ) -> None:
        row: dict[str, Any] = {"step": step, "note": note}
        for key, fn in (("ours_us", ours_fn), ("floor_us", floor_fn)):
            if fn is None:
                row[key] = None
                continue
            try:
                row[key] = _time_per_call(fn) / per
            except Exception as exc:  # private API changed under us: report, do not crash
                row[key] = None
                row["note"] = f"{note} [{type(exc).__name__}: {exc}]".strip()
        rows.append(row)

    p = __import__("langchain_tokenhot._messages", fromlist=["x"])
    r = __import__("langchain_tokenhot._response", fromlist=["x"])
    s = __import__("langchain_tokenhot._streaming", fromlist=["x"])
    sse = __import__("langchain_tokenhot._sse", fromlist=["x"])
    req = __import__("langchain_tokenhot._request", fromlist=["x"])
    tier = __import__("langchain_tokenhot._service_tier", fromlist=["x"])

    # -- langchain-core hooks that the subclass feeds (run on every call by core) --
    add(
        "_get_invocation_params() [core → self.dict() → _identifying_params]",
        lambda: ours._get_invocation_params(stop=None),
        lambda: floor._get_invocation_params(stop=None),
    )
    add("_identifying_params", lambda: ours._identifying_params, lambda: floor._identifying_params)
    add(
        "_get_ls_params_with_defaults()",
        lambda: ours._get_ls_params_with_defaults(stop=None),
        lambda: floor._get_ls_params_with_defaults(stop=None),
    )
    add(
        "_should_stream(async_api=False)",
        lambda: ours._should_stream(async_api=False, run_manager=None),
        lambda: floor._should_stream(async_api=False, run_manager=None),
    )
    # -- request --
    add(".transport (property)", lambda: ours.transport, None)
    add("download_urls(messages)", lambda: p.download_urls(msgs), None)
    add("_options()", lambda: ours._options(), None)
    add(
        "generation_config(model, _options())",
        lambda: req.generation_config(cl.MODEL, ours._options(), {}),
        None,
    )
    add(
        "convert_messages(2 messages)",
        lambda: p.convert_messages(msgs, model=cl.MODEL),
        lambda: floor._body(msgs),
        "floor: _body() incl. orjson.dumps",
    )
    add(
        "_request(...) [whole body build]",
        lambda: ours._request(msgs, None, {}, {}),
        lambda: floor._body(msgs),
        "floor: _body() incl. orjson.dumps",
    )
    body = ours._request(msgs, None, {}, {})[1]
    add("orjson.dumps(body)", lambda: orjson.dumps(body), None)
    # -- response --
    add("check_shape(response)", lambda: r.check_shape(response), None)
    add(
        "messages_from_response(response)",
        lambda: r.messages_from_response(response, cl.MODEL),
        None,
    )
    add(
        "_result(response) [→ ChatResult]",
        lambda: ours._result(response, cl.MODEL, {}, tier.ServedTier()),
        lambda: floor._result(response),
    )
    # -- stream, per event --
    n = len(events)

    def feed_all() -> None:
        a = s.StreamAssembler(cl.MODEL, blocks_mode=False)
        for e in events:
            a.feed(e)

    def decode_all() -> None:
        d = sse.SSEDecoder()
        for f in per_event_frames:
            d.feed(f)

    def floor_events() -> None:
        for e in events:
            cl.ChatGenerationChunk(message=cl.AIMessageChunk(content=cl._event_text(e)))

    add(
        "StreamAssembler.feed(event) [per event]",
        feed_all,
        floor_events,
        "floor: text + AIMessageChunk + ChatGenerationChunk",
        per=n,
    )
    add("SSEDecoder.feed(frame) [per event]", decode_all, None, per=n)
    transport = ours.transport
    add(
        "Transport._event(data) [per event]",
        lambda: [transport._event(e, cl.MODEL) for e in raw_events],
        None,
        per=n,
    )
    add(
        "_plan() + _stream_setup(...) [per stream]",
        lambda: ours._stream_setup(msgs, None, {}, {}, ours._plan(None, {})),
        lambda: floor._body(msgs),
    )
    add(
        "StreamAssembler.finish() [per stream]",
        lambda: _finish(s, events),
        None,
        "includes one feed of the last event",
    )
    t = __import__("langchain_tokenhot._transport", fromlist=["x"])
    if hasattr(t, "_SyncDeadline"):
        add(
            "_SyncDeadline(timeout) + .disarm() [per attempt]",
            lambda: t._SyncDeadline(ours.timeout).disarm(),
            None,
            "deadline object, watchdog heap push + notify",
        )
    rows.extend(_transport_rows(ours, base_url, msgs, cfg.transport_reps))
    return rows


def _transport_rows(ours: Any, base_url: str, msgs: list[Any], reps: int) -> list[dict[str, Any]]:
    """Transport vs raw httpx doing the same exchange: client CPU per call (median of the
    interleaved blocks). This isolates what ``_transport`` adds around httpx."""
    import orjson

    transport = ours.transport
    body = orjson.dumps(ours._request(msgs, None, {}, {})[1])
    raw = cl.RawHttpx(base_url)

    def raw_post() -> Any:
        return orjson.loads(raw.client.post(raw.url, content=body, headers=cl.HEADERS).content)

    def raw_stream() -> int:
        with raw.client.stream("POST", raw.stream_url, content=body, headers=cl.HEADERS) as r:
            return sum(1 for d in cl._iter_sse_data(r.iter_bytes()) if orjson.loads(d))

    pairs = {
        "Transport.post_json() [per call, I/O included]": (
            lambda: transport.post_json(cl.MODEL, "generateContent", body),
            raw_post,
        ),
        "Transport.stream() iterated [per stream, I/O included]": (
            lambda: sum(1 for _ in transport.stream(cl.MODEL, body)),
            raw_stream,
        ),
    }
    rows = []
    for step, (ours_fn, raw_fn) in pairs.items():
        try:
            cpu = _interleaved_cpu({"ours": ours_fn, "raw": raw_fn}, reps=reps, per_block=10)
        except Exception as exc:
            rows.append({"step": step, "ours_us": None, "floor_us": None, "note": repr(exc)})
            continue
        rows.append(
            {
                "step": step,
                "ours_us": cpu["ours"],
                "floor_us": cpu["raw"],
                "note": "lc-floor column: raw httpx + orjson doing the same (client CPU)",
            }
        )

    async def async_rows() -> dict[str, float]:
        await raw.aopen()
        assert raw.aclient is not None
        aclient = raw.aclient

        async def raw_apost() -> Any:
            r = await aclient.post(raw.url, content=body, headers=cl.HEADERS)
            return orjson.loads(r.content)

        async def ours_apost() -> Any:
            return await transport.apost_json(cl.MODEL, "generateContent", body)

        fns = {"ours": ours_apost, "raw": raw_apost}
        for fn in fns.values():
            for _ in range(5):
                await fn()
        samples: dict[str, list[float]] = {k: [] for k in fns}
        for _, order in rotations(list(fns), reps):
            for k in order:
                c0 = time.process_time()
                for _ in range(10):
                    await fns[k]()
                samples[k].append((time.process_time() - c0) / 10 * 1e6)
        await raw.aclose()
        return {k: med(v) for k, v in samples.items()}

    try:
        cpu = asyncio.run(async_rows())
        rows.append(
            {
                "step": "Transport.apost_json() [per call, I/O included, sequential]",
                "ours_us": cpu["ours"],
                "floor_us": cpu["raw"],
                "note": "lc-floor column: raw httpx AsyncClient + orjson (client CPU)",
            }
        )
    except Exception as exc:
        rows.append(
            {"step": "Transport.apost_json()", "ours_us": None, "floor_us": None, "note": repr(exc)}
        )
    raw.close()
    return rows


def _interleaved_cpu(
    fns: dict[str, Callable[[], Any]], reps: int, per_block: int
) -> dict[str, float]:
    for fn in fns.values():
        for _ in range(3):
            fn()
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _, order in rotations(list(fns), reps):
        for k in order:
            c0 = time.process_time()
            for _ in range(per_block):
                fns[k]()
            samples[k].append((time.process_time() - c0) / per_block * 1e6)
    return {k: med(v) for k, v in samples.items()}


def _finish(s: Any, events: list[dict[str, Any]]) -> Any:
    a = s.StreamAssembler(cl.MODEL, blocks_mode=False)
    a.feed(events[-1])
    return a.finish()


# --------------------------------------------------------------------------------------------
# Targets and report
# --------------------------------------------------------------------------------------------


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(name: str, value: float | None, op: str, limit: float, detail: str) -> None:
        if value is None or value != value:
            rows.append(
                {
                    "target": name,
                    "value": None,
                    "limit": f"{op} {limit}",
                    "status": "n/a",
                    "detail": detail,
                }
            )
            return
        ok = value <= limit if op == "≤" else value >= limit
        rows.append(
            {
                "target": name,
                "value": value,
                "limit": f"{op} {limit}",
                "status": "PASS" if ok else "MISS",
                "detail": detail,
            }
        )

    inv, st = res.get("invoke", {}), res.get("stream", {})

    def both(d: dict[str, Any], key: str, a: str, b: str, unit: str) -> tuple[float | None, str]:
        k = {"cpu": "cpu_us", "total": "total_us"}[key]
        text = (
            f"medians {d[a][k]:.0f} vs {d[b][k]:.0f} {unit} "
            f"(ratio of medians {d[a][k] / d[b][k]:.2f}×)"
        )
        return paired(d, key, a, b), text

    if OURS in inv and FLOOR in inv:
        value, text = both(inv, "cpu", OURS, FLOOR, "µs/call")
        add("invoke client CPU vs LangChain floor", value, "≤", 1.2, text)
    if OURS in st and FLOOR in st:
        add(
            "stream total (wall) vs LangChain floor",
            paired(st, "total", OURS, FLOOR),
            "≤",
            1.05,
            both(st, "total", OURS, FLOOR, "µs/stream")[1],
        )
    if OURS in inv and GENAI in inv:
        add(
            "genai ÷ tokenhot invoke client CPU",
            paired(inv, "cpu", GENAI, OURS),
            "≥",
            3.0,
            both(inv, "cpu", GENAI, OURS, "µs/call")[1],
        )
    else:
        add("genai ÷ tokenhot invoke client CPU", None, "≥", 3.0, "genai not installed")
    if OURS in st and GENAI in st:
        add(
            "genai ÷ tokenhot stream client CPU",
            paired(st, "cpu", GENAI, OURS),
            "≥",
            5.0,
            both(st, "cpu", GENAI, OURS, "µs/stream")[1],
        )
    else:
        add("genai ÷ tokenhot stream client CPU", None, "≥", 5.0, "genai not installed")
    mem = res.get("memory", {})
    if OURS in mem and RAW in mem:
        a, b = mem[OURS]["rss_kb_per_call"], mem[RAW]["rss_kb_per_call"]
        ta, tb = mem[OURS]["tracemalloc_kb_per_call"], mem[RAW]["tracemalloc_kb_per_call"]
        detail = f"{a:.1f} vs {b:.1f} KB peak RSS per call"
        if ta and tb:
            detail += f"; tracemalloc {ta:.1f} vs {tb:.1f} KB = {ta / tb:.2f}×"
        if FLOOR in mem:
            f = mem[FLOOR]["rss_kb_per_call"]
            detail += f"; the LangChain floor itself: {f:.1f} KB = {f / b:.2f}×"
        add("memory per in-flight async call vs raw httpx (RSS)", a / b, "≤", 1.3, detail)
    if OURS in mem and FLOOR in mem:
        a, f = mem[OURS]["rss_kb_per_call"], mem[FLOOR]["rss_kb_per_call"]
        add(
            "memory per in-flight async call vs LangChain floor (RSS)",
            a / f,
            "≤",
            1.0,
            f"{a:.1f} vs {f:.1f} KB peak RSS per call",
        )
    imp = res.get("import", {})
    if "langchain_tokenhot" in imp:
        ours, core = imp["langchain_tokenhot"], imp["langchain_core chat_models"]
        add(
            "import time vs langchain-core alone",
            ours["paired_ratio"],
            "≤",
            1.5,
            f"medians {ours['ms']:.0f} vs {core['ms']:.0f} ms wall, "
            f"{ours['cpu_ms']:.0f} vs {core['cpu_ms']:.0f} ms CPU",
        )
    hist = res.get("history", {})
    if "linearity" in hist:
        lin = hist["linearity"]
        sizes = lin["sizes"]
        add(
            "history conversion linear (log-log slope of time vs size)",
            lin["tokenhot_request"]["loglog_slope"],
            "≤",
            1.15,
            f"{sizes[0]}→{sizes[-1]} msgs: "
            + ", ".join(f"{hist['tokenhot_request'][s]['us_per_msg']:.1f}" for s in sizes)
            + " µs/msg (1.0 = linear, 2.0 = quadratic)",
        )
    hs = res.get("https", {}).get("rows", {})
    if hs and all(OURS in d for d in hs.values()):
        from benchmarks.https import concurrency

        over = {row: d[OURS]["connections"] / concurrency(row) for row, d in hs.items()}
        worst = max(over, key=lambda r: over[r])
        add(
            "HTTPS connections opened ÷ concurrency (tokenhot, worst row)",
            over[worst] - 1.0 if over[worst] > 1.0 else 0.0,
            "≤",
            0.1,
            f"worst: {worst}, {hs[worst][OURS]['connections']:.0f} connections for "
            f"{hs[worst][OURS]['calls']} calls (value: excess over the concurrency, 0.10 = +10%)",
        )
        if all(FLOOR in d for d in hs.values()):
            slow = {row: d[OURS]["floor_over_us"] for row, d in hs.items()}
            worst = max(slow, key=lambda r: slow[r])
            add(
                "HTTPS calls/s: lc-floor ÷ tokenhot (worst row)",
                slow[worst],
                "≤",
                1.1,
                f"worst: {worst}, {hs[worst][FLOOR]['calls_s']:.0f} vs "
                f"{hs[worst][OURS]['calls_s']:.0f} calls/s; all rows: "
                + ", ".join(f"{v:.2f}" for v in slow.values()),
            )
    return rows


def _f(v: Any, fmt: str = ".0f") -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    return format(v, fmt)


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or not b or a != a or b != b:
        return "–"
    return f"{a / b:.2f}×"


def render(res: dict[str, Any], cfg: Config, quick: bool) -> str:
    env = res["env"]
    out: list[str] = []
    w = out.append
    w(
        f"Run: {env['date']}{' (--quick)' if quick else ''}, commit {env['git']}, "
        f"{res['elapsed_s']:.0f} s.  "
    )
    w(
        f"Machine: `{env['uname']}`; CPU: {env['cpu']} ({env['cores']} cores); "
        f"Python {env['python']}.  "
    )
    v = env["versions"]
    w("Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".  ")
    la0, la1 = env["loadavg_start"], env.get("loadavg_end", (float("nan"),) * 3)
    w(
        f"Load average (1/5/15 min) at start {la0[0]:.2f}/{la0[1]:.2f}/{la0[2]:.2f}, at end "
        f"{la1[0]:.2f}/{la1[1]:.2f}/{la1[2]:.2f}.  "
    )
    w(
        f"Settings: {cfg.reps} interleaved repetitions, medians; server answers "
        f"{cfg.text_bytes}-byte texts, streams {cfg.chunks} events."
    )
    w("")

    w("### Targets")
    w("")
    w("| target | value | limit | status | figures |")
    w("|---|---|---|---|---|")
    for t in res["targets"]:
        w(
            f"| {t['target']} | {_f(t['value'], '.2f')} | {t['limit']} | **{t['status']}** | "
            f"{t['detail']} |"
        )
    w("")

    inv = res.get("invoke", {})
    if inv:
        w(f"### Sequential invoke ({cfg.invoke_calls} calls × {cfg.reps} reps per client)")
        w("")
        w(
            "| client | wall µs/call | client CPU µs/call | wall × raw | CPU × raw "
            "| CPU × lc-floor |"
        )
        w("|---|---|---|---|---|---|")
        for n, d in inv.items():
            w(
                f"| {n} | {_f(d['wall_us'])} | {_f(d['cpu_us'])} | "
                f"{_ratio(d['wall_us'], inv[RAW]['wall_us'])} | "
                f"{_ratio(d['cpu_us'], inv[RAW]['cpu_us'])} | "
                f"{_ratio(d['cpu_us'], inv[FLOOR]['cpu_us'])} |"
            )
        w("")
    st = res.get("stream", {})
    if st:
        w(f"### Stream of {cfg.chunks} chunks ({cfg.stream_count} streams × {cfg.reps} reps)")
        w("")
        w(
            "| client | time to first chunk µs | µs/chunk (wall) | total µs | CPU µs/chunk | "
            "total × raw | total × lc-floor | CPU × lc-floor | chunks yielded |"
        )
        w("|---|---|---|---|---|---|---|---|---|")
        for n, d in st.items():
            w(
                f"| {n} | {_f(d['ttfc_us'])} | {_f(d['us_per_chunk'], '.1f')} | "
                f"{_f(d['total_us'])} | {_f(d['cpu_us_per_chunk'], '.1f')} | "
                f"{_ratio(d['total_us'], st[RAW]['total_us'])} | "
                f"{_ratio(d['total_us'], st[FLOOR]['total_us'])} | "
                f"{_ratio(d['cpu_us'], st[FLOOR]['cpu_us'])} | {_f(d['chunks_yielded'])} |"
            )
        w("")
    cpu = res.get("cpu", {})
    if cpu:
        w(
            f"### Client CPU over httpx.MockTransport (no socket, no server; "
            f"{cfg.cpu_reps} interleaved reps)"
        )
        w("")
        w("| client | invoke CPU µs | × raw | × lc-floor | stream CPU µs | × raw | × lc-floor |")
        w("|---|---|---|---|---|---|---|")
        for n in cpu["invoke"]:
            a, b = cpu["invoke"][n]["cpu_us"], cpu["stream"][n]["cpu_us"]
            w(
                f"| {n} | {_f(a)} | {_ratio(a, cpu['invoke'][RAW]['cpu_us'])} | "
                f"{_f(paired(cpu['invoke'], 'cpu', n, FLOOR), '.2f')}× | {_f(b)} | "
                f"{_ratio(b, cpu['stream'][RAW]['cpu_us'])} | "
                f"{_f(paired(cpu['stream'], 'cpu', n, FLOOR), '.2f')}× |"
            )
        w("")
        w(
            "(× lc-floor: median of the per-repetition ratios. `tokenhot timeout=None` is "
            "tokenhot without its per-attempt deadline.)"
        )
        w("")
    asy = res.get("async", {})
    if asy:
        w(f"### ainvoke under concurrency ({cfg.async_reps} reps; latency-0 server)")
        w("")
        levels = [c for c in (100, 1000) if any(f"c{c}_calls_per_s" in d for d in asy.values())]
        w(
            "| client | "
            + " | ".join(
                f"{c} in flight: calls/s | {c}: CPU µs/call | {c}: CPU × lc-floor" for c in levels
            )
            + " |"
        )
        w("|---|" + "---|---|---|" * len(levels))
        for n, d in asy.items():
            cells = []
            for c in levels:
                cells += [
                    _f(d.get(f"c{c}_calls_per_s")),
                    _f(d.get(f"c{c}_cpu_us")),
                    _ratio(d.get(f"c{c}_cpu_us"), asy[FLOOR].get(f"c{c}_cpu_us")),
                ]
            w(f"| {n} | " + " | ".join(cells) + " |")
        w("")
    hs = res.get("https", {})
    if hs:
        rows = hs["rows"]
        who = [n for n in (RAW, FLOOR, OURS) if n in next(iter(rows.values()))]
        w(
            f"### HTTPS: calls/s and connections opened ({hs['reps']} reps, clients interleaved; "
            "local TLS server, certificate made at run time; pools warm, one connection open)"
        )
        w("")
        w(
            "| concurrency | calls | "
            + " | ".join(f"{n} calls/s | {n} connections" for n in who)
            + " | tokenhot calls/s ÷ lc-floor |"
        )
        w("|---|---|" + "---|---|" * len(who) + "---|")
        for row, d in rows.items():
            cells = []
            for n in who:
                c = d[n]
                failed = f", {c['failed']} failed" if c.get("failed") else ""
                cells += [
                    _f(c["calls_s"]),
                    f"{_f(c['connections'])} (max {_f(c['connections_max'])}{failed})",
                ]
            ratio = d.get(OURS, {}).get("floor_over_us")
            w(
                f"| {row} | {_f(d[who[0]]['calls'])} | "
                + " | ".join(cells)
                + f" | {_f(1 / ratio if ratio else None, '.2f')}× |"
            )
        w("")
        w(
            "(connections: accepted by the server during the row, median and max over the "
            "repetitions; each is a TLS handshake; failed: calls that raised, over all "
            "repetitions, counted instead of aborting the row. calls/s ÷ lc-floor: median of "
            "the per-repetition ratios.)"
        )
        w("")
    mem = res.get("memory", {})
    if mem:
        w(
            f"### Memory per in-flight ainvoke (peak RSS with {cfg.mem_n} concurrent calls, "
            f"{cfg.mem_reps} reps; tracemalloc with {cfg.mem_tracemalloc_n}; measured once every "
            "call's connection is up, before any answer; a fresh process per measurement)"
        )
        w("")
        w(
            "| client | peak RSS KB/call | × raw | tracemalloc KB/call | × raw | "
            "RSS before burst MB | s until all in flight | all in flight at once |"
        )
        w("|---|---|---|---|---|---|---|---|")
        raw_tm = mem.get(RAW, {}).get("tracemalloc_kb_per_call")
        for n, d in mem.items():
            w(
                f"| {n} | {_f(d['rss_kb_per_call'], '.1f')} | "
                f"{_ratio(d['rss_kb_per_call'], mem.get(RAW, {}).get('rss_kb_per_call'))} | "
                f"{_f(d['tracemalloc_kb_per_call'], '.1f')} | "
                f"{_ratio(d['tracemalloc_kb_per_call'], raw_tm)} | "
                f"{_f(d['rss_before_mb'], '.0f')} | {_f(d['all_sent_s'], '.1f')} | "
                f"{'yes' if d['all_in_flight'] else 'no'} |"
            )
        w("")
        if mem.get(OURS, {}).get("tracemalloc_sites") and mem.get(FLOOR, {}).get(
            "tracemalloc_sites"
        ):
            ours = dict(mem[OURS]["tracemalloc_sites"])
            floor = dict(mem[FLOOR]["tracemalloc_sites"])
            rows = sorted(
                ((site, floor.get(site, 0.0), kb) for site, kb in ours.items()),
                key=lambda r: -(r[2] - r[1]),
            )
            w(
                "Allocation sites holding more memory per in-flight call in tokenhot than in "
                "the LangChain floor (tracemalloc, KB per call; top 80 sites of each; the "
                "floor's own code is under `benchmarks/`, e.g. its `orjson.dumps` body):"
            )
            w("")
            w("| allocation site | lc-floor KB | tokenhot KB |")
            w("|---|---|---|")
            for site, a, b in rows[:10]:
                w(f"| `{site}` | {a:.2f} | {b:.2f} |")
            w("")
    hist = res.get("history", {})
    if hist:
        w("### History conversion (tool calls, tool results, images)")
        w("")
        keys = [k for k in ("tokenhot_request", "tokenhot_convert", "genai_parse") if k in hist]
        labels = {
            "tokenhot_request": "tokenhot body (download_urls + _request + orjson.dumps)",
            "tokenhot_convert": "tokenhot convert_messages",
            "genai_parse": "genai _parse_chat_history (no serialization)",
        }
        w("| messages | " + " | ".join(f"{labels[k]} µs | µs/msg" for k in keys) + " |")
        w("|---|" + "---|---|" * len(keys))
        for size in hist["linearity"]["sizes"]:
            w(
                f"| {size} | "
                + " | ".join(
                    f"{_f(hist[k][size]['us'])} | {_f(hist[k][size]['us_per_msg'], '.1f')}"
                    for k in keys
                )
                + " |"
            )
        w(
            "| log-log slope | "
            + " | ".join(f"{hist['linearity'][k]['loglog_slope']:.2f} | " for k in keys)
            + " |"
        )
        w("")
    imp = res.get("import", {})
    if imp:
        w(
            "### Import time (fresh interpreter, the import statement alone, "
            f"{cfg.import_reps} reps)"
        )
        w("")
        w("| module | wall ms | CPU ms | wall × langchain-core (paired median) |")
        w("|---|---|---|---|")
        for k, d in imp.items():
            if k == "extra_modules":
                continue
            w(f"| {k} | {_f(d['ms'])} | {_f(d['cpu_ms'])} | {_f(d['paired_ratio'], '.2f')}× |")
        w("")
        if imp.get("extra_modules"):
            w(
                "Imported by `langchain_tokenhot` on top of `langchain_core...chat_models` "
                "(`-X importtime` self time, one run):"
            )
            w("")
            w("| package | self ms | modules |")
            w("|---|---|---|")
            for pkg, ms, count in imp["extra_modules"]:
                w(f"| {pkg} | {ms:.1f} | {count} |")
            w("")
    prof = res.get("profile", {})
    if prof:
        w(
            "### Where the time goes (cProfile over httpx.MockTransport, GC paused; self time "
            "by package, µs per operation, profiler overhead included)"
        )
        w("")
        for label in ("invoke", "stream"):
            sec = prof.get(label)
            if not sec:
                continue
            cats = sorted(
                set(sec[FLOOR]["by_category"]) | set(sec[OURS]["by_category"]),
                key=lambda c: -sec[OURS]["by_category"].get(c, 0.0),
            )
            w(f"{label}:")
            w("")
            w("| package | lc-floor µs | tokenhot µs | Δ µs |")
            w("|---|---|---|---|")
            tf = tt = 0.0
            for c in cats:
                a = sec[FLOOR]["by_category"].get(c, 0.0)
                b = sec[OURS]["by_category"].get(c, 0.0)
                tf, tt = tf + a, tt + b
                w(f"| {c} | {a:.0f} | {b:.0f} | {b - a:+.0f} |")
            w(f"| **total** | {tf:.0f} | {tt:.0f} | {tt - tf:+.0f} |")
            w("")
            w(
                f"Largest self-time differences, tokenhot − lc-floor ({label}; µs per {label}; "
                "calls per operation floor → tokenhot):"
            )
            w("")
            w("| function | calls | self µs floor → tokenhot | Δ self µs |")
            w("|---|---|---|---|")
            for d in sec["diff"][:14]:
                c0, c1 = d["calls"]
                s0, s1 = d["self_us"]
                w(
                    f"| `{d['function']}` | {c0:.0f} → {c1:.0f} | {s0:.1f} → {s1:.1f} | "
                    f"{d['delta_self_us']:+.1f} |"
                )
            w("")
            w(f"Top langchain_tokenhot functions ({label}, cumulative, µs per {label}):")
            w("")
            w("| function | calls/op | self µs | cum µs |")
            w("|---|---|---|---|")
            for row in sec[OURS]["top"]:
                w(
                    f"| `{row['function']}` | {row['calls_per_op']:.0f} | {row['self_us']:.1f} | "
                    f"{row['cum_us']:.1f} |"
                )
            w("")
    attr = res.get("attribution", [])
    if attr:
        w("### Per-step attribution (timeit, no profiler; µs per call)")
        w("")
        w("| step | tokenhot µs | lc-floor µs | note |")
        w("|---|---|---|---|")
        for row in attr:
            w(
                f"| {row['step']} | {_f(row['ours_us'], '.1f')} | {_f(row['floor_us'], '.1f')} | "
                f"{row['note']} |"
            )
        w("")
    return "\n".join(out)


def write_readme(text: str) -> None:
    content = README.read_text() if README.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in content or END not in content:
        content += f"\n## Results\n\n{START}\n{END}\n"
    head, rest = content.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{text}\n{END}{tail}")


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

ALL_CASES = (
    "invoke",
    "stream",
    "cpu",
    "async",
    "https",
    "memory",
    "history",
    "import",
    "profile",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="~30-60 s smoke run")
    parser.add_argument(
        "--cases",
        default=",".join(ALL_CASES),
        help=f"comma-separated subset of {','.join(ALL_CASES)}",
    )
    parser.add_argument(
        "--clients", default="", help="comma-separated subset of " + ",".join(cl.CLIENTS)
    )
    parser.add_argument("--no-genai", action="store_true", help="skip ChatGoogleGenerativeAI")
    readme = parser.add_mutually_exclusive_group()
    readme.add_argument(
        "--readme",
        dest="readme",
        action="store_true",
        default=None,
        help="write the results into benchmarks/README.md (default: full runs)",
    )
    readme.add_argument("--no-readme", dest="readme", action="store_false")
    parser.add_argument("--worker-url", help=argparse.SUPPRESS)
    parser.add_argument("--worker-reps", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--worker-offset", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    cfg = QUICK if args.quick else FULL
    if args.worker_url:
        return worker_main(args, cfg)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(cases) - set(ALL_CASES)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    names = cl.available([n for n in args.clients.split(",") if n] or None)
    if args.no_genai:
        names = [n for n in names if n != GENAI]
    for required in (RAW, FLOOR, OURS):
        if required not in names:
            names.insert(0, required) if required == RAW else names.append(required)
    names = [n for n in cl.CLIENTS if n in names]
    if GENAI not in names and not args.no_genai:
        log(
            "langchain-google-genai is not installed: ChatGoogleGenerativeAI is skipped "
            "(pip install langchain-google-genai to compare)"
        )

    t_start = time.perf_counter()
    res: dict[str, Any] = {"env": environment(), "config": asdict(cfg), "clients": names}
    log(f"clients: {', '.join(names)}; cases: {', '.join(cases)}")
    timings: dict[str, float] = {}

    def timed(case: str, title: str, fn: Callable[[], Any], when: str | None = None) -> None:
        if (when or case) not in cases:
            return
        log(f"case: {title}")
        t0 = time.perf_counter()
        res[case] = fn()
        timings[case] = time.perf_counter() - t0
        log(f"  ({timings[case]:.0f} s)")

    with ServerProcess(chunks=cfg.chunks, text_bytes=cfg.text_bytes) as server:
        log(f"fake Gemini server at {server.base_url} (pid {server.proc.pid})")  # type: ignore[union-attr]
        if {"invoke", "stream"} & set(cases):
            log("case: sequential invoke and stream (fresh worker processes)")
            t0 = time.perf_counter()
            network = case_network(names, cfg, server.base_url)
            for case in ("invoke", "stream"):
                if case in cases:
                    res[case] = network[case]
            timings["invoke+stream"] = time.perf_counter() - t0
            log(f"  ({timings['invoke+stream']:.0f} s)")
        timed(
            "cpu",
            "client CPU over httpx.MockTransport",
            lambda: case_cpu(names, cfg, server.base_url),
        )
        timed("profile", "profile", lambda: case_profile(names, cfg, server.base_url))
        timed(
            "attribution",
            "per-step attribution",
            lambda: case_attribution(server.base_url, cfg),
            when="profile",
        )
        timed("async", "ainvoke under concurrency", lambda: case_async(server.base_url, names, cfg))
        timed(
            "memory", "memory per in-flight call", lambda: case_memory(names, cfg, server.base_url)
        )
    timed(
        "https", "HTTPS: calls/s and connections under concurrency", lambda: case_https(names, cfg)
    )
    timed("history", "history conversion", lambda: case_history(names, cfg))
    timed("import", "import time", lambda: case_import(names, cfg))
    res["case_seconds"] = timings
    res["elapsed_s"] = time.perf_counter() - t_start
    res["env"]["loadavg_end"] = os.getloadavg()
    res["targets"] = targets(res)

    text = render(res, cfg, args.quick)
    print(text)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (RESULTS_DIR / f"{stamp}{'-quick' if args.quick else ''}.json").write_text(
        json.dumps(res, indent=1, default=str)
    )
    write = args.readme if args.readme is not None else not args.quick
    if write:
        write_readme(text)
        log(f"results written to {README.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
