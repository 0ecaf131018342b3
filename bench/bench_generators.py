"""JSON Schema generators side by side: what they support, how fast, how much memory, how they shrink.

Compares the engine servecheck uses (harness/generate/engine.py: Schemathesis' generator through its
public OpenAPI route) with hypothesis-jsonschema when that is importable. hypothesis-jsonschema
0.23.1 only runs on Hypothesis < 6.170.10, so the side-by-side run needs a venv of its own:

    python3 -m venv /tmp/cmp && /tmp/cmp/bin/pip install -e . 'hypothesis==6.170.9' hypothesis-jsonschema
    /tmp/cmp/bin/python bench/bench_generators.py              # both engines, one run
    .venv/bin/python bench/bench_generators.py                 # servecheck's engine alone

Rows, per engine, all on the project's own schemas:
- support: a probe schema per feature (2020-12 `prefixItems`, `$ref`/`$defs`, `dependentRequired`,
  `unevaluatedProperties`, a custom format with a pattern, ...): "ok" when every drawn value is valid
  under Draft 2020-12, else what went wrong;
- speed: draws per second from the leaves the generation overlays narrow to (what contract runs draw
  from), and from each whole request schema (what the schema tests draw from), build time apart;
- memory: peak traced allocation while drawing from the whole chat request schema;
- shrinking: the smallest chat request found with at least two messages and a `stop` list, by size of
  its JSON (smaller is better; the minimum the schema allows is about 60 bytes).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import jsonschema
import orjson
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from harness.generate import engine
from harness.generate.narrow import narrow
from harness.generate.overlays import overlays
from harness.generate.valid import body_schema
from harness.generate.values import FORMATS
from harness.schemas.registry import registry

Engine = Callable[[Any], st.SearchStrategy[Any]]

_FORMATS = {**FORMATS, "tool-name": st.just("get_weather"), "tool-arguments": st.just("{}")}

PROBES: dict[str, dict[str, Any]] = {
    "prefixItems (2020-12 tuple)": {
        "type": "array",
        "prefixItems": [{"type": "integer"}, {"type": "string", "maxLength": 3}],
        "items": False,
        "minItems": 2,
    },
    "$ref into $defs": {
        "$defs": {"n": {"type": "integer", "minimum": 5, "maximum": 9}},
        "type": "object",
        "properties": {"n": {"$ref": "#/$defs/n"}},
        "required": ["n"],
        "additionalProperties": False,
    },
    "dependentRequired": {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "dependentRequired": {"a": ["b"]},
        "required": ["a"],
        "additionalProperties": False,
    },
    "unevaluatedProperties": {
        "type": "object",
        "allOf": [{"properties": {"a": {"type": "string"}}, "required": ["a"]}],
        "unevaluatedProperties": False,
    },
    "const and enum in anyOf": {"anyOf": [{"const": "user"}, {"enum": ["system", "developer"]}]},
    "oneOf with discriminating const": {
        "oneOf": [
            {"type": "object", "properties": {"t": {"const": "a"}}, "required": ["t"]},
            {"type": "object", "properties": {"t": {"const": "b"}}, "required": ["t"]},
        ]
    },
    "custom format + pattern": {"type": "string", "format": "image-url", "pattern": "^(https?|data):"},
    "integer stays an int": {"type": "integer", "minimum": 1, "maximum": 3},
}


def _hypothesis_jsonschema() -> Engine | None:
    try:
        from hypothesis_jsonschema import from_schema
    except ImportError:
        return None
    return lambda schema: from_schema(schema, custom_formats=_FORMATS)


def _servecheck() -> Engine:
    engine.register_formats(_FORMATS)
    return engine.values


def _draw(strategy: st.SearchStrategy[Any], count: int, seed: int = 0) -> list[Any]:
    out: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    collect()
    return out


def support(make: Engine, count: int) -> dict[str, str]:
    verdicts = {}
    for name, schema in PROBES.items():
        try:
            drawn = _draw(make(schema), count)
        except Exception as exc:
            verdicts[name] = f"raises {type(exc).__name__}: {str(exc).splitlines()[0][:60]}"
            continue
        validator = jsonschema.Draft202012Validator(schema, format_checker=None)
        bad = [value for value in drawn if not validator.is_valid(value)]
        floats = name == "integer stays an int" and any(isinstance(v, float) for v in drawn)
        if bad:
            verdicts[name] = f"{len(bad)}/{len(drawn)} invalid, e.g. {orjson.dumps(bad[0]).decode()[:40]}"
        elif floats:
            verdicts[name] = "valid, but spells some as 2.0"
        else:
            verdicts[name] = f"ok ({len(drawn)} values)"
    return verdicts


def _leaves() -> list[dict[str, Any]]:
    """Narrowed parameter and message schemas of every overlay, as the contract generator sees them."""
    out = []
    for family, spec in overlays().items():
        params = spec.get("params", {}).get("properties", {})
        kind = {"completions": "completions", "embeddings": "embeddings"}.get(family, "chat")
        properties = body_schema(kind)["properties"]
        out += [narrow(properties[name], sub) for name, sub in params.items() if name in properties]
    item = body_schema("chat")["properties"]["messages"]["items"]
    out += [narrow(item, sub) for sub in overlays()["common"]["messages"].values()]
    return [schema for schema in out if schema is not False]


def speed(make: Engine, count: int) -> dict[str, str]:
    rows = {}
    started = time.perf_counter()
    leaves = [make(schema) for schema in _leaves()]
    built = time.perf_counter() - started
    started = time.perf_counter()
    drawn = sum(len(_draw(strategy, count)) for strategy in leaves)
    rows[f"{len(leaves)} overlay leaves"] = (
        f"{drawn / (time.perf_counter() - started):,.0f} draws/s (build {built * 1000:.0f} ms)"
    )
    for name in ("chat_request", "completions_request", "embeddings_request"):
        schema = registry().resolved(name)
        started = time.perf_counter()
        strategy = make(schema)
        built = time.perf_counter() - started
        started = time.perf_counter()
        try:
            values = _draw(strategy, count)
        except Exception as exc:
            rows[name] = f"raises {type(exc).__name__}"
            continue
        elapsed = time.perf_counter() - started
        bad = sum(not registry().is_valid(name, value) for value in values)
        rows[name] = f"{len(values) / elapsed:,.0f} draws/s (build {built * 1000:.0f} ms), {bad} invalid"
    return rows


def memory(make: Engine, count: int) -> str:
    tracemalloc.start()
    _draw(make(registry().resolved("chat_request")), count)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return f"{peak / 2**20:.1f} MiB peak"


def shrinking(make: Engine) -> str:
    def wanted(body: Any) -> bool:
        return len(body.get("messages", ())) >= 2 and isinstance(body.get("stop"), list)

    try:
        found = find(
            make(registry().resolved("chat_request")),
            wanted,
            settings=settings(database=None, max_examples=2000, suppress_health_check=list(HealthCheck)),
        )
    except Exception as exc:
        return f"raises {type(exc).__name__}"
    return f"{len(orjson.dumps(found))} bytes: {orjson.dumps(found).decode()[:100]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100, help="draws per schema (default 100)")
    args = parser.parse_args()
    engines = {"servecheck (Schemathesis route)": _servecheck()}
    if (other := _hypothesis_jsonschema()) is not None:
        engines["hypothesis-jsonschema"] = other
    for label, make in engines.items():
        print(f"## {label}")
        for name, verdict in support(make, 30).items():
            print(f"  support  {name:32} {verdict}")
        for name, verdict in speed(make, args.examples).items():
            print(f"  speed    {name:32} {verdict}")
        print(f"  memory   {'chat_request':32} {memory(make, args.examples)}")
        print(f"  shrink   {'chat_request':32} {shrinking(make)}")


if __name__ == "__main__":
    main()
