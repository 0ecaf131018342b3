"""Embeddings: POST /embeddings, never streamed, no generated text or completion tokens."""

from harness.families.base import PayloadFamily

FAMILY = PayloadFamily(
    name="embeddings",
    route="/embeddings",
    request_schema="embeddings_request",
    response_schema="embeddings_response",
    chunk_schema=None,
    model="embedding",
    reassemble=None,
    generates=False,
    text_field=None,
    probe={"input": "ping"},
)
