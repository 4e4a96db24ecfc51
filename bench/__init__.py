"""Benchmarks for incident-guardrails (``make bench``); see bench/README.md. Not a test suite."""
