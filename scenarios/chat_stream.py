"""Streamed chat completions: TTFT, inter-token latency and TPOT on top of latency and tokens.

locust -f scenarios/chat_stream.py --host http://127.0.0.1:8000/v1 --model mock-chat
"""

from scenarios import chat  # the module, not the class: Locust would run every User class it finds here


class ChatStreamUser(chat.ChatUser):
    scenario = "chat-stream"
    stream = True
