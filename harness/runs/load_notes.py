"""The sentences a load run's results justify beyond its tables (goodput, the measured window, what was
left unanswered, over-saturation, the rate sweep's and the SLO search's answers, the server's own
metrics, usage against our tokenizer, the generator's warnings), written once from load.json and read
by the console, the Markdown and the HTML report alike. Each is (kind, text): kind "warning" for what
casts doubt on a figure, "note" otherwise."""

from __future__ import annotations

from typing import Any

Note = tuple[str, str]


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _workload(config: dict[str, Any]) -> str:
    """What a run's chat requests were, where it was more than single synthetic prompts."""
    parts = []
    if config.get("dataset") == "sharegpt":
        parts.append(f"ShareGPT conversations from {config.get('prompts')}")
    if (config.get("turns") or 1) > 1:
        parts.append(f"up to {config['turns']} turns per conversation, each user carrying its context")
    if prefix := config.get("shared_prefix"):
        parts.append(f"a shared system prefix of {prefix['tokens']:,} tokens ({prefix['groups']} different)")
    tokenizer = config.get("tokenizer")
    if not parts and tokenizer in (None, "o200k_base"):
        return ""
    return "workload: " + "; ".join([*parts, f"tokens counted with {tokenizer or 'o200k_base'}"])


def load_notes(load: dict[str, Any]) -> list[Note]:
    config = load.get("config") or {}
    notes: list[Note] = []
    if workload := _workload(config):
        notes.append(("note", workload))
    window = load.get("window") or {}
    if config.get("warmup") or config.get("cooldown_s"):
        left_out = ", ".join(f"{why} {n:,}" for why, n in sorted((window.get("excluded") or {}).items()))
        notes.append(
            (
                "note",
                f"measured window {_num(window.get('measured_s'), 1)} s"
                f" (--warmup {config.get('warmup') or 0}, --cooldown {config.get('cooldown_s') or 0}s);"
                f" answers left out: {left_out or 'none'}",
            )
        )
    if load.get("goodput_rps") is not None:
        objectives = ", ".join(f"{key}<={limit:g}" for key, limit in (config.get("goodput") or {}).items())
        good, requests = load["good_requests"], load["requests"]
        share = good / requests if requests else 0.0
        notes.append(
            (
                "note",
                f"goodput {_num(load['goodput_rps'])} req/s, {_num(load['goodput_tokens_per_s'], 1)} output"
                f" tok/s: {good:,} of {requests:,} requests ({share:.1%}) met {objectives}",
            )
        )
    if load.get("workers_unreported"):
        notes.append(
            (
                "warning",
                f"{load['workers_unreported']} worker(s) sent no final report: their last seconds are"
                " missing",
            )
        )
    if load.get("unfinished"):
        notes.append(
            ("note", f"{load['unfinished']:,} requests were in flight when the run ended (not measured)")
        )
    if stop := load.get("over_saturated"):
        notes.append(
            (
                "warning",
                f"over-saturated at {stop['offered_rps']:.2f} req/s offered: {stop['backlog']} requests"
                f" queued and mean TTFT {stop['ttft_ms_first']:.0f} -> {stop['ttft_ms_last']:.0f} ms; the run"
                f" stopped at {stop['at_s']} s",
            )
        )
    if sweep := load.get("saturation"):
        sustained = sweep.get("sustained_rps")
        notes.append(
            (
                "note",
                f"rate sweep: the probe served {_num(sweep.get('probe_rps'))} req/s; highest rate sustained "
                + (f"{_num(sustained)} req/s" if sustained else "none"),
            )
        )
    if search := load.get("slo_search"):
        notes.append(("note", _search_sentence(search)))
    notes += _server(load.get("server_metrics") or {})
    counts = load.get("token_counts") or {}
    if counts.get("answers"):
        notes.append(
            (
                "note",
                f"usage vs tokenizer ({counts['tokenizer']}): {counts['answers']:,} answers, usage counted"
                f" {counts['usage_tokens']:,} output tokens, ours {counts['tokenizer_tokens']:,}"
                f" (ratio {counts['ratio']:.3f}); {counts['differing_answers']:,} differ by over"
                f" {counts['difference_over']:.0%}",
            )
        )
    notes += [("warning", f"generator: {w}") for w in (load.get("generator") or {}).get("warnings", [])]
    return notes


def _search_sentence(search: dict[str, Any]) -> str:
    unit = "req/s" if search["kind"] == "rate" else "users"
    trials = len(search.get("trials") or [])
    if search.get("answer") is None:
        return f"SLO search by {search['kind']}: no value tried met the SLOs ({trials} trials)"
    failed = search.get("first_failure")
    bracket = f", {failed:g} failed" if failed is not None else ", the most tried"
    uncertain = search.get("uncertain_objectives") or []
    why = f" ({', '.join(uncertain)} within their 95% intervals)" if uncertain else ""
    return (
        f"SLO search by {search['kind']}: {search['answer']:g} {unit} meets the SLOs{bracket};"
        f" confidence {search['confidence']}{why}; {trials} trials"
    )


def _server(found: dict[str, Any]) -> list[Note]:
    if not found.get("available"):
        reason = found.get("reason")
        return [("note", f"server metrics: none ({reason})")] if reason and "off" not in reason else []
    peaks = ", ".join(
        f"{key} max {_num(max(v for _, v in entry['points']))}"
        for key, entry in (found.get("series") or {}).items()
        if entry["points"]
    )
    known = peaks or f"{len(found.get('metrics') or {})} metrics, none of the known ones"
    return [("note", f"server metrics ({found['url']}): {found['scrapes']} scrapes; {known}")]
