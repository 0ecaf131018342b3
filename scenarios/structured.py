"""Streamed chat with structured output: response_format carries a JSON schema the answer must follow.

locust -f scenarios/structured.py --host http://127.0.0.1:8000/v1 --model mock-chat
"""

from typing import Any

from harness.load.user import LLMUser

CITY_FACTS = {
    "type": "json_schema",
    "json_schema": {
        "name": "city_facts",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
            "required": ["city", "population"],
            "additionalProperties": False,
        },
    },
}


class StructuredUser(LLMUser):
    scenario = "structured"
    family = "chat"
    stream = True

    def synthetic(self) -> dict[str, Any]:
        question = f"{self.prompt()}\nName a city and its population."
        return {
            "messages": [{"role": "user", "content": question}],
            "response_format": CITY_FACTS,
            "max_tokens": self.max_tokens(),
        }
