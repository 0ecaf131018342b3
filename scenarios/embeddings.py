"""Embeddings, --batch-size inputs per request, each --input-tokens long; uses --embedding-model.

locust -f scenarios/embeddings.py --host http://127.0.0.1:8000/v1 --batch-size 32
"""

from typing import Any

from harness.load.user import LLMUser


class EmbeddingsUser(LLMUser):
    scenario = "embeddings"
    family = "embeddings"

    def synthetic(self) -> dict[str, Any]:
        return {"input": [self.prompt() for _ in range(self.settings.batch_size)]}
