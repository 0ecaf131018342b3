"""The pipeline is the architecture: each package imports only the layers before it, siblings do not
import each other, and no module imports itself back through others."""

from __future__ import annotations

import ast
from pathlib import Path

from harness.paths import ROOT

# In import order: a module may import its own package and any layer listed before its own.
# `core` is the top-level modules every layer may use (paths, config errors, levels, signals, tokens).
LAYERS: list[set[str]] = [
    {"core"},
    {"families"},
    {"schemas"},
    {"generate"},
    {"wire"},
    {"mock_server"},
    {"checks"},
    {"runs"},  # the run folder: contract and load write through it, report and diff read it
    {"contract", "load"},
    {"render"},  # the HTML page machinery the reports and the diffs share
    {"report", "diff", "schemadiff"},
    {"commands", "pytest_plugin"},
    {"cli"},  # mounts the commands
]
CORE = {"__init__", "paths", "targets", "levels", "interrupt", "tokens", "images", "options"}


def _package(module: str) -> str:
    """The layer package of a module: harness.wire.client -> wire, mock_server.app -> mock_server."""
    parts = module.split(".")
    if parts[0] == "mock_server":
        return "mock_server"
    if len(parts) == 1 or parts[1] in CORE:
        return "core"
    return parts[1]


def _rank(package: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if package in layer)


def _modules() -> dict[str, Path]:
    found = {}
    for top in ("harness", "mock_server"):
        for path in (ROOT / top).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__" and len(parts) > 1:
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules `path` imports (at any depth of the file: lazy imports count)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        out |= {n for n in names if n in known and n != "harness"}
    return out


def test_no_layer_imports_a_later_one_or_a_sibling() -> None:
    modules = _modules()
    wrong = []
    for name, path in modules.items():
        here = _package(name)
        for imported in _imports(path, modules):
            there = _package(imported)
            if there != here and _rank(there) >= _rank(here):
                wrong.append(f"{name} ({here}) imports {imported} ({there})")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_module_imports_itself_back() -> None:
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    # A package's __init__ importing its own submodules is how a package is assembled, not a cycle.
    graph = {n: {m for m in deps if not m.startswith(n + ".")} for n, deps in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(cycles)


def test_every_package_has_a_layer() -> None:
    packages = {_package(name) for name in _modules()}
    assert packages <= set().union(*LAYERS), packages - set().union(*LAYERS)


# What `servecheck --help` (every command's start) loads: the commands' option declarations, not their
# work. Each of these cost tens of milliseconds, together half a second (commands/__init__.py).
NOT_AT_START = {
    "jsonschema", "jsonschema_rs", "httpx", "brotli", "plotly", "jinja2", "yaml", "locust", "gevent",
    "hypothesis", "schemathesis", "starlette", "uvicorn", "bpe_openai", "tiktoken", "tokenizers",
    "harness.report", "harness.diff", "harness.schemadiff", "harness.schemas", "harness.contract.engine",
    "harness.load.runner", "harness.wire.client",
}  # fmt: skip


def test_the_cli_loads_no_commands_work_until_it_runs() -> None:
    import json
    import subprocess
    import sys

    code = "import json, sys, harness.cli; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout)
    early = sorted(m for m in loaded if any(m == n or m.startswith(n + ".") for n in NOT_AT_START))
    assert early == [], early
