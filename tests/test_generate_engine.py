"""The JSON Schema engine (harness/generate/engine.py): valid 2020-12 values, spelled as clients do."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.bench_generators import PROBES
from harness.generate.engine import GenerationError, plain_integers, register_formats, values
from harness.generate.values import FORMATS

FEW = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", sorted(PROBES))
def test_every_value_is_valid_under_2020_12(name: str) -> None:
    schema = PROBES[name]
    register_formats({"image-url": FORMATS["image-url"]})  # the object the generators register
    validator = jsonschema.Draft202012Validator(schema)

    @FEW
    @given(values(schema))
    def check(value: Any) -> None:
        assert validator.is_valid(value), value

    check()


def test_integers_are_spelled_as_integers() -> None:
    @FEW
    @given(values({"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 5}, "minItems": 1}))
    def check(value: list[Any]) -> None:
        assert all(type(item) is int for item in value), value

    check()
    assert plain_integers({"a": [2.0, 2.5, True, "3"]}) == {"a": [2, 2.5, True, "3"]}


def test_a_schema_nothing_can_satisfy_or_resolve_raises() -> None:
    @FEW
    @given(values({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}, "required": ["a"]}))
    def draw(value: Any) -> None:
        pass

    with pytest.raises(GenerationError):
        draw()


def test_a_drawn_literal_is_the_callers_own() -> None:
    seen: list[dict[str, Any]] = []

    @FEW
    @given(values({"const": {"role": "user"}}))
    def collect(value: dict[str, Any]) -> None:
        value["role"] = "changed"
        seen.append(value)

    collect()
    assert seen and all(value == {"role": "changed"} for value in seen)

    @FEW
    @given(values({"const": {"role": "user"}}))
    def fresh(value: dict[str, Any]) -> None:
        assert value == {"role": "user"}

    fresh()


def test_a_format_name_cannot_change_its_strategy() -> None:
    mine = st.just("one")
    register_formats({"servecheck-test-format": mine})
    register_formats({"servecheck-test-format": mine})  # the same one again: fine
    with pytest.raises(ValueError, match="already registered"):
        register_formats({"servecheck-test-format": st.just("two")})
