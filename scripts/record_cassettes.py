"""Build or re-record the cassettes of the standard integration suite, then index them.

    python scripts/record_cassettes.py [--prune] [--cassettes DIR] [-- extra pytest args]

* With `TOKENHOT_API_KEY` set: LIVE. Runs
  `pytest tests/integration_tests -o addopts= -p no:cacheprovider --record-mode=rewrite`
  (sockets allowed) with `TOKENHOT_CASSETTE_LIVE=1`: the model talks to `TOKENHOT_BASE_URL` when
  it is set (staging, a self-hosted gateway), else to https://api.tokenhot.ai; the downloads
  langchain-tests makes are recorded from their real URLs. Cassettes are marked
  "live recording, <date>" (plus the base URL when it is not the default).
* Without it: BUILD, offline. Starts `FakeGemini(default=ScriptedResponder())`
  (tests/integration_tests/cassette_script.py) on 127.0.0.1, sets `TOKENHOT_CASSETTE_BUILD=1`
  and `TOKENHOT_BASE_URL=<fake server>`, and runs `pytest tests/integration_tests
  --record-mode=rewrite` with the project's addopts (every socket but 127.0.0.1 blocked).
  Bodies are built from the documented wire format in the shape of real samples; each response
  says so in its `x-cassette-source` header.

Nothing recorded is lost: pytest records into an empty staging directory
(`TOKENHOT_CASSETTE_DIR`), and only afterwards is each cassette of a test that passed (or
xfailed, keeping the requests made before its known bug) moved into `cassettes/`. A test that
failed, errored or was skipped keeps its previous cassette; an interrupted run changes nothing;
a cassette holding a key or an auth header is never copied. Cassettes of tests that no longer
exist are removed only after a fully green run of the whole suite, or with `--prune`. The
summary lists what was re-recorded, what kept its old cassette and why, and what was removed;
cassettes/README.md is regenerated when anything changed. Exit status: pytest's (non-zero on any
failure), 3 when a recorded cassette fails the credential check.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
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
        # "live recording, <date>" or "live recording, <date>, base URL <url>"
        fields = source.split(", ")
        date = fields[1] if len(fields) > 1 else "?"
        base = fields[2].removeprefix("base URL ") if len(fields) > 2 else ""
        if host != TOKENHOT_HOST:
            source = f"live download from {host}, {date}"
        elif base:
            source = f"live recording from {base} (not Tokenhot), {date}"
        else:
            source = f"live Tokenhot recording, {date}"
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
            problems.append(f"{path.parent.name}/{path.name} contains the API key")
        requests, _ = _load(path)
        for request in requests:
            names = {name.lower() for name in request.headers}
            if bad := names.intersection(FORBIDDEN_HEADERS):
                problems.append(f"{path.parent.name}/{path.name} records header(s) {sorted(bad)}")
            if any(name == "key" for name, _ in request.query):
                problems.append(f"{path.parent.name}/{path.name} records a key= query parameter")
    return problems


def write_readme(
    paths: list[Path], *, when: str, readme: Path = README, root: Path = CASSETTES
) -> bool:
    """(Re)write the index when its content changed (the date alone does not count)."""
    old = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    previous_date = re.search(r"^Generated by .* on (\S+) —", old, re.MULTILINE)
    if previous_date and _readme_text(paths, previous_date[1], root) == old:
        return False
    readme.write_text(_readme_text(paths, when, root), encoding="utf-8")
    return True


def _readme_text(paths: list[Path], when: str, root: Path) -> str:
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
        rel = path.relative_to(root).as_posix()
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
            "`TOKENHOT_API_KEY` set: Gemini responses are what the server recorded against "
            "answered (api.tokenhot.ai unless the source below names another base URL), "
            "downloads are the real files (dates below)."
        )
    legend = "\n".join(
        f"- **{sid}** ({counts[source]}×): {source}" for source, sid in sources.items()
    )
    return (
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
and has none); requests match on method, URI and the exact body bytes (except the line
indentation of `description` strings, which Python 3.13 strips from docstrings). Request headers are
reduced to `content-type` (no `authorization` / `x-goog-api-key`, no key in any URL) and response
headers to `content-type` plus `x-cassette-source`, which names where each body came from.
A test marked xfail (a known package bug) keeps only the requests made before it failed; once
the bug is fixed and the xfail removed, re-record with
`python scripts/record_cassettes.py -- -k <test name>`.

A re-record never loses a cassette: the suite records into a staging directory, and only the
cassettes of tests that passed (or xfailed) replace the old ones. A test that fails keeps its
previous cassette, a failed or interrupted run deletes nothing, and cassettes of tests that no
longer exist are removed only after a fully green run of the whole suite (or with `--prune`).

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


def cassette_name(classname: str, name: str) -> str:
    """Where a test's cassette lives, as the integration conftest names it."""
    for ch in r"<>?%*:|\"'/\\":
        name = name.replace(ch, "-")
    return f"{classname.rsplit('.', 1)[-1]}/{name}.yaml"


def read_outcomes(junit_xml: Path) -> dict[str, tuple[str, str]]:
    """cassette name -> (outcome, reason) for every test in pytest's JUnit report.

    Outcomes: passed, xfailed, failed, error, skipped; reason is the first line of the message.
    """
    import xml.etree.ElementTree as ET

    outcomes: dict[str, tuple[str, str]] = {}
    for case in ET.parse(junit_xml).getroot().iter("testcase"):
        outcome, reason = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                reason = (child.get("message") or child.text or "").strip().splitlines()
                reason = reason[0] if reason else ""
                if child.tag == "skipped":
                    outcome = "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
                else:
                    outcome = "failed" if child.tag == "failure" else "error"
                break
        outcomes[cassette_name(case.get("classname", ""), case.get("name", ""))] = (
            outcome,
            reason[:160],
        )
    return outcomes


def _all_cassette_names(env: dict[str, str]) -> set[str]:
    """Cassette names of every test in the suite (for --prune after a partial run)."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/integration_tests", "--collect-only", "-q"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = set()
    for line in out.splitlines():
        if "::" in line:
            *_, classname, name = line.strip().split("::")
            names.add(cassette_name(classname, name))
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--prune",
        action="store_true",
        help="remove cassettes of tests that no longer exist even if the run is not fully green",
    )
    parser.add_argument(
        "--cassettes",
        type=Path,
        default=CASSETTES,
        help="cassette library to update (default: cassettes/)",
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    target: Path = args.cassettes.resolve()

    key = os.environ.get("TOKENHOT_API_KEY") or None
    live = key is not None
    started = time.monotonic()
    staging = Path(tempfile.mkdtemp(prefix="tokenhot-cassettes-"))
    report = staging / "junit.xml"
    env = dict(os.environ, TOKENHOT_CASSETTE_DIR=str(staging / "cassettes"))
    server = None
    if live:
        env.pop("TOKENHOT_CASSETTE_BUILD", None)
        env["TOKENHOT_CASSETTE_LIVE"] = "1"
        # langchain-tests downloads its audio sample from wikimedia.org, which asks for one.
        env.setdefault("LANGCHAIN_TESTS_USER_AGENT", "langchain-tokenhot cassette recorder")
        base = env.get("TOKENHOT_BASE_URL") or f"https://{TOKENHOT_HOST}"
        print(f"LIVE: re-recording against {base} (TOKENHOT_API_KEY is set)")
    else:
        from tests.integration_tests.cassette_script import ScriptedResponder
        from tests.support.fake_gemini import FakeGemini

        server = FakeGemini(default=ScriptedResponder()).start()
        env.pop("TOKENHOT_API_KEY", None)
        env.pop("TOKENHOT_CASSETTE_LIVE", None)
        for var in PROXY_VARS:
            env.pop(var, None)
        env.update(TOKENHOT_CASSETTE_BUILD="1", TOKENHOT_BASE_URL=server.base_url)
        print(
            f"BUILD: no TOKENHOT_API_KEY; scripted fake Gemini at {server.base_url} "
            "(sockets other than 127.0.0.1 stay blocked)"
        )
    cmd = [*_pytest_command(live, args.pytest_args), f"--junitxml={report}"]
    print("$", " ".join(cmd))
    try:
        rc = subprocess.call(cmd, cwd=REPO, env=env)
    except KeyboardInterrupt:
        rc = 2
    finally:
        if server is not None:
            errors = server.errors
            server.stop()
            for exc in errors:
                print(f"fake server error: {exc!r}")
    try:
        return _apply(args, target, staging, report, rc, key, live, env, started)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _apply(
    args: argparse.Namespace,
    target: Path,
    staging: Path,
    report: Path,
    rc: int,
    key: str | None,
    live: bool,
    env: dict[str, str],
    started: float,
) -> int:
    """Move what passing tests recorded into `target`; say what happened to every cassette."""
    # pytest: 2 = interrupted, 3 = internal error, 4 = usage error; none of them ran the suite.
    if rc in (2, 3, 4) or not report.is_file():
        print(f"pytest exit status {rc}: the run did not complete; no cassette was changed.")
        return rc or 2
    outcomes = read_outcomes(report)
    recorded = staging / "cassettes"
    problems = check_secrets(sorted(recorded.rglob("*.yaml")), key)
    if problems:
        for problem in problems:
            print(f"CREDENTIAL CHECK FAILED: {problem}")
        print("no cassette was changed.")
        return 3

    rerecorded: list[str] = []
    kept: list[tuple[str, str]] = []
    changed = False
    for name, (outcome, reason) in sorted(outcomes.items()):
        new, old = recorded / name, target / name
        if outcome in ("passed", "xfailed") and new.is_file():
            rerecorded.append(name)
            if old.is_file() and old.read_bytes() == new.read_bytes():
                continue
            changed = True
            old.parent.mkdir(parents=True, exist_ok=True)
            # Copy beside the old file, then rename over it: never a half-written cassette.
            partial = old.with_suffix(".yaml.partial")
            shutil.copyfile(new, partial)
            os.replace(partial, old)
        elif outcome not in ("passed", "xfailed") and old.is_file():
            kept.append((name, f"{outcome}: {reason}" if reason else outcome))

    removed: list[str] = []
    full_green = rc == 0 and not args.pytest_args
    if full_green or args.prune:
        existing = set(outcomes) if full_green else _all_cassette_names(env)
        # A test that passed without recording makes no request: its old cassette is unused.
        unused = {n for n, (o, _) in outcomes.items() if o == "passed" and n not in rerecorded}
        for path in sorted(target.rglob("*.yaml")):
            name = path.relative_to(target).as_posix()
            if name not in existing or name in unused:
                path.unlink()
                removed.append(name)

    for name in rerecorded:
        print(f"re-recorded {name}")
    for name, why in kept:
        print(f"KEPT OLD    {name} ({why})")
    for name in removed:
        print(f"removed     {name} (no such test any more)")
    if not (full_green or args.prune):
        print("(stale cassettes are removed only after a fully green full run, or with --prune)")

    paths = sorted(target.rglob("*.yaml"))
    when = datetime.datetime.now(datetime.UTC).date().isoformat()
    # A run that changed nothing leaves the index alone too (even if it is out of date).
    readme = target / "README.md"
    if (changed or removed or full_green) and write_readme(
        paths, when=when, readme=readme, root=target
    ):
        print(f"regenerated {target.name}/README.md")
    n = sum(len(_load(p)[0]) for p in paths)
    print(
        f"{'re-recorded live' if live else 'built'} {len(rerecorded)} cassette(s) "
        f"({'some' if changed else 'none'} changed), "
        f"kept {len(kept)} old one(s), removed {len(removed)}; "
        f"{len(paths)} cassettes / {n} interactions; "
        f"pytest exit status {rc}; {time.monotonic() - started:.1f}s"
    )
    return rc


if __name__ == "__main__":
    sys.exit(main())
