"""A Locust worker must keep its event loop turning while it takes a spawn message: its heartbeats
go out on it, and a master that misses three drops the worker (a test then ends with no request).

Run in a process of its own, as a locustfile is loaded (importing Locust patches the interpreter
with gevent, which the test process must not be).
"""

from __future__ import annotations

import json
import subprocess
import sys

from harness.paths import ROOT

# What WorkerRunner.handle_message does with the options a spawn message carries (locust/runners.py),
# counting how often Locust's argument parser is built meanwhile.
PROBE = """
import json
from locust import argument_parser
import scenarios.chat  # a locustfile of ours: our plugin and its options

built = []
setup = argument_parser.setup_parser_arguments
argument_parser.setup_parser_arguments = lambda parser: (built.append(1), setup(parser))[1]
sent = vars(argument_parser.parse_options(["-f", "scenarios/chat.py"]))
built.clear()
custom = {k for k in sent if k not in argument_parser.default_args_dict()}
mine = argument_parser.default_args_dict()
mine["changed"] = True
print(json.dumps({"sent": len(sent), "built": len(built), "custom": sorted(custom),
                  "shared": "changed" in argument_parser.default_args_dict()}))
"""


def test_a_spawn_message_builds_locusts_parser_once_not_once_per_option() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["sent"] > 80  # Locust's options and ours: the previous tree built the parser for each
    assert seen["built"] <= 1, seen
    assert "servecheck_out" in seen["custom"] and "host" not in seen["custom"]  # the same split as before
    assert not seen["shared"]  # each caller gets its own dict
