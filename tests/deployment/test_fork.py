"""Forked and spawned workers after the parent used the model: each gets its own answers.

Without fork handling, children inherit the parent's pooled keep-alive connection and write
their requests onto the same socket: answers cross between processes or arrive garbled.
"""

from __future__ import annotations

import multiprocessing
import os
import time

import orjson
import pytest

from langchain_tokenhot import TokenhotTimeoutError
from tests.deployment.workers import ask, make
from tests.support.fake_gemini import FakeGemini, stall

TRIALS = 4
CHILDREN = 3
CALLS = 3


def _child(server: FakeGemini, tag: str, write_fd: int) -> None:
    """Runs in the forked child: a few calls, results to the pipe, then exit without cleanup."""
    code = 0
    try:
        llm = make(server.base_url)
        answers = []
        for call in range(CALLS):
            prompt = f"{tag} call {call}"
            try:
                answers.append([prompt, llm.invoke(prompt).text])
            except Exception as exc:
                answers.append([prompt, f"{type(exc).__name__}: {exc}"])
        os.write(write_fd, orjson.dumps(answers))
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _fork_children(server: FakeGemini, trial: int) -> dict[str, str]:
    pipes: list[tuple[int, int]] = []
    for child in range(CHILDREN):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(server, f"trial {trial} child {child}", write_fd)
        os.close(write_fd)
        pipes.append((pid, read_fd))
    answers: dict[str, str] = {}
    for pid, read_fd in pipes:
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        answers.update(dict(orjson.loads(data)))
    return answers


def test_forked_children_after_a_warm_up_each_get_their_own_answers(server: FakeGemini) -> None:
    server.latency_s = 0.02  # the children's requests overlap on the server
    llm = make(server.base_url)
    assert llm.invoke("warm-up").text == "answer to warm-up"  # a pooled connection now idles
    for trial in range(TRIALS):
        answers = _fork_children(server, trial)
        assert len(answers) == CHILDREN * CALLS
        for prompt, answer in answers.items():
            assert answer == f"answer to {prompt}"
    # The parent's own pooled connection was left alone by the children and still works.
    connections = server.total_connections
    assert llm.invoke("parent again").text == "answer to parent again"
    assert server.total_connections == connections
    prompts = sorted(r.json["contents"][-1]["parts"][0]["text"] for r in server.requests)
    assert len(prompts) == 2 + TRIALS * CHILDREN * CALLS == len(set(prompts))


def test_a_forked_child_enforces_its_own_deadlines(server: FakeGemini) -> None:
    llm = make(server.base_url, timeout=0.5)
    assert llm.invoke("warm-up").text  # the parent's deadline watchdog thread is running
    server.default = stall(seconds=30)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            start = time.monotonic()
            try:
                llm.invoke("stalled")
            except TokenhotTimeoutError:
                code = 0 if time.monotonic() - start < 3 else 2
            os.write(write_fd, b"done")
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        assert pipe.read() == b"done"
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0  # timed out within its deadline


@pytest.mark.parametrize(
    ("method", "workers", "jobs"),
    [("fork", 4, 8), ("forkserver", 2, 4), ("spawn", 2, 4)],
)
def test_process_pool_after_a_warm_up(
    server: FakeGemini, method: str, workers: int, jobs: int
) -> None:
    server.latency_s = 0.02
    llm = make(server.base_url)
    assert llm.invoke("warm-up").text == "answer to warm-up"
    prompts = [f"{method} job {i}" for i in range(jobs)]
    with multiprocessing.get_context(method).Pool(workers) as pool:
        results = pool.map(ask, [(llm, prompt) for prompt in prompts], chunksize=1)
    assert [prompt for _, prompt, _ in results] == prompts
    for _, prompt, answer in results:
        assert answer == f"answer to {prompt}"
    assert os.getpid() not in {pid for pid, _, _ in results}
    received = [r.json["contents"][-1]["parts"][0]["text"] for r in server.requests[1:]]
    assert sorted(received) == sorted(prompts)
    assert {r.headers["authorization"] for r in server.requests} == {
        f"Bearer {llm.api_key.get_secret_value()}"
    }  # type: ignore[union-attr]
