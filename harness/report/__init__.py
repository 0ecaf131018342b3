"""`servecheck report`: a run folder rendered as one self-contained HTML page or a Markdown summary."""
