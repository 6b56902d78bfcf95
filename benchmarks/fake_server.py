"""``tests/support/fake_gemini.py``'s command line, with a listen backlog fit for 1,000 connects.

``FakeGemini.start()`` calls ``sock.listen(1024)`` but then hands the socket to
``asyncio.start_server(...)``, whose default ``backlog=100`` re-listens with 100. Past ~100
simultaneous connection attempts the kernel drops SYNs and clients stall for the 1 s / 3 s SYN
retransmit timers (or hit their connect timeout), which would measure the server, not the
clients. This wrapper only raises that default (in this process); everything else is the
test-support server unchanged. Same options as ``python -m tests.support.fake_gemini``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import fake_gemini

BACKLOG = 4096
_start_server = asyncio.start_server


async def _start_server_with_backlog(*args: Any, **kwargs: Any) -> asyncio.Server:
    kwargs.setdefault("backlog", BACKLOG)
    return await _start_server(*args, **kwargs)


asyncio.start_server = _start_server_with_backlog  # type: ignore[assignment]

if __name__ == "__main__":
    sys.exit(fake_gemini.main())
