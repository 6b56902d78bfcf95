"""scripts/record_cassettes.py in LIVE mode (a key is set) against local servers.

The recorder runs as a user runs it, in a subprocess, on a copy of `cassettes/` (`--cassettes`),
so the repository's own cassettes are never touched. "Live" here is a fake Gemini on 127.0.0.1
that answers only requests carrying the key and refuses every stream: some tests pass and are
re-recorded, the stream tests fail and must keep their old cassettes.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from vcr.serialize import deserialize
from vcr.serializers import yamlserializer

from tests.integration_tests.cassette_script import SOURCE_HEADER, ScriptedResponder
from tests.integration_tests.conftest import wire_body
from tests.support.fake_gemini import (
    Action,
    FakeGemini,
    RecordedRequest,
    Respond,
    error,
    google_error,
    unused_port,
)

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-live-recorder-secret-1234567890"
CLASS_DIR = "TestChatTokenhotGeminiIntegration"


class KeyCheckingGateway:
    """Tokenhot-like: 401 without `Authorization: Bearer <KEY>`, 503 on every stream.

    Other answers are the scripted ones, without their `x-cassette-source` header (a real
    gateway sends none), so the recorder has to label them as live recordings.
    """

    def __init__(self) -> None:
        self.scripted = ScriptedResponder()

    def __call__(self, request: RecordedRequest) -> Action:
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return error(401, google_error(401, "missing or wrong API key"))
        if request.operation == "streamGenerateContent":
            return error(503, google_error(503, "streams are down on this gateway"))
        action = self.scripted(request)
        assert isinstance(action, Respond), "only non-stream answers reach here"
        headers = tuple((k, v) for k, v in action.headers if k.lower() != SOURCE_HEADER)
        return dataclasses.replace(action, headers=headers)


def snapshot(library: Path) -> dict[str, bytes]:
    return {
        p.relative_to(library).as_posix(): p.read_bytes() for p in library.rglob("*") if p.is_file()
    }


@pytest.fixture
def library(tmp_path: Path) -> Path:
    copy = tmp_path / "cassettes"
    shutil.copytree(REPO / "cassettes", copy)
    return copy


@pytest.fixture
def gateway() -> Iterator[FakeGemini]:
    with FakeGemini(default=KeyCheckingGateway()) as server:
        yield server


def record(
    library: Path, base_url: str | None, *pytest_args: str
) -> subprocess.CompletedProcess[str]:
    """Run the recorder on `library`: live against `base_url`, or the offline build (None)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENHOT_")}
    if base_url is not None:
        # Downloads langchain-tests makes must fail the same way with or without internet.
        env.update(
            TOKENHOT_API_KEY=KEY,
            TOKENHOT_BASE_URL=base_url,
            HTTPS_PROXY="http://127.0.0.1:9",
            HTTP_PROXY="http://127.0.0.1:9",
            NO_PROXY="127.0.0.1",
        )
    cmd = [sys.executable, "scripts/record_cassettes.py", "--cassettes", str(library)]
    if pytest_args:
        cmd += ["--", *pytest_args]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)


def add_stale_cassette(library: Path) -> str:
    """A cassette no test uses any more (as after renaming a test)."""
    name = f"{CLASS_DIR}/test_renamed_long_ago.yaml"
    shutil.copyfile(library / CLASS_DIR / "test_invoke.yaml", library / name)
    return name


def test_live_rerecord_honours_base_url_and_keeps_cassettes_of_failing_tests(
    library: Path, gateway: FakeGemini
) -> None:
    before = snapshot(library)
    result = record(library, gateway.base_url, "-k", "test_invoke or test_stream or test_batch")
    out = result.stdout

    assert result.returncode != 0, out
    assert f"LIVE: re-recording against {gateway.base_url}" in out
    # The live path reached our server (not api.tokenhot.ai), always with the key.
    assert gateway.requests
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in gateway.requests)
    after = snapshot(library)
    assert set(after) == set(before), "a cassette was deleted or added"

    invoke = f"{CLASS_DIR}/test_invoke.yaml"
    stream = f"{CLASS_DIR}/test_stream[model0].yaml"
    assert f"re-recorded {invoke}" in out
    assert after[invoke] != before[invoke]
    text = after[invoke].decode()
    # Recorded from the local server, stored under the default base URL, marked as such.
    assert (
        "uri: https://api.tokenhot.ai/v1beta/models/gemini-3-flash-preview:generateContent" in text
    )
    assert f"base URL {gateway.base_url}" in text
    assert f"KEPT OLD    {stream} (failed" in out
    assert after[stream] == before[stream]
    for name, data in after.items():
        assert KEY.encode() not in data, f"{name} holds the key"
        assert b"Bearer" not in data, name
    assert "stale cassettes are removed only after" in out


def test_failed_run_against_a_closed_port_changes_nothing(library: Path) -> None:
    stale = add_stale_cassette(library)
    before = snapshot(library)
    result = record(library, f"http://127.0.0.1:{unused_port()}")

    assert result.returncode != 0, result.stdout
    # Not even the stale cassette goes: the run was not green.
    assert snapshot(library) == before, "a failed re-record changed the cassettes"
    kept = [line for line in result.stdout.splitlines() if line.startswith("KEPT OLD")]
    assert len(kept) == len([n for n in before if n.endswith(".yaml")]) - 1  # all but `stale`
    assert stale in before
    assert "re-recorded live 0 cassette(s)" in result.stdout


def test_run_that_does_not_complete_changes_nothing(library: Path, gateway: FakeGemini) -> None:
    before = snapshot(library)
    result = record(library, gateway.base_url, "--no-such-pytest-option")

    assert result.returncode == 4, result.stdout  # pytest's usage error, passed on
    assert "the run did not complete; no cassette was changed" in result.stdout
    assert snapshot(library) == before


def test_interrupted_run_changes_nothing(library: Path, tmp_path: Path) -> None:
    """Ctrl-C once pytest has recorded its first cassette: nothing moves into the library."""
    staging_root = tmp_path / "tmp"
    staging_root.mkdir()
    stale = add_stale_cassette(library)
    # Marked, so that a cassette moved in from the (otherwise byte-identical) rebuild shows.
    for path in library.rglob("*.yaml"):
        path.write_bytes(path.read_bytes() + b"# previous recording\n")
    before = snapshot(library)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENHOT_")}
    env["TMPDIR"] = str(staging_root)  # where the recorder makes its staging directory
    proc = subprocess.Popen(
        [sys.executable, "scripts/record_cassettes.py", "--cassettes", str(library)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        while not any(staging_root.glob("*/cassettes/*/*.yaml")):
            assert proc.poll() is None, "the recorder ended before recording anything"
            assert time.monotonic() < deadline, "no cassette recorded in 120 s"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    assert proc.returncode == 2, out
    assert "the run did not complete; no cassette was changed" in out
    assert snapshot(library) == before
    assert stale in before
    assert not any(staging_root.iterdir()), "the staging directory was left behind"


def test_fully_green_build_removes_only_stale_cassettes(library: Path) -> None:
    stale = add_stale_cassette(library)
    before = snapshot(library)
    result = record(library, None)  # the offline build: every test passes

    assert result.returncode == 0, result.stdout + result.stderr
    after = snapshot(library)
    assert f"removed     {stale} (no such test any more)" in result.stdout
    assert set(after) == set(before) - {stale}
    # The build is reproducible: every cassette a test uses comes back with the same requests as
    # replay matches them. Not byte for byte: concurrent calls (batch) are recorded in the order
    # they happened to run, and on Python 3.13 docstrings lose their indentation, which changes
    # tool descriptions and so the scripted answers seeded from the body.
    for name in after:
        if name.endswith(".yaml"):
            assert sorted(replay_keys(after[name])) == sorted(replay_keys(before[name])), name


def replay_keys(cassette: bytes) -> list[tuple[str, str, bytes]]:
    """What replay matches a cassette's requests on: method, URI, body (see the conftest)."""
    requests, _ = deserialize(cassette.decode(), yamlserializer)
    return [(r.method, r.uri, wire_body(r.body)) for r in requests]
