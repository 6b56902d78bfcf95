"""Service tiers: the `serviceTier` request field and the tier that actually served a call.

Gemini takes `serviceTier` (`standard`, `flex`, `priority`) in the request body and says which
tier served the request in the `x-gemini-service-tier` response header (a priority request over
its limit is served at `standard`). Gateways may drop either: new-api's default Gemini DTO drops
the request field, and forwards response headers on non-stream calls only. So the served tier is
reported only when the server said it (header, else `usageMetadata.serviceTier`), never guessed
from what was asked for; and when the answer does not confirm the tier asked for (it names none,
or another), a warning says so once per model and outcome.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any, Literal

logger = logging.getLogger(__name__)

ServiceTier = Literal["standard", "flex", "priority"]
SERVICE_TIERS: tuple[str, ...] = ("standard", "flex", "priority")
SERVICE_TIER_HEADER = "x-gemini-service-tier"

_warned: set[tuple[str, str, str | None]] = set()
_warned_lock = threading.Lock()


def check_service_tier(value: Any) -> str:
    """The wire value of a `service_tier` option (lower case).

    Raises:
        ValueError: not one of `standard`, `flex`, `priority`.
    """
    tier = value.lower() if isinstance(value, str) else None
    if tier not in SERVICE_TIERS:
        raise ValueError(
            f"service_tier must be one of {', '.join(map(repr, SERVICE_TIERS))}; got {value!r}."
        )
    return tier


class ServedTier:
    """Collects the served tier from the response headers (`Transport` calls it once)."""

    __slots__ = ("header",)

    def __init__(self) -> None:
        self.header: str | None = None

    def __call__(self, headers: Mapping[str, str]) -> None:
        self.header = headers.get(SERVICE_TIER_HEADER) or None

    def value(self, usage: Any) -> str | None:
        """The served tier: the header, else the body's `usageMetadata.serviceTier`."""
        if self.header:
            return self.header.lower()
        tier = usage.get("serviceTier") if isinstance(usage, Mapping) else None
        return tier.lower() if isinstance(tier, str) and tier else None


def note_served_tier(requested: str | None, served: str | None, model: str) -> None:
    """Warn, once per model and outcome, when the answer does not confirm the requested tier.

    Either it names no tier, or another one: a priority request over its limit is served at
    `standard`, and through a gateway that drops `serviceTier` every request is.
    """
    if requested is None or served == requested:
        return
    key = (model, requested, served)
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    if served is None:
        logger.warning(
            "%s: service_tier=%r was requested but the answer does not say which tier served "
            "it (no %s header, no usageMetadata.serviceTier); a gateway may have dropped the "
            "field (new-api's default DTO does), and then the standard tier served it. Warned "
            "once per model and tier.",
            model,
            requested,
            SERVICE_TIER_HEADER,
        )
    else:
        logger.warning(
            "%s: service_tier=%r was requested but %r served it (response_metadata"
            "['service_tier']): over the tier's limit, or a gateway dropped the field "
            "(new-api's default DTO does). Warned once per model and outcome.",
            model,
            requested,
            served,
        )
