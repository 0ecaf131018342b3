"""Rendering shared by the reports and the diffs: HTML pages from templates, with plots inlined."""
