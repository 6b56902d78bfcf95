"""Installed package version (single source: pyproject.toml)."""

from importlib import metadata

try:
    __version__ = metadata.version("langchain-tokenhot")
except metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
