"""How strongly a check's rule holds, and which levels fail a run (`--level`).

A module of its own, with no imports, so the pytest plugin can offer `--servecheck-level` without
loading the check catalogue at every pytest start.
"""

from __future__ import annotations

# What a check's rule rests on, strongest first: `spec`, the OpenAI API reference or Databricks'
# documentation says so; `compat`, what OpenAI's and Databricks' own servers do and clients rely on
# though the reference leaves it open; `strict`, good practice. `--level` picks which fail a run.
LEVELS = ("spec", "compat", "strict")
DEFAULT_LEVEL = "compat"


def enforced(level: str, chosen: str) -> bool:
    """Whether a failure of a check at `level` fails a run held to `chosen` (else it is a warning)."""
    return LEVELS.index(level) <= LEVELS.index(chosen)
