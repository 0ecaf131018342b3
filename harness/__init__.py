"""Servecheck: contract tests and load benchmarks for OpenAI-compatible LLM serving endpoints."""

__version__ = "0.1.0"
