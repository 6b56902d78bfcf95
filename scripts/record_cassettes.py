"""Build or re-record every cassette of the standard integration suite, then index them.

    python scripts/record_cassettes.py [extra pytest args, e.g. -k test_invoke]

* With `TOKENHOT_API_KEY` set: LIVE. Runs
  `pytest tests/integration_tests -o addopts= -p no:cacheprovider --record-mode=rewrite`
  (sockets allowed) against https://api.tokenhot.ai; the downloads langchain-tests makes are
  recorded from their real URLs. Cassettes are marked "live recording, <date>".
* Without it: BUILD, offline. Starts `FakeGemini(default=ScriptedResponder())`
  (tests/integration_tests/cassette_script.py) on 127.0.0.1, sets `TOKENHOT_CASSETTE_BUILD=1`
  and `TOKENHOT_BASE_URL=<fake server>`, and runs `pytest tests/integration_tests
  --record-mode=rewrite` with the project's addopts (every socket but 127.0.0.1 blocked).
  Bodies are built from the documented wire format in the shape of real samples; each response
  says so in its `x-cassette-source` header.

Either way it then deletes cassettes no test wrote (renamed/removed tests), checks that no
cassette holds a key or an auth header, and regenerates cassettes/README.md: one row per
cassette with its interactions and the source of each. Exit status: pytest's, or 3 when a
cassette fails the credential check.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
CASSETTES = REPO / "cassettes"
README = CASSETTES / "README.md"
SOURCE_HEADER = "x-cassette-source"
TOKENHOT_HOST = "api.tokenhot.ai"
FORBIDDEN_HEADERS = ("authorization", "x-goog-api-key", "api-key", "x-api-key")
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")

sys.path.insert(0, str(REPO))


def _pytest_command(live: bool, extra: list[str]) -> list[str]:
    cmd = [sys.executable, "-m", "pytest", "tests/integration_tests", "-q", "-rfEx"]
    if live:
        # Drop the project's addopts (--disable-socket, --record-mode=none) to reach Tokenhot.
        cmd += ["-o", "addopts=", "-p", "no:cacheprovider"]
    return [*cmd, "--record-mode=rewrite", *extra]


def _load(path: Path) -> tuple[list[Any], list[dict[str, Any]]]:
    from vcr.serialize import deserialize
    from vcr.serializers import yamlserializer

    return deserialize(path.read_text(encoding="utf-8"), yamlserializer)


def _header(response: dict[str, Any], name: str) -> str | None:
    for key, values in response.get("headers", {}).items():
        if key.lower() == name:
            return values[0] if isinstance(values, list) and values else str(values)
    return None


def _describe(request: Any, response: dict[str, Any]) -> str:
    source = _header(response, SOURCE_HEADER) or "unknown (no x-cassette-source header)"
    host = request.host
    if source.startswith("live recording"):
        date = source.split(",", 1)[1].strip() if "," in source else "?"
        source = (
            f"live Tokenhot recording, {date}"
            if host == TOKENHOT_HOST
            else f"live download from {host}, {date}"
        )
    return source


def _operation(request: Any) -> str:
    path = request.path
    op = path.rsplit(":", 1)[-1] if ":" in path.rsplit("/", 1)[-1] else path.rsplit("/", 1)[-1]
    model = ""
    if "/models/" in path:
        model = path.split("/models/", 1)[1].split(":", 1)[0] + " "
    return f"{request.method} {model}{op}"


def check_secrets(paths: list[Path], key: str | None) -> list[str]:
    """Problems found: a key in any cassette, or an auth header on a recorded request."""
    problems = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if key and key in text:
            problems.append(f"{path.relative_to(REPO)} contains the API key")
        requests, _ = _load(path)
        for request in requests:
            names = {name.lower() for name in request.headers}
            if bad := names.intersection(FORBIDDEN_HEADERS):
                problems.append(f"{path.relative_to(REPO)} records header(s) {sorted(bad)}")
            if any(name == "key" for name, _ in request.query):
                problems.append(f"{path.relative_to(REPO)} records a key= query parameter")
    return problems


def write_readme(paths: list[Path], *, when: str) -> None:
    sources: dict[str, str] = {}  # source text -> id, in order of first appearance
    counts: Counter[str] = Counter()
    rows = []
    total = 0
    for path in paths:
        requests, responses = _load(path)
        lines = []
        for i, (request, response) in enumerate(zip(requests, responses, strict=True), 1):
            source = _describe(request, response)
            sid = sources.setdefault(source, f"S{len(sources) + 1}")
            counts[source] += 1
            status = response.get("status", {}).get("code", "?")
            lines.append(f"{i}. `{_operation(request)}` → {status} [{sid}]")
        total += len(requests)
        rel = path.relative_to(CASSETTES).as_posix()
        rows.append(f"| [`{rel}`]({quote(rel)}) | {len(requests)} | {'<br>'.join(lines)} |")
    live = sum(n for source, n in counts.items() if source.startswith("live "))
    built = total - live
    how = []
    if built:
        how.append(
            f"**{built} of {total} interactions were built offline from the documented wire "
            "format — they are not recordings of Tokenhot.** `scripts/record_cassettes.py` "
            "(run without `TOKENHOT_API_KEY`) played the suite against "
            "`FakeGemini(default=ScriptedResponder())` "
            "(`tests/integration_tests/cassette_script.py`) on 127.0.0.1 with every other socket "
            "blocked. Each Gemini body is built from `shared/reference/gemini-wire-format.md` in "
            "the shape (keys, key order, signature placement, cumulative stream usage) of the real "
            "sample named in its source; thought signatures are synthetic (base64 of "
            "`cassette-script-signature:` + a hash). The files langchain-tests downloads (PNG, "
            "PDF, WAV URLs) are tiny placeholder files recorded under their original URLs."
        )
    if live:
        how.append(
            f"**{live} of {total} interactions are live recordings** made with "
            "`TOKENHOT_API_KEY` set: Gemini responses are what api.tokenhot.ai answered, "
            "downloads are the real files (dates below)."
        )
    legend = "\n".join(
        f"- **{sid}** ({counts[source]}×): {source}" for source, sid in sources.items()
    )
    text = (
        f"""# Cassettes of the standard integration suite

Generated by `scripts/record_cassettes.py` on {when} — do not edit by hand.

{chr(10).join(f"{paragraph}{chr(10)}" for paragraph in how)}
Replay (the default, offline; pyproject's addopts give `--record-mode=none` and block every
socket but 127.0.0.1):

    python -m pytest tests/integration_tests -q

Rebuild offline (no key) or re-record live (with a key) — one command either way:

    python scripts/record_cassettes.py                              # offline build
    TOKENHOT_API_KEY=sk-... python scripts/record_cassettes.py      # live re-record

Each test of `tests/integration_tests/test_standard.py` replays
`cassettes/<TestClass>/<test name>.yaml` (`test_no_overrides_DO_NOT_OVERRIDE` makes no request
and has none); requests match on method, URI and the exact body bytes. Request headers are
reduced to `content-type` (no `authorization` / `x-goog-api-key`, no key in any URL) and response
headers to `content-type` plus `x-cassette-source`, which names where each body came from.
A test marked xfail (a known package bug) keeps only the requests made before it failed; once
the bug is fixed and the xfail removed, re-record with
`python scripts/record_cassettes.py -k <test name>`.

## Sources

{legend}

## Cassettes

{len(paths)} cassettes, {total} interactions.

| Cassette | Interactions | Each interaction → status [source] |
|---|---|---|
"""
        + "\n".join(rows)
        + "\n"
    )
    README.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)

    key = os.environ.get("TOKENHOT_API_KEY") or None
    live = key is not None
    started = time.monotonic()
    before = {p: p.stat().st_mtime_ns for p in CASSETTES.rglob("*.yaml")}
    env = dict(os.environ)
    server = None
    if live:
        env.pop("TOKENHOT_CASSETTE_BUILD", None)
        # langchain-tests downloads its audio sample from wikimedia.org, which asks for one.
        env.setdefault("LANGCHAIN_TESTS_USER_AGENT", "langchain-tokenhot cassette recorder")
        print(f"LIVE: re-recording against https://{TOKENHOT_HOST} (TOKENHOT_API_KEY is set)")
    else:
        from tests.integration_tests.cassette_script import ScriptedResponder
        from tests.support.fake_gemini import FakeGemini

        server = FakeGemini(default=ScriptedResponder()).start()
        env.pop("TOKENHOT_API_KEY", None)
        for var in PROXY_VARS:
            env.pop(var, None)
        env.update(TOKENHOT_CASSETTE_BUILD="1", TOKENHOT_BASE_URL=server.base_url)
        print(
            f"BUILD: no TOKENHOT_API_KEY; scripted fake Gemini at {server.base_url} "
            "(sockets other than 127.0.0.1 stay blocked)"
        )
    cmd = _pytest_command(live, args.pytest_args)
    print("$", " ".join(cmd))
    try:
        rc = subprocess.call(cmd, cwd=REPO, env=env)
    finally:
        if server is not None:
            errors = server.errors
            server.stop()
            for exc in errors:
                print(f"fake server error: {exc!r}")

    paths = sorted(CASSETTES.rglob("*.yaml"))
    written = [p for p in paths if before.get(p) != p.stat().st_mtime_ns]
    stale = [p for p in paths if p not in written]
    if not args.pytest_args:
        # A full run rewrites every cassette a test uses; the rest belong to no test any more.
        for path in stale:
            path.unlink()
            print(f"removed stale cassette {path.relative_to(REPO)}")
        paths = written
    problems = check_secrets(paths, key)
    for problem in problems:
        print(f"CREDENTIAL CHECK FAILED: {problem}")
    when = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    write_readme(paths, when=when)
    n = sum(len(_load(p)[0]) for p in paths)
    print(
        f"{'re-recorded live' if live else 'built'} {len(written)} cassette(s); "
        f"{len(paths)} cassettes / {n} interactions indexed in {README.relative_to(REPO)}; "
        f"pytest exit status {rc}; {time.monotonic() - started:.1f}s"
    )
    if problems:
        return 3
    return rc


if __name__ == "__main__":
    sys.exit(main())
