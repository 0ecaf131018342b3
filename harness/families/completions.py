"""Legacy completions: POST /completions; a streamed event has the plain response's shape (OpenAI spec)."""

from harness.families.base import PayloadFamily
from harness.families.reassembly import reassemble_text

FAMILY = PayloadFamily(
    name="completions",
    route="/completions",
    request_schema="completions_request",
    response_schema="completions_response",
    chunk_schema="completions_response",
    model="chat",
    reassemble=reassemble_text,
    generates=True,
    text_field="text",
    probe={"prompt": "ping", "max_tokens": 1},
)
