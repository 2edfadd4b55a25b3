"""Hermetic package-index infrastructure for tests, benchmarks and the demo (not shipped)."""
