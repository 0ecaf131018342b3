"""One module per `servecheck` command. Each imports at its top only what its options are declared
with; the work (engines, renderers, readers) is imported inside the command function, so `servecheck
--help` and every other command do not pay for it (tests/test_layers.py holds it)."""
