"""Defect switches: each makes the mock break the contract in exactly one way.

They exist to prove that the contract checks can fail: run the checks against `servecheck mock
--defect NAME` and the matching check must report a violation.
"""

from collections.abc import Iterable

DEFECTS: dict[str, str] = {
    "usage_mismatch": "usage.total_tokens is not prompt_tokens + completion_tokens",
    "wrong_choice_count": "one choice, whatever n asks for",
    "bad_finish_reason": 'finish_reason is "done"',
    "length_ignored": "ignores max_tokens: more tokens than asked, finish_reason stop",
    "stop_ignored": "the stop sequence is left in the output (put there if the text lacked it)",
    "created_string": "created is a string",
    "wrong_content_type": "JSON responses are served as text/plain",
    "schema_violation": 'chat completions lack the "object" field',
    "stream_no_done": "streams end without data: [DONE]",
    "stream_id_changes": "every chunk of a stream has a different id",
    "stream_no_role": "the first delta of a stream has no role",
    "stream_double_finish": "finish_reason arrives on two chunks of a choice",
    "stream_no_usage": "stream_options.include_usage is ignored",
    "stream_after_finish": "a content chunk follows the finish_reason chunk",
    "stream_bad_framing": 'SSE events are separated by a single "\\n" instead of a blank line',
    "tool_undeclared_name": "tool calls name a function the request did not declare",
    "tool_bad_arguments": "tool-call arguments violate the function's parameters schema",
    "tool_ignore_required": "no tool call even when tool_choice is required or names a function",
    "structured_invalid": "content is not valid against the response_format json_schema",
    "vision_not_billed": "image parts add no prompt tokens",
    "vision_accept_bad_data_uri": "malformed image data URIs are accepted (200)",
    "embeddings_reversed": "embedding data comes in reverse index order",
    "embeddings_ignore_dimensions": "dimensions is ignored: full-length vectors",
    "embeddings_bad_base64": "base64 embeddings decode to a byte count that is not 4 x dimensions",
    "embeddings_nondeterministic": "the same input gets different vectors within one request",
    "accept_invalid": "requests are not validated: invalid ones get 200 and a generic answer",
    "server_error_on_unicode": "500 for prompts with non-ASCII text",
    "auth_open": "any token, or none, is accepted even when a token is configured",
    "error_envelope_bare": 'error bodies are {"detail": "..."} instead of the OpenAI envelope',
    "unknown_model_400": "an unknown model gets 400, not 404",
    "reasoning_malformed": "reasoning blocks have no summary",
    "reasoning_tokens_over": "usage counts more reasoning tokens than completion tokens (OpenAI flavour)",
    "logprobs_positive": "logprobs are positive numbers",
    "responses_sequence_repeats": "Responses stream events repeat sequence numbers (each pair shares one)",
    "models_list_incomplete": "GET /models leaves out the first chat model",
    "endpoint_record_misnamed": "the Databricks endpoint record names another endpoint",
    "served_model_404": "the served-models route answers 404 for the endpoint's own served entity",
    "stream_keepalive": "streams send a ': keep-alive' SSE comment before each event (valid SSE, which"
    " MLflow's predict_stream rejects)",
    "invocations_predictions": "the invocations route wraps a chat completion as a custom model answers,"
    ' {"predictions": [...]}',
    "responses_stream_disagrees": "a Responses stream's final response holds other text than its deltas",
}


def check_defects(names: Iterable[str]) -> None:
    """Raise ValueError naming the first of `names` that is not a known defect."""
    unknown = [name for name in names if name not in DEFECTS]
    if unknown:
        raise ValueError(f"unknown defect {unknown[0]!r}; known: {', '.join(DEFECTS)}")
