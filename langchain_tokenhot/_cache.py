"""Named context caches next to callers that always send a system prompt and tools.

Google refuses `cachedContent` beside `systemInstruction`, `tools` or `toolConfig` (400
"CachedContent can not be used with GenerateContent request setting system_instruction, tools
or tool_config"): those belong in the cache itself, set when it was created. `create_agent`
sends its system prompt and tools on every step, so with a named cache those fields are left
out of the request, and a warning (once per cache and set of fields) names what was left out.
"""

from __future__ import annotations

import logging
import threading

from ._wire import GenerateContentRequest

logger = logging.getLogger(__name__)

CACHE_HELD_FIELDS = ("systemInstruction", "tools", "toolConfig")
"""Request fields a cached content must hold itself; Google refuses them next to it."""

_warned: set[tuple[str, tuple[str, ...]]] = set()
_warned_lock = threading.Lock()


def omit_cache_held_fields(body: GenerateContentRequest) -> tuple[str, ...]:
    """Remove what the named cache must already hold from `body`; return what was removed."""
    cached = body.get("cachedContent")
    if not cached:
        return ()
    omitted = tuple(name for name in CACHE_HELD_FIELDS if name in body)
    if not omitted:
        return ()
    for name in omitted:
        del body[name]  # type: ignore[misc]
    key = (cached, omitted)
    with _warned_lock:
        first = key not in _warned
        _warned.add(key)
    if first:
        logger.warning(
            "cached_content=%r: left %s out of the request, because Gemini refuses them next to "
            "a cached content (400); the cache must hold them (create it with the system "
            "instruction and tools it is used with). Warned once per cache.",
            cached,
            " and ".join(omitted),
        )
    return omitted
