"""Streamed chat with an image: a text part and a base64 PNG part (a fresh 32x32 image per request).

locust -f scenarios/vision.py --host http://127.0.0.1:8000/v1 --model mock-chat
"""

from typing import Any

from harness.images import data_uri, png_bytes
from harness.load.user import LLMUser

SIDE = 32


class VisionUser(LLMUser):
    scenario = "vision"
    family = "chat"
    stream = True

    def synthetic(self) -> dict[str, Any]:
        image = png_bytes(SIDE, SIDE, self.rng.randbytes(SIDE * SIDE * 3))
        content = [
            {"type": "text", "text": self.prompt()},
            {"type": "image_url", "image_url": {"url": data_uri("image/png", image)}},
        ]
        return {"messages": [{"role": "user", "content": content}], "max_tokens": self.max_tokens()}
