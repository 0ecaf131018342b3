"""Error answers in the OpenAI envelope, and which request field a schema violation is about."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import jsonschema_rs
import orjson

ERROR_TYPES = {
    401: "invalid_request_error",
    429: "rate_limit_error",
}  # everything else below 500 is an invalid_request_error, 5xx a server_error
DEFAULT_CODES = {
    401: "invalid_api_key",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "request_too_large",
    429: "rate_limit_exceeded",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "timeout",
}
SERVER_ERROR = "The server had an error while processing your request."
# Databricks' error_code for each status, the codes databricks-sdk maps to its exception classes.
DATABRICKS_CODES = {
    400: "INVALID_PARAMETER_VALUE",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_DOES_NOT_EXIST",
    408: "DEADLINE_EXCEEDED",
    429: "REQUEST_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
    503: "TEMPORARILY_UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
NO_ROUTE = "ENDPOINT_NOT_FOUND"  # Databricks, for a path it serves no API on


class ApiError(Exception):
    """An answer other than 200: raised anywhere while serving, rendered by the app as an envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code if code is not None else DEFAULT_CODES.get(status)
        self.headers = headers or {}

    def body(self, bare: bool = False, envelope: str = "openai") -> bytes:
        """The OpenAI envelope, Databricks' error body (`envelope` "databricks"), or FastAPI's
        {"detail": ...} when `bare` (a defect)."""
        if bare:
            return orjson.dumps({"detail": self.message})
        if envelope == "databricks":
            fallback = "BAD_REQUEST" if self.status < 500 else "INTERNAL_ERROR"
            code = NO_ROUTE if self.code == NO_ROUTE else DATABRICKS_CODES.get(self.status, fallback)
            return orjson.dumps({"error_code": code, "message": self.message})
        kind = ERROR_TYPES.get(self.status, "server_error" if self.status >= 500 else "invalid_request_error")
        error = {"message": self.message, "type": kind, "param": self.param, "code": self.code}
        return orjson.dumps({"error": error})


def invalid(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, message, param, "invalid_value" if param else None)


def schema_error(errors: Iterable[jsonschema_rs.ValidationError]) -> ApiError:
    """A 400 naming the field the first violation is about, looking into anyOf/oneOf branches for
    the one the request most likely meant (the branch whose const/enum "discriminators" matched)."""
    error = _most_specific(next(iter(errors)))
    path = list(error.instance_path)
    kind = error.kind.as_dict()
    if "property" in kind:  # required
        path.append(kind["property"])
    elif kind.get("unexpected"):  # additionalProperties
        path.append(kind["unexpected"][0])
    param = field_path(path)
    message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
    return invalid(f"Invalid request: {param or 'body'}: {message}", param)


def field_path(parts: Sequence[str | int]) -> str | None:
    """["messages", 0, "role"] -> "messages[0].role" (None for the whole body)."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or None


def _most_specific(error: jsonschema_rs.ValidationError) -> jsonschema_rs.ValidationError:
    context = getattr(error.kind, "context", None)
    if not context:
        return error
    depth = len(error.instance_path)

    def mismatch(branch: list[jsonschema_rs.ValidationError]) -> tuple[bool, bool, int]:
        # A const/enum failing on a direct member ("role") means the request meant another branch;
        # so does a branch that rejects the value whole (a string branch where the request sent a list).
        kinds = [(len(e.instance_path) - depth, type(e.kind).__name__) for e in branch]
        missed = any(level == 1 and kind in ("Constant", "Enum") for level, kind in kinds)
        whole = any(level == 0 and kind in ("Type", "Constant", "Enum") for level, kind in kinds)
        return missed, whole, len(branch)

    branch = min((b for b in context if b), key=mismatch, default=None)
    return _most_specific(branch[0]) if branch else error
