"""A process out of file descriptors (EMFILE) gets an error that says so, at once: it is not a
network fault, and retrying it (as a connection error would be) only hides the leak."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.deployment.workers import echo
from tests.support.fake_gemini import FakeGemini

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import resource, sys
    from langchain_tokenhot import ChatTokenhotGemini, TokenhotTooManyOpenFilesError

    llm = ChatTokenhotGemini(
        model="gemini-2.5-flash", api_key="sk-descriptors-0123456789",
        base_url=sys.argv[1], max_retries=3,
    )
    llm.invoke("warm up")  # imports and the pool are ready: only the new connection needs a fd
    llm = llm.model_copy(update={"base_url": sys.argv[2]})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
    hoard = []
    try:
        while True:
            hoard.append(open(sys.executable, "rb"))
    except OSError:
        pass
    try:
        llm.invoke("hi")
    except TokenhotTooManyOpenFilesError as exc:
        print("typed", exc.is_retryable, "ulimit -n" in str(exc))
    except Exception as exc:
        print("other", type(exc).__name__, exc)
    else:
        print("answered")
    """
)


def test_out_of_descriptors_is_named_and_not_retried(server: FakeGemini) -> None:
    with FakeGemini(default=echo) as other:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, server.base_url, other.base_url],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert done.stdout.split() == ["typed", "False", "True"], done.stdout + done.stderr
        assert len(server.requests) == 1  # the warm-up
        assert other.total_connections == 0  # no attempt could even connect, none was retried
