"""Legacy completions (/v1/completions), not streamed.

locust -f scenarios/completions.py --host http://127.0.0.1:8000/v1 --model mock-chat
"""

from typing import Any

from harness.load.user import LLMUser


class CompletionsUser(LLMUser):
    scenario = "completions"
    family = "completions"

    def synthetic(self) -> dict[str, Any]:
        return {"prompt": self.prompt(), "max_tokens": self.max_tokens()}
