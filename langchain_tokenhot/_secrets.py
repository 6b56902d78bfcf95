"""Which configuration values are credentials: the API key and the credential headers of
`default_headers` (`Authorization`, `Proxy-Authorization`, `Cookie`, `*-Key`, `*-Token`, ...).

Pure. The model masks them in its `repr`, `model_dump`, serialization, tracing and cache keys,
and the transport scrubs their values from every error text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_SECRET_HEADER = re.compile(
    r"^(cookie|set-cookie|api-?key|key|token|secret)$"
    r"|(^|[-_.])(auth|password|passwd|credential|signature|session|cookie)"
    r"|[-_.](key|token|secret)$"
    r"|apikey$",
    re.IGNORECASE,
)
"""Header names whose values are credentials (masked like `api_key`)."""


def is_secret_header(name: str) -> bool:
    """Whether a header's value is a credential (`Authorization`, `Cookie`, `*-Key`, ...)."""
    return _SECRET_HEADER.search(name.strip()) is not None


def scrub_values(key: str, default_headers: Mapping[str, str] | None) -> tuple[str, ...]:
    """The values scrubbed from error texts: the key and every credential header's value (and
    the token of an `Authorization: Bearer ...`); short ones are masked as whole tokens only."""
    values = [key]
    for name, value in (default_headers or {}).items():
        if is_secret_header(name) and isinstance(value, str):
            values.append(value)
            scheme, _, token = value.partition(" ")
            if token and scheme.isalpha():
                values.append(token.strip())
    # Longest first, so a value that contains another is masked whole.
    return tuple(sorted({v for v in values if v}, key=len, reverse=True))


def header_env(name: str) -> str:
    """The environment variable a serialized credential header is read back from."""
    return "TOKENHOT_HEADER_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def masked_headers(headers: Mapping[str, str] | None) -> dict[str, str] | None:
    """`headers` with every credential's value masked (for reprs and dumps)."""
    if headers is None:
        return None
    return {k: "**********" if is_secret_header(k) else v for k, v in headers.items()}
