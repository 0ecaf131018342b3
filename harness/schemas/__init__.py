"""The schema layer: the registry of schemas/*.json (registry.py) that every later layer validates with."""
