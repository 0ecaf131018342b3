"""Streamed chat completions: TTFT, inter-token latency and TPOT on top of latency and tokens.

locust -f scenarios/chat_stream.py --host http://127.0.0.1:8000/v1 --model mock-chat
"""

from typing import Any

from harness.load.user import LLMUser


class ChatStreamUser(LLMUser):
    scenario = "chat-stream"
    family = "chat"
    stream = True

    def synthetic(self) -> dict[str, Any]:
        return {"messages": [{"role": "user", "content": self.prompt()}], "max_tokens": self.max_tokens()}
