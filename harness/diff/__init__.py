"""`servecheck diff`: two runs compared (contract checks, response shapes, load metrics) and judged."""
