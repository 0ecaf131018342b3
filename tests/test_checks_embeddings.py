"""Embeddings: count and order, encoding, dimensions, repeated inputs."""

from __future__ import annotations

import base64

from payloads import embeddings_request, embeddings_response, exchange, fails, float32_base64, passes, skips

V1, V2 = [0.1, 0.2, 0.3], [0.4, 0.5, 0.6]


def embedded(vectors: list, encoded: bool = False, **request: object):
    return exchange("embeddings", embeddings_request(**request), embeddings_response(vectors, encoded))


# -- embeddings.count -----------------------------------------------------------------------------


def test_count_passes_one_vector_per_input() -> None:
    passes("embeddings.count", embedded([V1, V2]))
    passes("embeddings.count", embedded([V1], input="one string"))
    passes("embeddings.count", embedded([V1], input=[101, 102, 103]))  # one tokenised input
    passes("embeddings.count", embedded([V1, V2], input=[[101], [102, 103]]))


def test_count_fails_a_missing_vector() -> None:
    failure = fails("embeddings.count", embedded([V1], input=["a", "b"]), "expected 2 embedding(s)", "got 1")
    assert failure.path == "$.data"


def test_count_fails_vectors_out_of_input_order() -> None:
    ex = embedded([V1, V2])
    ex.response.json["data"].reverse()
    failure = fails("embeddings.count", ex, "expected index 0", "got 1")
    assert failure.path == "$.data[0].index"


# -- embeddings.encoding --------------------------------------------------------------------------


def test_encoding_passes_floats_by_default_and_base64_when_asked() -> None:
    passes("embeddings.encoding", embedded([V1, V2]))
    passes("embeddings.encoding", embedded([V1, V2], encoding_format="float"))
    passes("embeddings.encoding", embedded([V1, V2], True, encoding_format="base64"))


def test_encoding_fails_floats_when_base64_was_asked() -> None:
    failure = fails("embeddings.encoding", embedded([V1, V2], encoding_format="base64"), "got a list")
    assert failure.path == "$.data[0].embedding"


def test_encoding_fails_base64_when_floats_were_asked() -> None:
    fails(
        "embeddings.encoding",
        embedded([V1, V2], True),
        "expected an array of floats (encoding_format 'float')",
    )


def test_encoding_fails_base64_that_is_not_float32() -> None:
    ex = embedded([V1, V2], True, encoding_format="base64")
    ex.response.json["data"][1]["embedding"] = base64.b64encode(bytes(6)).decode()
    fails("embeddings.encoding", ex, "base64 of 6 bytes (float32 needs a non-zero multiple of 4)")
    ex.response.json["data"][1]["embedding"] = "not base64!"
    fails("embeddings.encoding", ex, "a string that is not base64")


# -- embeddings.dimensions ------------------------------------------------------------------------


def test_dimensions_pass_when_vectors_agree() -> None:
    passes("embeddings.dimensions", embedded([V1, V2], dimensions=3))
    passes("embeddings.dimensions", embedded([V1, V2], True, encoding_format="base64", dimensions=3))


def test_dimensions_fail_when_vectors_differ() -> None:
    failure = fails(
        "embeddings.dimensions", embedded([V1, V2[:2]]), "expected 3 dimensions (as data[0]), got 2"
    )
    assert failure.path == "$.data[1].embedding"


def test_dimensions_fail_when_the_requested_size_is_ignored() -> None:
    fails(
        "embeddings.dimensions", embedded([V1, V2], dimensions=2), "expected 2 dimensions (requested), got 3"
    )
    fails("embeddings.dimensions", embedded([V1, V2], True, encoding_format="base64", dimensions=4), "got 3")


def test_dimensions_of_base64_vectors_are_their_float_count() -> None:
    ex = embedded([V1, V2], True, encoding_format="base64")
    ex.response.json["data"][1]["embedding"] = float32_base64([0.1, 0.2, 0.3, 0.4])
    fails("embeddings.dimensions", ex, "expected 3 dimensions (as data[0]), got 4")


# -- embeddings.repeat ----------------------------------------------------------------------------


def test_repeat_passes_equal_vectors_within_tolerance() -> None:
    passes("embeddings.repeat", embedded([V1, V2, [0.1, 0.2, 0.3 + 1e-7]], input=["a", "b", "a"]))
    ex = embedded([V1, V2, V1], True, input=["a", "b", "a"], encoding_format="base64")
    passes("embeddings.repeat", ex)


def test_repeat_fails_a_different_vector_for_the_same_input() -> None:
    ex = embedded([V1, V2, [0.1, 0.2, 0.31]], input=["a", "b", "a"])
    failure = fails("embeddings.repeat", ex, "input 2 to embed like input 0", "0.01 apart")
    assert failure.path == "$.data[2].embedding"


def test_repeat_fails_nan_components() -> None:
    ex = embedded([V1, V1], True, input=["a", "a"], encoding_format="base64")
    ex.response.json["data"][1]["embedding"] = float32_base64([0.1, 0.2, float("nan")])
    fails("embeddings.repeat", ex, "input 1 to embed like input 0")


def test_repeat_is_not_judged_without_repeated_inputs() -> None:
    skips("embeddings.repeat", embedded([V1, V2]))


def test_embeddings_checks_skip_errors_and_other_families() -> None:
    refused = exchange("embeddings", embeddings_request(), {"error": {}}, status=400, expect="client_error")
    for name in ("embeddings.count", "embeddings.encoding", "embeddings.dimensions", "embeddings.repeat"):
        skips(name, refused)
