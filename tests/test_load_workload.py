"""Real workloads: ShareGPT conversations, multi-turn sessions that carry the server's answers, shared
system prefixes, and a model's own tokenizer (tokenizer.json or tiktoken ranks), each seeded; checked on
what a server received."""

from __future__ import annotations

import gzip
import itertools
import json
import random
from pathlib import Path

import orjson
import pytest
from asgi_support import serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from test_load_run import results, servecheck_load

from harness.load.prompts import prompt_text
from harness.load.workload import Conversation, Turn, load_sharegpt, shared_prefixes
from harness.tokens import decode, load_tokenizer, shipped_file
from mock_server.textgen import text_ids

SHAREGPT = [
    {
        "id": "a",
        "conversations": [
            {"from": "system", "value": "You answer in one line."},
            {"from": "human", "value": "Where do rivers begin?"},
            {"from": "gpt", "value": "In mountains, from rain and melting snow."},
            {"from": "human", "value": "And where do they end?"},
            {"from": "gpt", "value": "In the sea."},
            {"from": "human", "value": "Thanks."},
        ],
    },
    {
        "id": "b",
        "conversations": [
            {"from": "human", "value": "Name a colour."},
            {"from": "gpt", "value": "Blue, the colour of a clear sky at noon in summer."},
            {"from": "human", "value": "Another?"},
        ],
    },
]


@pytest.fixture(scope="module")
def tokenizer_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real tokenizer.json, as a model ships it: byte-level BPE of 400 tokens, trained on the corpus."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    model = Tokenizer(models.BPE(unk_token="[UNK]"))
    model.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    model.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=["[UNK]"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    model.train_from_iterator([decode(text_ids(0, 3000))], trainer)
    path = tmp_path_factory.mktemp("tokenizer") / "tokenizer.json"
    model.save(str(path))
    return path


def sharegpt_file(tmp_path: Path, data: object) -> str:
    path = tmp_path / "sharegpt.json"
    path.write_bytes(orjson.dumps(data))
    return str(path)


# --- the dataset -----------------------------------------------------------------------------------


def test_sharegpt_turns_pair_each_human_message_with_its_answer(tmp_path: Path) -> None:
    first, second = load_sharegpt(sharegpt_file(tmp_path, SHAREGPT))
    assert first.system == "You answer in one line."
    assert first.turns == (
        Turn("Where do rivers begin?", "In mountains, from rain and melting snow."),
        Turn("And where do they end?", "In the sea."),
        Turn("Thanks.", None),  # no answer in the file: --output-tokens decides its length
    )
    assert second.system is None and [t.text for t in second.turns] == ["Name a colour.", "Another?"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"conversations": []}, "a JSON array of conversations"),
        ([{"id": 1}], 'entry 0 has no "conversations" list'),
        ([{"conversations": [{"from": "robot", "value": "hi"}]}], 'entry 0: each message needs "from"'),
        ([{"conversations": [{"from": "human", "value": 3}]}], 'a string "value"'),
        ([{"conversations": [{"from": "gpt", "value": "hello"}]}], "no conversation with a human turn"),
    ],
)
def test_a_bad_sharegpt_file_is_one_line_naming_it(tmp_path: Path, data: object, reason: str) -> None:
    path = sharegpt_file(tmp_path, data)
    with pytest.raises(ValueError, match=r"--prompts .*sharegpt\.json") as caught:
        load_sharegpt(path)
    assert reason in str(caught.value) and "\n" not in str(caught.value)


# --- conversations -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sharegpt(tmp_path_factory: pytest.TempPathFactory) -> str:
    return sharegpt_file(tmp_path_factory.mktemp("dataset"), SHAREGPT)


def conversation(path: str, turns: int, prefixes: tuple[str, ...] = (), seed: int = 1) -> Conversation:
    rivers = load_sharegpt(path)[0]
    return Conversation(random.Random(seed), lambda rng: rivers, turns, prefixes, load_tokenizer())


def test_a_conversation_carries_the_servers_answers_and_ends_after_its_turns(sharegpt: str) -> None:
    talk = conversation(sharegpt, turns=2)
    first = talk.next_body(lambda: 99)
    assert first["messages"] == [
        {"role": "system", "content": "You answer in one line."},
        {"role": "user", "content": "Where do rivers begin?"},
    ]
    assert first["max_tokens"] == load_tokenizer().count("In mountains, from rain and melting snow.")
    talk.answered("From springs.")
    second = talk.next_body(lambda: 99)
    assert second["messages"] == [
        *first["messages"],
        {"role": "assistant", "content": "From springs."},  # the server's answer, not the file's
        {"role": "user", "content": "And where do they end?"},
    ]
    talk.answered("The sea.")
    third = talk.next_body(lambda: 99)  # two turns done: a new conversation
    assert third["messages"] == first["messages"]


def test_a_failed_turn_starts_a_new_conversation_and_a_short_one_ends_early(sharegpt: str) -> None:
    talk = conversation(sharegpt, turns=10)
    first = talk.next_body(lambda: 99)
    talk.answered(None)
    assert talk.next_body(lambda: 99)["messages"] == first["messages"]
    talk.answered("a")
    talk.next_body(lambda: 99)
    talk.answered("b")
    last = talk.next_body(lambda: 99)
    assert last["max_tokens"] == 99  # "Thanks." has no answer in the file: --output-tokens
    talk.answered("c")  # the file's conversation ran out before --turns
    assert talk.next_body(lambda: 99)["messages"] == first["messages"]


def test_one_turn_makes_every_request_its_own(sharegpt: str) -> None:
    talk = conversation(sharegpt, turns=1)
    bodies = [talk.next_body(lambda: 9) for _ in range(3)]  # an open loop: none answered yet
    assert all(len(body["messages"]) == 2 for body in bodies)


def test_shared_prefixes_are_the_runs_own_and_open_each_conversation(sharegpt: str) -> None:
    tokenizer = load_tokenizer()
    prefixes = shared_prefixes(48, 2, 7, tokenizer)
    assert prefixes == shared_prefixes.__wrapped__(48, 2, 7, tokenizer)  # every process makes the same
    assert prefixes != shared_prefixes(48, 2, 8, tokenizer)  # another seed, other prefixes
    assert len(set(prefixes)) == 2 and [tokenizer.count(p) for p in prefixes] == [48, 48]
    opened = {conversation(sharegpt, 1, prefixes, seed).next_body(lambda: 9)["messages"][0]["content"]
              for seed in range(12)}  # fmt: skip
    assert opened == set(prefixes)


# --- tokenizers -------------------------------------------------------------------------------------


def test_a_models_tokenizer_json_counts_and_cuts_prompts(tokenizer_json: Path) -> None:
    tokenizer = load_tokenizer(str(tokenizer_json))
    assert tokenizer.name == str(tokenizer_json)
    text = "Rivers begin in the mountains."
    assert tokenizer.count(text) > load_tokenizer().count(text)  # 400 tokens split finer than o200k
    rng = random.Random(3)
    assert [tokenizer.count(prompt_text(rng, n, tokenizer)) for n in (1, 17, 300)] == [1, 17, 300]
    assert load_tokenizer("cl100k_base").count("hello world") == 2


@pytest.fixture(scope="module")
def cl100k_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OpenAI's cl100k_base.tiktoken, byte for byte: bpe_openai carries the very file, gzipped."""
    packed = shipped_file("cl100k_base").read_bytes()
    path = tmp_path_factory.mktemp("tiktoken") / "cl100k_base.tiktoken"
    path.write_bytes(gzip.decompress(packed))
    return path


TEXTS = [
    "hello world",
    "Rivers begin in the mountains, don't they?",
    "1234567 + 89",
    "  \n\tcafé 東京 🙂",
    "<|endoftext|>",
]


def test_a_tiktoken_file_encodes_as_its_encoding(cl100k_file: Path, tmp_path: Path) -> None:
    reference = load_tokenizer("cl100k_base")
    tokenizer = load_tokenizer(str(cl100k_file))
    assert tokenizer.name == f"{cl100k_file} (tiktoken ranks, cl100k_base split)"
    assert [tokenizer.encode(t) for t in TEXTS] == [reference.encode(t) for t in TEXTS]
    assert [tokenizer.decode(reference.encode(t)) for t in TEXTS] == TEXTS  # special text counted as text
    llama = tmp_path / "tokenizer.model"  # Llama 3 ships its ranks so, split as cl100k_base splits
    llama.write_bytes(cl100k_file.read_bytes())
    assert load_tokenizer(str(llama)).name.endswith("(tiktoken ranks, cl100k_base split)")
    assert [load_tokenizer(str(llama)).count(t) for t in TEXTS] == [reference.count(t) for t in TEXTS]
    r50k = tmp_path / "r50k_base.tiktoken"  # named after another encoding: split by that one's pattern
    r50k.write_bytes(cl100k_file.read_bytes())
    assert load_tokenizer(str(r50k)).name.endswith("(tiktoken ranks, r50k_base split)")
    # cl100k's pattern cuts digits in threes, r50k's keeps a run of them whole.
    assert load_tokenizer(str(r50k)).encode("1234567") != reference.encode("1234567")


@pytest.mark.parametrize(
    ("spec", "content", "reason"),
    [
        ("p99k_base", None, "give the path of a tokenizer.json or a tiktoken ranks file, or one of"),
        # bpe_openai names it but would have tiktoken download it: refused, never fetched.
        ("p50k_base", None, "or one of cl100k_base, o200k_base"),
        ("/nowhere/tokenizer.json", None, "not a tokenizer.json (no such file)"),
        ("/nowhere/cl100k_base.tiktoken", None, "cannot read it (No such file or directory)"),
        ("tokenizer.model", b"\x12\x09\n\x05<unk>\x15\x00\x00", "line 1 is not '<base64 token> <rank>'"),
        ("ranks.tiktoken", b"IQ== 0\nIg== one\n", "line 2 is not '<base64 token> <rank>'"),
        ("empty.tiktoken", b"\n", "no ranks in it"),
    ],
)
def test_a_bad_tokenizer_is_one_line(tmp_path: Path, spec: str, content: bytes | None, reason: str) -> None:
    if content is not None:  # a file of its own (a SentencePiece model, a broken ranks file)
        spec = str(tmp_path / spec)
        Path(spec).write_bytes(content)
    with pytest.raises(ValueError, match="--tokenizer") as caught:
        load_tokenizer(spec)
    assert reason in str(caught.value) and "\n" not in str(caught.value)


def test_a_load_run_counts_with_a_tiktoken_file(tmp_path: Path, cl100k_file: Path) -> None:
    out = tmp_path / "run"
    with serving(recording_app([])) as url:
        done = servecheck_load(
            out, "--base-url", url + "/v1", "--model", "m", "--scenario", "chat-stream", "--users", "1",
            "--requests", "2", "--tokenizer", str(cl100k_file), "--server-metrics", "off",
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    name = f"{cl100k_file} (tiktoken ranks, cl100k_base split)"
    assert results(out)["config"]["tokenizer"] == results(out)["token_counts"]["tokenizer"] == name


# --- end to end, on what a server received -------------------------------------------------------------


def recording_app(seen: list[dict]) -> Starlette:
    """A chat server that streams some reasoning, then "answer N." (N counting its requests), and keeps
    each request body (not the pre-flight's one-token ping)."""

    async def chat(request: Request) -> Response:
        body = await request.json()
        if body.get("stream"):
            seen.append(body)
        text = f"answer {len(seen)}."
        chunks = [{"role": "assistant", "content": ""}, {"reasoning_content": "Thinking it over. "}]
        chunks += [{"content": text[:6]}, {"content": text[6:]}]  # the reasoning is not the answer
        events = [
            {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            for delta in chunks
        ]  # fmt: skip
        events.append(
            {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [],
             "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}}
        )  # fmt: skip
        lines = [f"data: {json.dumps(event)}\n\n" for event in events] + ["data: [DONE]\n\n"]
        return StreamingResponse(iter(lines), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


def test_a_sharegpt_multi_turn_run_sends_growing_conversations(
    tmp_path: Path, tokenizer_json: Path, sharegpt: str
) -> None:
    seen: list[dict] = []
    with serving(recording_app(seen)) as url:
        done = servecheck_load(
            tmp_path / "run", "--base-url", url + "/v1", "--model", "m", "--scenario", "chat-stream",
            "--users", "1", "--requests", "5", "--prompts", sharegpt, "--turns", "3",
            "--shared-prefix", "24", "--prefix-groups", "2", "--tokenizer", str(tokenizer_json),
            "--server-metrics", "off",
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(seen) == 5
    tokenizer = load_tokenizer(str(tokenizer_json))
    prefixes = {body["messages"][0]["content"] for body in seen}
    assert all(body["messages"][0]["role"] == "system" for body in seen)
    assert 1 <= len(prefixes) <= 2 and {tokenizer.count(p) for p in prefixes} == {24}  # the shared prefixes
    for number, (before, after) in enumerate(itertools.pairwise(seen), 1):
        grown = after["messages"][: len(before["messages"])] == before["messages"]
        if grown:  # the next turn: the answer streamed back, then the next human message
            answer = after["messages"][len(before["messages"])]
            assert answer == {"role": "assistant", "content": f"answer {number}."}
        else:  # a new conversation: the prefix, the file's system prompt if any, its first question
            assert [m["role"] for m in after["messages"]] in (
                ["system", "system", "user"],
                ["system", "user"],
            )
    turns = [sum(m["role"] == "user" for m in body["messages"]) for body in seen]
    assert max(turns) >= 2 and all(t <= 3 for t in turns)  # context grew, and never past --turns
    answered = {t.text: t.answer for d in load_sharegpt(sharegpt) for t in d.turns}
    for body in seen:  # each turn's max_tokens: its answer in the file, counted by the model's tokenizer
        asked = answered[body["messages"][-1]["content"]]
        assert body["max_tokens"] == (tokenizer.count(asked) if asked else 8)
    config = results(tmp_path / "run")["config"]
    assert config["dataset"] == "sharegpt" and config["turns"] == 3
    assert config["tokenizer"] == str(tokenizer_json)
    assert results(tmp_path / "run")["token_counts"]["tokenizer"] == str(tokenizer_json)
    assert "workload: ShareGPT conversations" in " ".join(done.stdout.split())


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("--turns", "3", "--rate", "5"), "runs closed loop"),
        (("--scenario", "embeddings", "--turns", "2"), "not embeddings"),
        (("--tokenizer", "nope.json"), "not a tokenizer.json"),
        (("--shared-prefix", "-1"), "--shared-prefix must be between"),
    ],
)
def test_workload_options_that_cannot_run_are_usage_errors(tmp_path: Path, args: tuple, reason: str) -> None:
    done = servecheck_load(tmp_path / "run", "--duration", "2s", *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert reason in " ".join((done.stdout + done.stderr).split()) and "Traceback" not in done.stderr
