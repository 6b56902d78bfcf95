"""docs/examples/scale_out_ray.py on a local Ray instance (2 worker CPUs, 127.0.0.1 only)
against the fake server, and the guide that shows it."""

from __future__ import annotations

import os
import re
import runpy
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from tests.deployment.workers import echo, prompt_of
from tests.docs.conftest import RunExample
from tests.support.fake_gemini import Action, FakeGemini, RecordedRequest, error, google_error

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "scale_out_ray.py"
GUIDE = ROOT / "docs" / "guides" / "scale-out.md"


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RAY_AUTH_MODE", "disabled")  # no token file for a throwaway instance
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        yield
        ray.shutdown()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    with FakeGemini(default=echo) as fake:
        # Set here too: the crash test builds its model in this process, outside run_example.
        monkeypatch.setenv("TOKENHOT_BASE_URL", fake.base_url)
        monkeypatch.setenv("TOKENHOT_API_KEY", "test")
        yield fake


def test_a_crashed_worker_is_reported_in_its_place(local_ray: None, server: FakeGemini) -> None:
    from langchain_tokenhot import ChatTokenhotGemini, TokenhotInvalidRequestError

    fan_out = runpy.run_path(str(EXAMPLE), run_name="scale_out_ray")["fan_out"]

    class CrashOn:  # defined here, so Ray pickles it by value to the workers
        def __init__(self, llm: ChatTokenhotGemini) -> None:
            self.llm = llm

        def invoke(self, prompt: str) -> object:
            if prompt == "crash":
                os._exit(1)  # the worker process dies mid-task
            return self.llm.invoke(prompt)

    def refuse_some(request: RecordedRequest) -> Action:
        if prompt_of(request) == "refused":
            return error(400, google_error(400, "Invalid argument."))
        return echo(request)

    server.default = refuse_some
    llm = ChatTokenhotGemini(model="gemini-2.5-flash", max_retries=0)
    results = fan_out(CrashOn(llm), ["one", "crash", "refused", "four"])
    assert results[0] == "answer to one"
    assert isinstance(results[1], ray.exceptions.WorkerCrashedError)
    assert isinstance(results[2], TokenhotInvalidRequestError)  # the typed error, via Ray
    assert "Invalid argument" in str(results[2])
    assert results[3] == "answer to four"
    assert sorted(prompt_of(r) for r in server.requests) == ["four", "one", "refused"]


def test_the_example_fans_out_and_prints_in_order(
    local_ray: None,
    server: FakeGemini,
    run_example: RunExample,
    capsys: pytest.CaptureFixture[str],
) -> None:
    namespace = run_example("scale_out_ray")
    prompts = namespace["PROMPTS"]
    assert capsys.readouterr().out.splitlines() == [f"{p} -> answer to {p}" for p in prompts]
    assert sorted(r.json["contents"][-1]["parts"][0]["text"] for r in server.requests) == sorted(
        prompts
    )
    assert {r.headers["authorization"] for r in server.requests} == {"Bearer test"}


def test_the_guide_shows_the_example_as_it_is() -> None:
    page = GUIDE.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- example: docs/examples/scale_out_ray.py -->\n```python\n(.*?)```", page, re.S
    )
    assert match, "the guide must show docs/examples/scale_out_ray.py inline"
    assert match.group(1) == EXAMPLE.read_text(encoding="utf-8")
