"""Request generation for contract tests: valid requests per payload family, drawn from the request
schemas narrowed by schemas/generation/*.json, and invalid requests made by breaking valid ones.

Everything is a Hypothesis strategy, so a seed reproduces a run and failures shrink.
"""

from harness.generate.cases import Case
from harness.generate.invalid import bad_image_cases, bad_image_mutations, invalid_cases, invalid_mutations
from harness.generate.valid import valid_cases

__all__ = [
    "Case",
    "bad_image_cases",
    "bad_image_mutations",
    "invalid_cases",
    "invalid_mutations",
    "valid_cases",
]
