"""The HTTPS case: calls per second and connections opened, over TLS, under concurrency.

Against a real deployment every new connection is a TLS handshake, so what matters there is
how well a client reuses its pooled keep-alive connections when many callers share it. This
case measures it on 127.0.0.1, with a certificate made at run time:

* ``trustme`` (a benchmark-only dependency: ``pip install trustme``) makes a throwaway CA and a
  certificate for 127.0.0.1, written to a temporary directory that is deleted afterwards.
* The fake Gemini server runs as its own process over TLS (``serve``, below: the benchmark's
  ``fake_server`` wrapper with an ``ssl=`` context), and counts the connections it accepts.
* The clients run in a worker process (``measure``) whose ``SSL_CERT_FILE`` names the throwaway
  CA: httpx's default context (used by raw httpx, the LangChain floor and langchain-tokenhot's
  shared pools alike) then trusts it, and verification stays on, as in production.

Rows: 1, 32 and 64 threads calling ``invoke()`` on one shared client (warmed up by one call),
and 100 and 1,000 ``ainvoke()`` calls in flight on one event loop. For each: calls per second
(wall) and the connections the server accepted during the row. Clients and rows are
interleaved over repetitions (the order rotates); figures are medians.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPO = Path(__file__).resolve().parents[1]

THREAD_ROWS = (1, 32, 64)
ASYNC_ROWS = (100, 1000)


def row_names() -> list[str]:
    return [f"{n} thread{'s' if n > 1 else ''}" for n in THREAD_ROWS] + [
        f"{n} async in flight" for n in ASYNC_ROWS
    ]


def concurrency(row: str) -> int:
    return int(row.split()[0])


def trustme_installed() -> bool:
    try:
        import trustme  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# The TLS server process
# --------------------------------------------------------------------------------------------


def serve(argv: list[str]) -> int:
    """``fake_server`` over TLS; answers ``count`` on stdin with the connections accepted."""
    parser = argparse.ArgumentParser(prog="benchmarks.https serve")
    parser.add_argument("--cert-chain", required=True, help="PEM: key and certificate chain")
    args, rest = parser.parse_known_args(argv)

    from benchmarks import fake_server  # raises the listen backlog (see its docstring)
    from tests.support import fake_gemini

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert_chain)
    start_with_backlog = asyncio.start_server

    async def start_tls_server(*a: Any, **kw: Any) -> asyncio.Server:
        kw["ssl"] = context
        kw["ssl_handshake_timeout"] = 60.0
        return await start_with_backlog(*a, **kw)

    asyncio.start_server = start_tls_server  # type: ignore[assignment]
    servers: list[Any] = []
    start = fake_gemini.FakeGemini.start

    def start_and_keep(self: Any) -> Any:
        servers.append(self)
        return start(self)

    fake_gemini.FakeGemini.start = start_and_keep  # type: ignore[method-assign]

    def answer_counts() -> None:
        for line in sys.stdin:
            if line.strip() == "count" and servers:
                print(f"COUNT {servers[0].total_connections}", flush=True)

    threading.Thread(target=answer_counts, daemon=True).start()
    del fake_server
    return fake_gemini.main(rest)


class TLSServer:
    """The TLS server process, started and stopped by the measuring worker."""

    def __init__(self, cert_chain: str, *, chunks: int = 50, text_bytes: int = 200) -> None:
        self.args = [
            sys.executable,
            "-m",
            "benchmarks.https",
            "serve",
            "--cert-chain",
            cert_chain,
            "--port",
            "0",
            "--chunks",
            str(chunks),
            "--text-bytes",
            str(text_bytes),
        ]
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self._lock = threading.Lock()

    def __enter__(self) -> TLSServer:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            self.args,
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            self.__exit__()
            raise RuntimeError("TLS fake server did not start: " + " ".join(self.args))
        self.base_url = line.split()[1].replace("http://", "https://")
        return self

    def connections(self) -> int:
        """Connections the server accepted since it started."""
        assert self.proc is not None
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None
        assert stdout is not None
        with self._lock:
            stdin.write("count\n")
            stdin.flush()
            while True:
                line = stdout.readline()
                if line.startswith("COUNT "):
                    return int(line.split()[1])
                if not line:
                    raise RuntimeError("TLS fake server exited")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


# --------------------------------------------------------------------------------------------
# The measuring worker
# --------------------------------------------------------------------------------------------


def _thread_row(call: Callable[[], Any], threads: int, per_thread: int) -> tuple[float, int]:
    """Seconds for `threads` threads to make `per_thread` calls each (started together), and
    how many calls failed.

    A failed call is counted (and its first error printed), not raised: one baseline client
    without retries hitting one server-side disconnect must not throw away the whole run."""
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        for _ in range(per_thread):
            try:
                call()
            except Exception as exc:  # a failure is counted, the row goes on
                errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - t0
    if errors:
        print(f"  {len(errors)} failed call(s), first: {errors[0]!r}", file=sys.stderr, flush=True)
    return elapsed, len(errors)


def measure(argv: list[str]) -> int:
    """Run every row for every client; print the raw figures as JSON."""
    parser = argparse.ArgumentParser(prog="benchmarks.https measure")
    parser.add_argument("--cert-chain", required=True)
    parser.add_argument("--clients", required=True)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--calls", type=int, default=640, help="calls per thread row")
    parser.add_argument("--waves", type=int, default=2, help="waves per async row")
    args = parser.parse_args(argv)

    from benchmarks import clients as cl

    names = args.clients.split(",")
    out: dict[str, dict[str, dict[str, list[float]]]] = {
        row: {n: {"calls_s": [], "connections": [], "calls": [], "failed": []} for n in names}
        for row in row_names()
    }
    with TLSServer(args.cert_chain) as server:
        made = {
            cl.RawHttpx.name: cl.RawHttpx,
            cl.LangChainFloor.name: cl.LangChainFloor,
            cl.Tokenhot.name: cl.Tokenhot,
        }
        clients = {n: made[n](server.base_url) for n in names}
        for client in clients.values():
            client.invoke()  # warm: the pool exists, one connection is open
        loop = asyncio.new_event_loop()
        try:
            for client in clients.values():
                loop.run_until_complete(client.aopen())
                loop.run_until_complete(client.ainvoke())
            for rep in range(args.reps):
                order = names[rep % len(names) :] + names[: rep % len(names)]
                for row in row_names():
                    n = concurrency(row)
                    for name in order:
                        client = clients[name]
                        before = server.connections()
                        if "thread" in row:
                            per_thread = max(1, args.calls // n) if n > 1 else args.calls // 4
                            calls = per_thread * n
                            elapsed, failed = _thread_row(client.invoke, n, per_thread)
                        else:
                            calls = n * args.waves

                            async def waves(
                                c: cl.Client = client, k: int = n
                            ) -> tuple[float, list[BaseException]]:
                                failures: list[BaseException] = []
                                t0 = time.perf_counter()
                                for _ in range(args.waves):
                                    done = await asyncio.gather(
                                        *(c.ainvoke() for _ in range(k)), return_exceptions=True
                                    )
                                    failures += [d for d in done if isinstance(d, BaseException)]
                                return time.perf_counter() - t0, failures

                            elapsed, failures = loop.run_until_complete(waves())
                            failed = len(failures)
                            if failures:
                                print(
                                    f"  {failed} failed call(s), first: {failures[0]!r}",
                                    file=sys.stderr,
                                    flush=True,
                                )
                        opened = server.connections() - before
                        cell = out[row][name]
                        cell["calls_s"].append(calls / elapsed)
                        cell["connections"].append(opened)
                        cell["calls"].append(calls)
                        cell["failed"].append(failed)
                        print(
                            f"  rep {rep + 1} {row:>20} {name:>10}: {calls / elapsed:7.0f} calls/s,"
                            f" {opened} connections for {calls} calls"
                            + (f", {failed} failed" if failed else ""),
                            file=sys.stderr,
                            flush=True,
                        )
            for client in clients.values():
                loop.run_until_complete(client.aclose())
        finally:
            loop.close()
        for client in clients.values():
            client.close()
    print(json.dumps(out))
    return 0


# --------------------------------------------------------------------------------------------
# Called by benchmarks/run.py
# --------------------------------------------------------------------------------------------


def case_https(names: list[str], reps: int, calls: int, waves: int) -> dict[str, Any]:
    """Make the throwaway CA, run the worker with it trusted, return medians and raw figures."""
    import trustme

    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    names = [n for n in names if n in ("raw-httpx", "lc-floor", "tokenhot")]
    with tempfile.TemporaryDirectory(prefix="tokenhot-bench-tls-") as tmp:
        ca_file = Path(tmp) / "ca.pem"
        chain = Path(tmp) / "server.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        leaf.private_key_and_cert_chain_pem.write_to_path(str(chain))
        env = dict(os.environ)
        env["SSL_CERT_FILE"] = str(ca_file)
        env.pop("SSL_CERT_DIR", None)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.https",
            "measure",
            "--cert-chain",
            str(chain),
            "--clients",
            ",".join(names),
            "--reps",
            str(reps),
            "--calls",
            str(calls),
            "--waves",
            str(waves),
        ]
        proc = subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"HTTPS worker failed (exit {proc.returncode})")
    raw: dict[str, dict[str, dict[str, list[float]]]] = json.loads(proc.stdout)
    rows: dict[str, Any] = {}
    for row, per_client in raw.items():
        rows[row] = {}
        floor = per_client.get("lc-floor", {}).get("calls_s")
        for name, cell in per_client.items():
            ratios = [f / c for f, c in zip(floor, cell["calls_s"], strict=True)] if floor else []
            rows[row][name] = {
                "calls_s": statistics.median(cell["calls_s"]),
                "connections": statistics.median(cell["connections"]),
                "connections_max": max(cell["connections"]),
                "calls": cell["calls"][0],
                "failed": sum(cell.get("failed", ())),
                "floor_over_us": statistics.median(ratios) if ratios else None,
                "raw": cell,
            }
    return {"rows": rows, "reps": reps}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "serve":
        return serve(argv[1:])
    if argv and argv[0] == "measure":
        return measure(argv[1:])
    print("usage: python -m benchmarks.https {serve|measure} ... (run by benchmarks.run)")
    return 2


if __name__ == "__main__":
    sys.exit(main())
