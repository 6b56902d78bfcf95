"""Show the main job working: a call, a stream, a tool call — with usage and metadata.

With `TOKENHOT_API_KEY` set it talks to Tokenhot for real. Without it, every response is
replayed from the cassettes in `cassettes/` (bodies built from the documented wire format in
the shape of recorded Gemini responses; cassettes/README.md names each one's source) and
every line says so: nothing leaves the machine.

    python scripts/demo.py                  # offline replay, or live when TOKENHOT_API_KEY is set
    python scripts/demo.py --model gemini-2.5-flash
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path

from langchain_core.tools import tool

from langchain_tokenhot import ChatTokenhotGemini

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes" / "TestChatTokenhotGeminiIntegration"


@tool
def magic_function(input: int) -> int:
    """Apply a magic function to an input."""
    return input + 2


def replay(cassette: str, live: bool) -> contextlib.AbstractContextManager[object]:
    """Replay `cassette` (offline) or do nothing (live)."""
    if live:
        return contextlib.nullcontext()
    import vcr  # dev dependency; only the offline replay needs it

    # Match on method and path only: the demo's prompts differ from the recorded tests'.
    player = vcr.VCR(record_mode="none", match_on=["method", "path"])
    return player.use_cassette(str(CASSETTES / cassette))


def say(live: bool, text: str) -> None:
    print(("" if live else "[offline replay] ") + text)


def run(llm: ChatTokenhotGemini, live: bool) -> None:
    with replay("test_invoke.yaml", live):
        msg = llm.invoke([("system", "Be brief."), ("human", "Hello")])
    say(live, f"invoke -> {msg.text!r}")
    say(live, f"  usage_metadata: {msg.usage_metadata}")
    say(
        live,
        f"  finish_reason: {msg.response_metadata['finish_reason']}, "
        f"model_name: {msg.response_metadata['model_name']}",
    )

    with replay("test_stream[model0].yaml", live):
        pieces = [chunk.text for chunk in llm.stream("Write a haiku about the sea.")]
    say(live, f"stream -> {len(pieces)} chunks: {''.join(pieces)!r}")

    with replay("test_tool_calling[model0].yaml", live):
        call = llm.bind_tools([magic_function], tool_choice="any").invoke(
            "What is the value of magic_function(3)? Use the tool."
        )
    say(live, f"tool call -> {call.tool_calls[0]['name']}({call.tool_calls[0]['args']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gemini-3-flash-preview")
    args = parser.parse_args()
    live = bool(os.environ.get("TOKENHOT_API_KEY"))
    if not live:
        print("[offline replay] TOKENHOT_API_KEY is not set: responses below are REPLAYED from")
        print(
            f"[offline replay] {CASSETTES.relative_to(CASSETTES.parents[1])}/ (built from "
            "the wire format after recorded Gemini samples), not live calls."
        )
    llm = ChatTokenhotGemini(
        model=args.model, **({} if live else {"api_key": "offline-replay-key", "max_retries": 0})
    )
    run(llm, live)


if __name__ == "__main__":
    main()
