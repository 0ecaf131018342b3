"""Where servecheck's data lives: the schemas and report templates it ships, and where runs land.

In a checkout (or `pip install -e .`) the data is read from the repository's own folders
(`schemas/`, `reports/templates/`); a built wheel carries the same folders inside the package
(`harness/_data/`, pyproject.toml's force-include), found through `importlib.resources`.
"""

from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the checkout, when there is one
_PACKAGED = Path(str(files("harness") / "_data"))
IN_CHECKOUT = not _PACKAGED.is_dir()  # False in a built wheel: no checkout, no git history to read


def _data(packaged: str, in_checkout: str) -> Path:
    return ROOT / in_checkout if IN_CHECKOUT else _PACKAGED / packaged


SCHEMAS_DIR = _data("schemas", "schemas")
RUN_SCHEMAS_DIR = SCHEMAS_DIR / "runs"  # what reports and diffs read of contract.json and load.json
TEMPLATES_DIR = _data("templates", "reports/templates")
VENDOR_DIR = _data("vendor", "reports/vendor")  # plotly.js' basic bundle (reports/vendor/README.md)
RUNS_DIR = Path("servecheck-runs")  # one folder per contract or load run, under the current directory
SCENARIOS_DIR = Path(str(files("scenarios")))  # a package of its own in both: scenarios import each other
