# The two set-up commands: `make demo` (main job on the embedded mock) and `make test` (what CI runs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT := servecheck-runs/demo

.PHONY: install chromium demo test lint bench clean

# This machine sets PYTHONDONTWRITEBYTECODE (set empty, it is off). Without cached bytecode every
# process compiles what it imports again, and every pytest process (the workers, the timing pass, the
# plugin runs the tests start) rewrites the assertions of every test module and plugin: 13.7 s of
# collection instead of 6.4. So the venv installs without byte-compiling (61 s -> 32 s: most of the
# dev dependencies are never imported), and what is imported is compiled once, on first import.
export PYTHONDONTWRITEBYTECODE =

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -e '.[dev]'
	touch $@

demo: install
	$(BIN)/servecheck contract --examples 10 --seed 1 --out $(DEMO_OUT)/contract
	$(BIN)/servecheck load --scenario chat-stream --users 8 --duration 10s --out $(DEMO_OUT)/load
	$(BIN)/servecheck report $(DEMO_OUT)/contract
	$(BIN)/servecheck report $(DEMO_OUT)/load

# deptry: every module the package imports is a dependency it declares (the wheel installs only those;
# tests/test_wheel.py borrows this venv's packages instead of resolving them again, 50 s of pip).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/deptry harness mock_server scenarios

# Debian's chromium: tests/test_report.py opens the HTML report in it, headless.
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# langsmith's pytest plugin, which langchain-openai brings, costs every pytest process a second and
# a half and serves no test here.
test: export PYTEST_ADDOPTS = -p no:langsmith_plugin
# Three passes: the suite on three xdist workers (on two cores: much of it waits on servers and
# subprocesses; a third worker took the parallel part from 554 s to 481 s; a fourth measured 414 s
# against 447 s on a quiet checkout, then 467 s and 547 s in fresh clones, so three it stays; work
# stealing evens out the pass's end: 473 s against 510 s with xdist's default, same busy machine);
# then the tests that time things (marked `timing`) two at a time, each on a core (one at a time took
# 153 s, two at a time 65-90 s; in eight such runs only the tests now marked `alone` missed: the
# busy-looping arrival test twice, the /health ratio once); then those, one at a time.
test: install chromium lint
	$(BIN)/python -m pytest -q -n 3 --dist worksteal -m "not timing"
	$(BIN)/python -m pytest -q -n 2 --dist worksteal -m "timing and not alone"
	$(BIN)/python -m pytest -q -m alone

bench: install
	$(BIN)/python bench/bench_mock.py
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_ceiling.py
	$(BIN)/python bench/bench_streams.py
	$(BIN)/python bench/bench_hostile.py

clean:
	rm -rf $(VENV) servecheck-runs .pytest_cache .ruff_cache .hypothesis
