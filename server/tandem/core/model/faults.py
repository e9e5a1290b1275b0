"""Model endpoint failures, as errors a user can act on.

Every message names the endpoint and, where a setting is the likely cause, the
setting. Text streamed before a failure is kept on the error (``partial_text``) so
the caller can save what the user already saw.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import openai

from tandem.core.errors import ModelError
from tandem.core.model.endpoint import running_hint

ErrorCode = Literal[
    "unreachable",
    "auth",
    "not_found",
    "rate_limited",
    "server_error",
    "timeout",
    "bad_stream",
    "bad_request",
]
MESSAGE_LIMIT = 300
"""Characters of a server's own error message quoted to the user."""


class ModelEndpointError(ModelError):
    """A failed call to the model endpoint; ``code`` says which kind of failure."""

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode,
        endpoint: str,
        status: int | None = None,
        partial_text: str = "",
    ) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.endpoint = endpoint
        self.status = status
        self.partial_text = partial_text

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole: the model process sends failures to the server."""
        return (_rebuilt, (str(self), self.code, self.endpoint, self.status, self.partial_text))


def _rebuilt(
    message: str, code: ErrorCode, endpoint: str, status: int | None, partial_text: str
) -> ModelEndpointError:
    return ModelEndpointError(
        message, code=code, endpoint=endpoint, status=status, partial_text=partial_text
    )


@dataclass(frozen=True)
class Call:
    """What was asked of which endpoint: the words a failure message needs."""

    url: str
    model: str
    key_env: str
    key_set: bool
    timeout: float
    retries: int
    operation: Literal["chat", "models", "embeddings"] = "chat"


def from_openai(
    error: openai.OpenAIError, call: Call, partial: str = "", *, streaming: bool = False
) -> ModelEndpointError:
    """Translate an ``openai`` exception; ``streaming``: the answer had already begun."""
    if isinstance(error, openai.APITimeoutError):
        return _error(call, "timeout", _timeout_message(call), partial)
    if isinstance(error, openai.APIConnectionError):
        if streaming:
            return _error(call, "bad_stream", _dropped_message(call, partial), partial)
        return _error(call, "unreachable", f"cannot reach {call.url}: {running_hint(call.url)}")
    if isinstance(error, openai.APIStatusError):
        return _from_status(error, call, partial)
    if isinstance(error, openai.APIError):
        detail = _quote(error.body) or error.message
        return _error(call, "server_error", f"{call.url} reported an error: {detail}", partial)
    return _error(call, "bad_request", f"the request to {call.url} failed: {error}", partial)


def malformed(error: json.JSONDecodeError, call: Call, partial: str) -> ModelEndpointError:
    snippet = error.doc[:80]
    message = f"{call.url} sent a stream chunk that is not valid JSON ({snippet!r})"
    return _error(call, "bad_stream", message, partial)


def unfinished(call: Call, partial: str) -> ModelEndpointError:
    """The stream ended cleanly but no choice ever finished: the answer is cut short."""
    message = f"the answer from {call.url} ended before it was complete ({len(partial)} characters)"
    return _error(call, "bad_stream", message, partial)


def _from_status(error: openai.APIStatusError, call: Call, partial: str) -> ModelEndpointError:
    status = error.status_code
    prefix = f"{status} from {call.url}"
    detail = _quote(error.body)
    if status in (401, 403):
        unset = "" if call.key_set else "; it is not set"
        message = (
            f"{prefix}: check the API key in the variable named by model.apiKeyEnv "
            f"({call.key_env}{unset})"
        )
        return _error(call, "auth", message, partial, status)
    if status == 404:
        return _error(call, "not_found", f"{prefix}: {_not_found_advice(call)}", partial, status)
    if status == 429:
        message = f"{prefix}: rate limited (after {call.retries} retries); wait and try again"
        return _error(call, "rate_limited", _with(message, detail), partial, status)
    if status >= 500:
        message = f"{prefix}: the server failed (after {call.retries} retries)"
        return _error(call, "server_error", _with(message, detail), partial, status)
    return _error(call, "bad_request", _with(prefix, detail), partial, status)


def _not_found_advice(call: Call) -> str:
    if call.operation == "chat":
        return (
            f"model '{call.model}' was not found; run tandem.listModels to see the models "
            "it serves (and check model.baseUrl)"
        )
    if call.operation == "embeddings":
        return f"embedding model '{call.model}' was not found at {call.url}; see tandem.listModels"
    return "it has no model list; check model.baseUrl (it usually ends in /v1)"


def _timeout_message(call: Call) -> str:
    return f"no answer from {call.url} within {call.timeout:g} s (model.timeoutSeconds)"


def _dropped_message(call: Call, partial: str) -> str:
    return (
        f"the connection to {call.url} dropped before the answer was complete "
        f"({len(partial)} characters received)"
    )


def _quote(body: Any) -> str:
    """The server's own message from an error body (``{"message": ...}`` or text)."""
    if isinstance(body, dict):
        body = body.get("message") or body.get("error") or json.dumps(body)
    if body is None:
        return ""
    text = str(body).strip()
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + "..."


def _with(message: str, detail: str) -> str:
    return f"{message}: {detail}" if detail else message


def _error(
    call: Call, code: ErrorCode, message: str, partial: str = "", status: int | None = None
) -> ModelEndpointError:
    return ModelEndpointError(
        message, code=code, endpoint=call.url, status=status, partial_text=partial
    )
