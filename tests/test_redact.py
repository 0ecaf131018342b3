"""The one redaction step: a secret is masked whole, JSON-escaped, percent-encoded, in any mixture
of those, and as any piece of FRAGMENT or more characters (split across chunks, cut by an excerpt);
shorter pieces and text that only looks alike are left alone."""

from __future__ import annotations

import io

import pytest

from harness.wire import redact as r
from harness.wire.redact import FRAGMENT, MASK, RedactingStream, redact, redact_bytes

SECRET = "sk-canary-0123456789abcdefghijklmnopqrstuvwxyz"


def escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


def percent(text: str) -> str:
    return "".join(f"%{b:02X}" for b in text.encode())


@pytest.mark.parametrize(
    "leak",
    [
        SECRET,
        escaped(SECRET),
        escaped(SECRET).upper().replace("\\U", "\\u"),
        percent(SECRET),
        percent(SECRET).lower(),
        escaped(SECRET[:20]) + SECRET[20:],  # a mixture, as a JSON encoder escaping some characters
        SECRET[:FRAGMENT],
        SECRET[-FRAGMENT:],
        SECRET[5 : 5 + FRAGMENT + 3],
    ],
)
def test_every_disguise_is_masked(leak: str) -> None:
    masked = redact(f"before {leak} after", [SECRET])
    assert masked == f"before {MASK} after"
    assert redact_bytes(f"<{leak}>".encode(), [SECRET]) == f"<{MASK}>".encode()


def test_a_token_split_across_stream_chunks_leaves_no_long_piece() -> None:
    chunks = [SECRET[:10], SECRET[10:25], SECRET[25:]]
    body = b"".join(b'data: {"content":"' + c.encode() + b'"}\n\n' for c in chunks)
    masked = redact_bytes(body, [SECRET])
    assert all(SECRET[i : i + FRAGMENT].encode() not in masked for i in range(len(SECRET) - FRAGMENT + 1))


def test_short_pieces_and_lookalikes_stay() -> None:
    text = f"{SECRET[: FRAGMENT - 1]} 100% done \\u00e9 sk-other-token"
    assert redact(text, [SECRET]) == text
    assert redact("anything", []) == "anything"


def test_a_secret_shorter_than_a_fragment_is_masked_whole() -> None:
    assert redact("key=abc123!", ["abc123"]) == f"key={MASK}!"


def test_kept_secrets_are_masked_in_what_the_process_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(r, "_KEPT", set())
    r.keep_secret(SECRET)
    out = io.StringIO()
    stream = RedactingStream(out)
    stream.write(f"echo: {escaped(SECRET)}\n")
    assert out.getvalue() == f"echo: {MASK}\n"
    assert redact(SECRET) == MASK  # no secrets passed: the kept ones still count


def test_a_long_key_is_masked_as_one_run_in_any_mixture_of_spellings() -> None:
    """OpenAI project keys run to 164 characters: a run of any length is one mask, however spelled."""
    key = "sk-proj-" + "".join(SECRET[i % len(SECRET)] for i in range(7, 163))
    mixed = key[:50] + escaped(key[50:90]) + percent(key[90:130]) + key[130:]
    for leak in (key, mixed, key[40:140], escaped(key)):
        assert redact(f"[{leak}]", [key]) == f"[{MASK}]"
        assert redact_bytes(f"[{leak}]".encode(), [key]) == f"[{MASK}]".encode()
    assert (
        redact(f"{key[: FRAGMENT - 1]}|{key[-FRAGMENT + 1 :]}", [key])
        == f"{key[: FRAGMENT - 1]}|{key[-FRAGMENT + 1 :]}"
    )
