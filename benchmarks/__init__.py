"""Performance benchmarks for langchain-tokenhot (issue #8). Run: ``python -m benchmarks.run``."""
