"""What the model stub can be told to do, one small class per behaviour.

Queue them with ``ModelStub.script(...)``; each request to a route takes the next one.
Over HTTP (standalone stub) they are JSON objects: ``{"type": "status", "code": 429}``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reply:
    """An answer: streamed piece by piece, or whole when the request is not streamed."""

    chunks: Sequence[str] | None = None
    """None: the default echo answer, in pieces."""
    delay_per_chunk: float = 0.0
    finish_reason: str = "stop"
    usage: dict[str, int] | None = None
    """None: word counts of the request and the answer."""


@dataclass(frozen=True)
class Status:
    """An error response: ``{"error": {"message": ...}}`` with this status."""

    code: int
    retry_after: float | None = None
    message: str | None = None


@dataclass(frozen=True)
class Hang:
    """Say nothing for ``seconds`` (for timeouts), then answer as by default."""

    seconds: float = 30.0


@dataclass(frozen=True)
class Malformed:
    """Stream ``chunks``, then a chunk that is not valid JSON."""

    chunks: Sequence[str] = ("partial ",)


@dataclass(frozen=True)
class StreamError:
    """Stream ``chunks``, then an error event (``data: {"error": {...}}``) mid-answer."""

    chunks: Sequence[str] = ("partial ",)
    message: str = "the model crashed"


@dataclass(frozen=True)
class Truncate:
    """Stream the first ``after_chunks`` of ``chunks``, then stop without ``[DONE]``.

    By default the socket is closed mid-body (a dropped connection); ``graceful`` ends
    the body properly, just never sending a finish reason or ``[DONE]``.
    """

    after_chunks: int = 2
    chunks: Sequence[str] = ("one ", "two ", "three ", "four ")
    graceful: bool = False


@dataclass(frozen=True)
class SlowStream:
    """Stream ``chunks`` with ``delay`` seconds before each: for cancellation tests."""

    chunks: Sequence[str]
    delay: float = 0.1


@dataclass(frozen=True)
class Stall:
    """Stream ``chunks``, then wait up to ``seconds`` (or until the client leaves)."""

    chunks: Sequence[str] = ("partial answer ",)
    seconds: float = 60.0


ROUTES = ("chat", "models", "embeddings")
Behaviour = Reply | Status | Hang | Malformed | StreamError | Truncate | SlowStream | Stall
_KINDS: dict[str, type[Any]] = {
    kind.__name__.lower(): kind
    for kind in (Reply, Status, Hang, Malformed, StreamError, Truncate, SlowStream, Stall)
}


def behaviour_from_json(data: dict[str, Any]) -> Behaviour:
    """``{"type": "reply", "chunks": [...]}`` -> ``Reply(chunks=[...])``."""
    fields = dict(data)
    kind = _KINDS[str(fields.pop("type")).lower()]
    behaviour: Behaviour = kind(**fields)
    return behaviour


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    """Header names in lower case."""
    body: Any
    at: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` once the whole body had been read."""
    started: float | None = None
    """``time.monotonic()`` when the request line arrived: the request's first byte at
    the stub, for latency benchmarks (None for requests recorded by hand)."""
    chunks_sent: list[float] = field(default_factory=list, compare=False)
    """``time.monotonic()`` as each streamed content chunk was handed to the socket, in
    order (finish, usage and ``[DONE]`` events are not included)."""

    @property
    def route(self) -> str | None:
        return route_of(self.path)


def route_of(path: str) -> str | None:
    """``/v1/chat/completions`` -> ``chat``; any prefix before the API path is accepted."""
    path = path.split("?", 1)[0].rstrip("/")
    for suffix, route in (("/chat/completions", "chat"), ("/models", "models")):
        if path.endswith(suffix):
            return route
    return "embeddings" if path.endswith("/embeddings") else None
