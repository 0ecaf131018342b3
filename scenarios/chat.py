"""Chat completions, not streamed: latency, tokens and errors of plain requests.

locust -f scenarios/chat.py --host http://127.0.0.1:8000/v1 --model mock-chat
"""

from typing import Any

from harness.load.user import LLMUser


class ChatUser(LLMUser):
    scenario = "chat"
    family = "chat"
    converses = True  # ShareGPT conversations, --turns, --shared-prefix (harness/load/workload.py)

    def synthetic(self) -> dict[str, Any]:
        return {"messages": [{"role": "user", "content": self.prompt()}], "max_tokens": self.max_tokens()}
