"""The README's demo command works offline and says it is a replay."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_demo_replays_offline_and_labels_every_line() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TOKENHOT_API_KEY"}
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines
    assert all(line.startswith("[offline replay]") for line in lines)
    assert "invoke -> 'Hello! How can I help you today?'" in result.stdout
    assert "finish_reason: STOP" in result.stdout
    assert "tool call -> magic_function({'input': 3})" in result.stdout
