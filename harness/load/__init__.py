"""Load benchmarking on Locust: per-request LLM metrics, load shapes, SLOs and the load.json report."""
