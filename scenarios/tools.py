"""Streamed chat with a declared function: TTFT counts the first tool-call delta as well as text.

locust -f scenarios/tools.py --host http://127.0.0.1:8000/v1 --model mock-chat
"""

from typing import Any

from harness.load.user import LLMUser

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}


class ToolsUser(LLMUser):
    scenario = "tools"
    family = "chat"
    stream = True

    def synthetic(self) -> dict[str, Any]:
        question = f"{self.prompt()}\nWhat is the weather in Paris?"
        return {
            "messages": [{"role": "user", "content": question}],
            "tools": [WEATHER],
            "tool_choice": "auto",
            "max_tokens": self.max_tokens(),
        }
