"""Chat completions: POST /chat/completions, streamed as chat.completion.chunk events."""

from harness.families.base import PayloadFamily
from harness.families.reassembly import reassemble

FAMILY = PayloadFamily(
    name="chat",
    route="/chat/completions",
    request_schema="chat_request",
    response_schema="chat_response",
    chunk_schema="chat_chunk",
    model="chat",
    reassemble=reassemble,
    generates=True,
    text_field="message.content",
    probe={"messages": [{"role": "user", "content": "ping"}], "max_tokens": 1},
)
