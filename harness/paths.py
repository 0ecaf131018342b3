"""Where the project's data folders live (the repository root, as installed with `pip install -e .`)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = ROOT / "schemas"
REPORTS_DIR = ROOT / "reports"
RUNS_DIR = REPORTS_DIR / "runs"  # one folder per contract or load run
# Reference material kept beside the clone (../shared/refs): the official OpenAI OpenAPI document.
OPENAI_SPEC = ROOT.parent / "shared" / "refs" / "openai-openapi.yaml"
