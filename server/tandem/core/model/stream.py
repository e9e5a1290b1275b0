"""Collecting a streamed chat answer: text in order, usage, finish reason, model."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from openai.types import CompletionUsage
from openai.types.chat import ChatCompletionChunk

OnDelta = Callable[[str], "Awaitable[None] | None"]


@dataclass(frozen=True)
class ChatResult:
    text: str
    usage: dict[str, int] | None
    """``prompt_tokens``, ``completion_tokens``, ``total_tokens``; None if not reported."""
    finish_reason: str | None
    model: str | None


def usage_dict(usage: CompletionUsage | None) -> dict[str, int] | None:
    if usage is None:
        return None
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


class Collector:
    """Feeds each content delta to ``on_delta`` and keeps what the result needs."""

    def __init__(self, on_delta: OnDelta) -> None:
        self._on_delta = on_delta
        self._parts: list[str] = []
        self.usage: dict[str, int] | None = None
        self.finish_reason: str | None = None
        self.model: str | None = None

    async def take(self, chunk: ChatCompletionChunk) -> None:
        self.model = chunk.model or self.model
        if chunk.usage is not None:
            self.usage = usage_dict(chunk.usage)
        for choice in chunk.choices:
            if choice.finish_reason is not None:
                self.finish_reason = choice.finish_reason
            if choice.delta is not None and choice.delta.content:
                await self._deliver(choice.delta.content)

    async def _deliver(self, delta: str) -> None:
        self._parts.append(delta)
        pending = self._on_delta(delta)
        if inspect.isawaitable(pending):
            await pending

    def text(self) -> str:
        return "".join(self._parts)

    def result(self) -> ChatResult:
        return ChatResult(self.text(), self.usage, self.finish_reason, self.model)
