"""Server-side truth: the target's Prometheus metrics, scraped once a second while a load run goes.

vLLM, SGLang and TGI expose queue length, running requests and KV-cache use at /metrics; Databricks
exports an endpoint's at /api/2.0/serving-endpoints/{name}/metrics. `--server-metrics auto` (the
default) tries the one the target's kind has, `off` skips it, a URL names another. The first scrape
decides: a target without them is said to have none (with the reason), never guessed at. Each scrape
is a line of server_metrics.jsonl ({"t": seconds since the test start, "values": {name: value}}) and
load.json's `server_metrics` holds the series of what capacity planning reads (KNOWN), time-aligned
with our own, and every metric's min, max and last. prometheus_client reads the exposition format.

The token goes only to the target's own origin.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from harness.wire.redact import safe_url

AUTO, OFF = "auto", "off"
TIMEOUT_S = 2.0
MAX_NAMES = 300  # metrics kept per scrape: an exporter may list thousands
# What capacity planning reads, by the names vLLM, SGLang and TGI give it.
KNOWN = {
    "running": ("vllm:num_requests_running", "sglang:num_running_reqs", "tgi_batch_current_size"),
    "waiting": ("vllm:num_requests_waiting", "sglang:num_queue_reqs", "tgi_queue_size"),
    "kv_cache_usage": ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "sglang:token_usage"),
}


def metrics_url(option: str, host: str, api: str, model: str) -> str | None:
    """Where to scrape: `option` is auto, off or a URL; `host` the load's base URL."""
    if option == OFF or not host:
        return None
    if option != AUTO:
        return option
    if api == "databricks":
        return f"{host.rstrip('/')}/api/2.0/serving-endpoints/{model}/metrics"
    root = host.rstrip("/").removesuffix("/v1")
    return f"{root}/metrics"


def same_origin(url: str, host: str) -> bool:
    a, b = urlsplit(url), urlsplit(host)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def parse(text: str) -> dict[str, float]:
    """Each metric's value, summed over its label sets (a histogram: its _sum and _count)."""
    from prometheus_client.parser import text_string_to_metric_families

    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith(("_bucket", "_created")) or not math.isfinite(sample.value):
                continue
            if sample.name in values or len(values) < MAX_NAMES:
                values[sample.name] = values.get(sample.name, 0.0) + float(sample.value)
    return values


class Scraper:
    """Scrapes `url` (call `scrape` once a second); `summary()` is load.json's `server_metrics`."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url = url
        self.headers = headers
        self.available: bool | None = None  # None: not tried yet
        self.reason = ""
        self.scrapes = 0
        self.failed = 0
        self.rows: list[dict[str, Any]] = []

    def scrape(self, t: float) -> dict[str, Any] | None:
        """One scrape at `t` seconds since the test start; the row, or None when it failed."""
        import requests  # Locust's dependency: under gevent, it waits without blocking the users

        try:
            response = requests.get(self.url, headers=self.headers, timeout=TIMEOUT_S, allow_redirects=False)
            if response.status_code != 200:
                raise ValueError(f"HTTP {response.status_code}")
            values = parse(response.text)
            if not values:
                raise ValueError("no metrics in the answer")
        except (requests.RequestException, ValueError) as exc:
            self.failed += 1
            if self.available is None:
                self.available = False
                self.reason = f"GET {safe_url(self.url)}: {str(exc)[:200] or type(exc).__name__}"
            return None
        self.available = True
        self.scrapes += 1
        row = {"t": round(t, 3), "values": values}
        self.rows.append(row)
        return row

    def summary(self) -> dict[str, Any]:
        series: dict[str, dict[str, Any]] = {}
        for key, names in KNOWN.items():
            name = next((n for n in names if any(n in row["values"] for row in self.rows)), None)
            if name:
                points = [[row["t"], row["values"][name]] for row in self.rows if name in row["values"]]
                series[key] = {"metric": name, "points": points}
        names: dict[str, dict[str, float]] = {}
        for row in self.rows:
            for name, value in row["values"].items():
                seen = names.setdefault(name, {"min": value, "max": value, "last": value})
                seen["min"], seen["max"], seen["last"] = (
                    min(seen["min"], value),
                    max(seen["max"], value),
                    value,
                )
        return {
            "url": safe_url(self.url),
            "available": bool(self.available),
            "reason": self.reason or None,
            "scrapes": self.scrapes,
            "failed": self.failed,
            "series": series,
            "metrics": names,
        }
