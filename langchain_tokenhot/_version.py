"""The package version; pyproject.toml reads it from here (hatch dynamic version).

A literal rather than `importlib.metadata`, whose import alone costs ~30 ms at startup.
"""

__version__ = "0.1.0"
