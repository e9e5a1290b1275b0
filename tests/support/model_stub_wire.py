"""The JSON the model stub speaks: Chat Completions chunks and bodies, models, embeddings.

Pure functions, so what the stub sends is easy to read in one place. Token counts are
whitespace-separated words: deterministic, not a real tokenizer.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct
import time
from typing import Any

EMBEDDING_DIM = 64
_WORD = re.compile(r"\w+")


def message_text(body: Any) -> str:
    """All message contents of a chat request, joined by newlines (parts of lists too)."""
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list):
        return ""
    return "\n".join(_content_text(m.get("content")) for m in messages if isinstance(m, dict))


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def last_user_text(body: Any) -> str:
    messages = body.get("messages") if isinstance(body, dict) else None
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, dict) and message.get("role") == "user":
            return _content_text(message.get("content"))
    return ""


def echo_chunks(body: Any) -> list[str]:
    """The default answer: "Echo: <first 40 characters of the last user message>", in pieces."""
    text = "Echo: " + last_user_text(body)[:40]
    words = re.findall(r"\S+\s*", text)
    size = max(1, math.ceil(len(words) / 3))
    return ["".join(words[i : i + size]) for i in range(0, len(words), size)] or [text]


def count_tokens(text: str) -> int:
    return len(text.split())


def usage(body: Any, answer: str) -> dict[str, int]:
    prompt = count_tokens(message_text(body))
    completion = count_tokens(answer)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _envelope(model: str, kind: str) -> dict[str, Any]:
    return {"id": "chatcmpl-stub", "object": kind, "created": int(time.time()), "model": model}


def delta_chunk(model: str, content: str, first: bool) -> dict[str, Any]:
    delta: dict[str, Any] = {"content": content}
    if first:
        delta["role"] = "assistant"
    choice = {"index": 0, "delta": delta, "finish_reason": None}
    return {**_envelope(model, "chat.completion.chunk"), "choices": [choice]}


def finish_chunk(model: str, reason: str) -> dict[str, Any]:
    choice = {"index": 0, "delta": {}, "finish_reason": reason}
    return {**_envelope(model, "chat.completion.chunk"), "choices": [choice]}


def usage_chunk(model: str, counts: dict[str, int]) -> dict[str, Any]:
    return {**_envelope(model, "chat.completion.chunk"), "choices": [], "usage": counts}


def completion(model: str, text: str, reason: str, counts: dict[str, int]) -> dict[str, Any]:
    message = {"role": "assistant", "content": text}
    choice = {"index": 0, "message": message, "finish_reason": reason}
    return {**_envelope(model, "chat.completion"), "choices": [choice], "usage": counts}


ERROR_MESSAGES = {
    400: "bad request",
    401: "Incorrect API key provided",
    403: "not allowed",
    404: "The model does not exist",
    429: "Rate limit reached, try again later",
}


def error_body(status: int, message: str | None) -> dict[str, Any]:
    text = message or ERROR_MESSAGES.get(status, "internal server error")
    return {"error": {"message": text, "type": "stub_error", "code": str(status)}}


def models_body(models: list[str]) -> dict[str, Any]:
    data = [{"id": m, "object": "model", "created": 0, "owned_by": "stub"} for m in models]
    return {"object": "list", "data": data}


def embed_text(text: str, dim: int = EMBEDDING_DIM) -> list[float]:
    """A stable vector from hashed lower-case words: equal texts give equal vectors,
    texts sharing words point in similar directions."""
    vector = [0.0] * dim
    for word in _WORD.findall(text.lower()):
        digest = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
        vector[digest % dim] += 1.0 if (digest >> 32) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def embeddings_body(body: Any, dim: int = EMBEDDING_DIM) -> dict[str, Any]:
    raw = body.get("input", []) if isinstance(body, dict) else []
    texts = [raw] if isinstance(raw, str) else [str(t) for t in raw]
    as_base64 = isinstance(body, dict) and body.get("encoding_format") == "base64"
    data = [
        {"object": "embedding", "index": i, "embedding": _encode(embed_text(t, dim), as_base64)}
        for i, t in enumerate(texts)
    ]
    tokens = sum(count_tokens(t) for t in texts)
    model = body.get("model", "stub-embed") if isinstance(body, dict) else "stub-embed"
    counts = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": model, "usage": counts}


def _encode(vector: list[float], as_base64: bool) -> list[float] | str:
    if not as_base64:
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
