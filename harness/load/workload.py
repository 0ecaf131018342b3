"""Chat workloads past one synthetic prompt: ShareGPT conversations, multi-turn sessions, shared prefixes.

- ShareGPT (`--prompts FILE.json`): a JSON array of {"conversations": [{"from": "human" | "gpt" |
  "system", "value": TEXT}, ...]}, the format vLLM bench, GuideLLM and AIPerf read. A conversation's
  human turns are what the user says; the gpt turn after one sets that turn's max_tokens (its length
  in the run's tokenizer, as vLLM bench does), so output lengths follow the dataset.
- Multi-turn (`--turns N`): each user carries its conversation. Its next request is the conversation
  so far, the server's own answers included, plus the next user message (a ShareGPT conversation's
  next human turn, or a fresh synthetic prompt of --input-tokens); after N turns, or when the dataset's
  conversation ends, or when a turn fails, it starts a new one. Context grows turn by turn, as in a
  chat application, and a server's prefix cache has earlier turns to reuse.
- Shared prefix (`--shared-prefix K`, `--prefix-groups G`): every conversation opens with one of G
  system prompts of K tokens, the same in every process of the run (made from --seed), so a server
  with prefix caching shows what it saves.

Everything is seeded: the same --seed sends the same conversations in the same order per user.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from harness.load.prompts import prompt_text
from harness.tokens import Tokenizer
from harness.wire.limits import mib

MAX_DATASET_BYTES = 1 << 30  # ShareGPT V3 is about 670 MB
ROLES = {"human": "user", "user": "user", "gpt": "assistant", "chatgpt": "assistant", "bard": "assistant"}
ROLES |= {"bing": "assistant", "assistant": "assistant", "model": "assistant", "system": "system"}


@dataclass(frozen=True)
class Turn:
    text: str  # what the user says
    answer: str | None  # the dataset's answer to it: its length sets max_tokens (None: --output-tokens)


@dataclass(frozen=True)
class Dialogue:
    system: str | None
    turns: tuple[Turn, ...]


@cache
def is_sharegpt(path: str) -> bool:
    """Whether a --prompts file is a JSON array (ShareGPT) rather than JSON lines of request bodies.
    Asked once per process (each user asks, as it is made)."""
    try:
        with Path(path).open("rb") as file:
            head = file.read(4096).lstrip()
    except OSError:
        return False  # the JSONL reader says why it cannot be read
    return head.startswith(b"[")


@cache
def load_sharegpt(path: str) -> tuple[Dialogue, ...]:
    """The conversations of a ShareGPT file with at least one human turn, in file order. Read once per
    process; raises ValueError naming the file (and the entry) of the first problem."""
    where = f"--prompts {path}"
    try:
        size = Path(path).stat().st_size
        if size > MAX_DATASET_BYTES:
            raise ValueError(f"{where}: {size:,} bytes, over the {mib(MAX_DATASET_BYTES)} a dataset may be")
        data = orjson.loads(Path(path).read_bytes())
    except OSError as exc:
        raise ValueError(f"{where}: cannot read: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{where}: not JSON ({exc})") from None
    if not isinstance(data, list):
        raise ValueError(f"{where}: a ShareGPT file is a JSON array of conversations")
    dialogues = []
    for index, entry in enumerate(data):
        messages = entry.get("conversations") if isinstance(entry, dict) else None
        if not isinstance(messages, list):
            raise ValueError(f'{where}: entry {index} has no "conversations" list (ShareGPT format)')
        dialogue = _dialogue(messages, f"{where}: entry {index}")
        if dialogue.turns:
            dialogues.append(dialogue)
    if not dialogues:
        raise ValueError(f"{where}: no conversation with a human turn")
    return tuple(dialogues)


def _dialogue(messages: list[Any], where: str) -> Dialogue:
    system, turns, pending = None, [], None
    for message in messages:
        role = ROLES.get(message.get("from")) if isinstance(message, dict) else None
        text = message.get("value") if isinstance(message, dict) else None
        if role is None or not isinstance(text, str):
            raise ValueError(f'{where}: each message needs "from" ({", ".join(ROLES)}) and a string "value"')
        if role == "system":
            system = text if system is None else system
        elif role == "user":
            if pending is not None:  # two human turns in a row: the first had no answer
                turns.append(Turn(pending, None))
            pending = text
        elif pending is not None:
            turns.append(Turn(pending, text))
            pending = None
    if pending is not None:
        turns.append(Turn(pending, None))
    return Dialogue(system, tuple(turns))


@cache
def shared_prefixes(tokens: int, groups: int, seed: int, tokenizer: Tokenizer) -> tuple[str, ...]:
    """The run's `groups` system prompts of `tokens` tokens: the same in every process given the seed."""
    rng = random.Random(f"{seed}:prefixes")
    return tuple(prompt_text(rng, tokens, tokenizer) for _ in range(groups))


class Conversation:
    """One user's chat in progress. `next_body(default_max_tokens)` is the next request's messages and
    max_tokens; `answered(text)` carries the server's answer (None: the turn failed) into the next."""

    def __init__(
        self,
        rng: random.Random,
        dialogue: Callable[[random.Random], Dialogue],
        turns: int,
        prefixes: tuple[str, ...],
        tokenizer: Tokenizer,
    ) -> None:
        self.rng = rng
        self.new_dialogue = dialogue
        self.turns = turns
        self.prefixes = prefixes
        self.tokenizer = tokenizer
        self.dialogue: Dialogue | None = None
        self.messages: list[dict[str, Any]] = []
        self.turn = 0

    def next_body(self, default_max_tokens: Callable[[], int]) -> dict[str, Any]:
        if self.dialogue is None or self.turns == 1:  # one turn: every request its own (open loops too)
            self._start()
        assert self.dialogue is not None
        turn = self.dialogue.turns[self.turn]
        self.messages.append({"role": "user", "content": turn.text})
        answer_tokens = self.tokenizer.count(turn.answer) if turn.answer else 0
        return {"messages": list(self.messages), "max_tokens": answer_tokens or default_max_tokens()}

    def answered(self, text: str | None) -> None:
        if self.dialogue is None:
            return
        self.turn += 1
        if text is None or self.turn >= min(self.turns, len(self.dialogue.turns)):
            self.dialogue = None  # done, or failed: a conversation never goes on past a lost answer
            return
        self.messages.append({"role": "assistant", "content": text})

    def _start(self) -> None:
        self.dialogue = self.new_dialogue(self.rng)
        self.turn = 0
        self.messages = []
        if self.prefixes:
            self.messages.append({"role": "system", "content": self.rng.choice(self.prefixes)})
        if self.dialogue.system:
            self.messages.append({"role": "system", "content": self.dialogue.system})
