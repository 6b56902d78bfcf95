"""The "Testing your app" recipe (docs/examples/testing/) works end to end.

The recipe's test module is copied to a scratch directory and run with pytest in a subprocess,
twice: first `--record-mode=once` with a secret key against the fake server (standing in for
Tokenhot), which writes the cassettes; then, with the server stopped and no key at all,
`--record-mode=none`, which must pass from the cassettes alone. The cassettes must not hold the
key.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.docs.conftest import EXAMPLES, ROOT
from tests.docs.gemini import last_user_text, stream_events, text_reply
from tests.support.fake_gemini import Action, FakeGemini, RecordedRequest, json_response, sse

SECRET = "sk-live-0123456789abcdefSECRET"
FLASH = "gemini-2.5-flash"


def french(request: RecordedRequest) -> Action:
    text = last_user_text(request.json)
    if request.operation == "streamGenerateContent":
        assert text == "Thank you very much."
        return sse(stream_events(["Merci ", "beaucoup."], model=FLASH))
    assert text == "Good morning!"
    return json_response(text_reply("Bonjour !", model=FLASH))


def run_pytest(app: Path, env: dict[str, str], mode: str) -> subprocess.CompletedProcess[str]:
    # Only the plugin the recipe needs (autoloading every installed one costs seconds).
    env = {**env, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "pytest_recording.plugin",
            f"--record-mode={mode}",
            "--rootdir",
            str(app),
            str(app),
        ],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_record_then_replay_offline(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(EXAMPLES / "testing", app, ignore=shutil.ignore_patterns("__pycache__"))
    (app / "pytest.ini").write_text("[pytest]\n")  # keep this repo's pytest options out
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENHOT_")}
    env["PYTHONPATH"] = str(ROOT)

    with FakeGemini(default=french) as server:
        env["TOKENHOT_BASE_URL"] = server.base_url
        recorded = run_pytest(app, {**env, "TOKENHOT_API_KEY": SECRET}, "once")
        assert recorded.returncode == 0, recorded.stdout + recorded.stderr
        assert len(server.requests) == 2
        assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"

    cassettes = sorted(p.relative_to(app).as_posix() for p in app.rglob("*.yaml"))
    assert cassettes == [
        "cassettes/test_translate/test_translate.yaml",
        "cassettes/test_translate/test_translate_streaming.yaml",
    ]
    for name in cassettes:
        text = (app / name).read_text()
        assert SECRET not in text
        assert "authorization" not in text.lower()
    assert "Bonjour !" in (app / cassettes[0]).read_text()

    # Server gone, no key: the replay alone must pass.
    replayed = run_pytest(app, env, "none")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "2 passed" in replayed.stdout
