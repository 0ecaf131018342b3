"""The wire: requests and responses as plain data (exchange.py), the HTTP/SSE client, stream reading,
error envelopes, curl reproducers, redaction of secrets, and the pre-flight every run starts with."""
