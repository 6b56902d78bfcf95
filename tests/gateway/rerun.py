"""Re-collect a feature suite's server tests so they run against `FakeGateway` too.

A test module that does ``globals().update(server_tests(suite))`` and defines its own ``server``
fixture runs each test of ``suite`` that takes ``server`` again, with the gateway in front:
the same assertions on what reached the upstream and what the caller got, proving the feature
survives new-api's re-marshalling, framing and error shapes, not only Google's shape.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


def server_tests(suite: ModuleType, skip: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The test functions of ``suite`` that use the ``server`` fixture, by name.

    ``skip`` maps test names to why they do not apply through a gateway (they are left out,
    and the reason is kept next to the call, in the module that reruns the suite).
    """
    skip = skip or {}
    unknown = set(skip) - set(vars(suite))
    if unknown:
        raise LookupError(f"{suite.__name__} has no tests named {sorted(unknown)}")
    tests: dict[str, Callable[..., Any]] = {}
    for name, obj in vars(suite).items():
        wanted = name.startswith("test_") and callable(obj) and name not in skip
        if wanted and "server" in inspect.signature(obj).parameters:
            tests[name] = obj
    if not tests:
        raise LookupError(f"{suite.__name__} has no server tests to rerun")
    return tests
