"""`servecheck schemas diff`: compare two schema sets and classify each change as breaking or not.

load.py reads a set (a folder or a git revision) into resolved schemas; compare.py walks two resolved
schemas and lists what changed and whether it narrows or widens the accepted payloads; classify.py says
whom that breaks (request vs response direction); render.py writes the table, JSON and Markdown.
"""
