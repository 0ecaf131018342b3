"""A weighted mix of every scenario, the way a shared endpoint sees traffic.

Locust hands out users by weight (12 in all here), so run at least 12 users to get every scenario.

    locust -f scenarios/mix.py --host http://127.0.0.1:8000/v1 -u 24
"""

from scenarios import chat, chat_stream, completions, embeddings, structured, tools, vision


class ChatStream(chat_stream.ChatStreamUser):
    weight = 4


class Chat(chat.ChatUser):
    weight = 2


class Embeddings(embeddings.EmbeddingsUser):
    weight = 2


class Completions(completions.CompletionsUser):
    weight = 1


class Tools(tools.ToolsUser):
    weight = 1


class Structured(structured.StructuredUser):
    weight = 1


class Vision(vision.VisionUser):
    weight = 1
