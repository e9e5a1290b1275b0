"""The model client: Chat Completions over any OpenAI-compatible endpoint.

Retries (429 and 5xx, honouring ``Retry-After``; refused connections; timeouts) are
the ``openai`` client's own, configured by ``model.maxRetries``. They happen only
before a response arrives, so never after any streamed text was delivered.

Cancelling the task that awaits :meth:`ModelClient.stream_chat` closes the HTTP
stream at once and lets ``CancelledError`` propagate. The HTTP traffic runs on the
client's own event loop and thread (:mod:`tandem.core.model.loop`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar, cast

import openai
from openai import AsyncOpenAI, AsyncStream, Omit
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    ChatCompletionStreamOptionsParam,
)

from tandem.core.model import compat, faults
from tandem.core.model.endpoint import (
    Configured,
    api_key,
    base_url,
    describe_endpoint,
    key_is_set,
)
from tandem.core.model.loop import ModelLoop
from tandem.core.model.stream import ChatResult, Collector, OnDelta, usage_dict
from tandem.core.settings import ModelSettings

log = logging.getLogger(__name__)

Messages = list[dict[str, Any]]
_T = TypeVar("_T")


def _given(value: float | None) -> float | Omit:
    """Leave unset options out of the request, so the server's defaults apply."""
    return openai.omit if value is None else value


class ModelClient(Configured):
    """One endpoint, as configured by ``model.*``; safe to share between tasks."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self._openai: AsyncOpenAI | None = None
        self._shape = compat.RequestShape()
        """What this endpoint accepts; adapted when it rejects a part of a request."""
        self._runner = ModelLoop()

    async def stream_chat(self, messages: Messages, on_delta: OnDelta) -> ChatResult:
        """Stream an answer, calling ``on_delta`` with each piece of text in order.

        The HTTP traffic runs on the model's own loop (:mod:`.loop`); ``on_delta`` is
        called on the caller's, and every piece reaches it before this returns."""
        return await self._runner.run(self._stream_chat(messages, self._runner.relay(on_delta)))

    async def complete(self, messages: Messages) -> ChatResult:
        """The whole answer in one JSON response (no streaming)."""
        return await self._runner.run(self._complete(messages))

    async def list_models(self) -> list[str]:
        """Model ids the endpoint serves (``GET /models``)."""
        return await self._runner.run(self._list_models())

    async def embed(self, texts: list[str], model: str) -> list[list[float]]:
        """One vector per text, in order (``POST /embeddings``)."""
        return await self._runner.run(self._embed(texts, model))

    async def close(self) -> None:
        await self._runner.run(self._close())
        await self._runner.stop()

    # -- on the model loop -------------------------------------------------------

    async def _stream_chat(self, messages: Messages, on_delta: OnDelta) -> ChatResult:
        call = self._call("chat", self.model_name)
        stream = await self._adapting(call, lambda: self._create_stream(messages))
        collector = Collector(on_delta)
        try:
            async for chunk in stream:
                await collector.take(chunk)
        except json.JSONDecodeError as error:
            raise faults.malformed(error, call, collector.text()) from error
        except openai.OpenAIError as error:
            raise faults.from_openai(error, call, collector.text(), streaming=True) from error
        finally:
            await asyncio.shield(stream.close())
        if collector.finish_reason is None:
            raise faults.unfinished(call, collector.text())
        log.debug("answer from %s: %d characters", call.url, len(collector.text()))
        return collector.result()

    async def _complete(self, messages: Messages) -> ChatResult:
        call = self._call("chat", self.model_name)
        response = await self._adapting(call, lambda: self._create_completion(messages))
        choice = response.choices[0] if response.choices else None
        text = (choice.message.content or "") if choice else ""
        finish = choice.finish_reason if choice else None
        return ChatResult(text, usage_dict(response.usage), finish, response.model)

    async def _list_models(self) -> list[str]:
        call = self._call("models", self.model_name)
        try:
            return [model.id async for model in self._client().models.list()]
        except openai.OpenAIError as error:
            raise faults.from_openai(error, call) from error

    async def _embed(self, texts: list[str], model: str) -> list[list[float]]:
        if not texts:
            return []
        call = self._call("embeddings", model)
        try:
            response = await self._client().embeddings.create(
                model=model, input=texts, encoding_format="float"
            )
        except openai.OpenAIError as error:
            raise faults.from_openai(error, call) from error
        return [list(item.embedding) for item in sorted(response.data, key=lambda d: d.index)]

    async def _close(self) -> None:
        if self._openai is not None:
            client, self._openai = self._openai, None
            await client.close()

    # -- internals ---------------------------------------------------------------

    async def _adapting(self, call: faults.Call, send: Callable[[], Awaitable[_T]]) -> _T:
        """``send()``, again after each 400 that names a request part we can change."""
        while True:
            try:
                return await send()
            except openai.BadRequestError as error:
                if not self._adapt(error, call):
                    raise faults.from_openai(error, call) from error
            except openai.OpenAIError as error:
                raise faults.from_openai(error, call) from error

    def _adapt(self, error: openai.BadRequestError, call: faults.Call) -> bool:
        shape = compat.adapt(self._shape, f"{error.message} {error.body}")
        if shape is None:
            return False
        log.warning("%s rejected a request part; retrying as %s", call.url, shape)
        self._shape = shape
        return True

    async def _create_stream(self, messages: Messages) -> AsyncStream[ChatCompletionChunk]:
        options: ChatCompletionStreamOptionsParam | Omit = (
            {"include_usage": True} if self._shape.stream_options else openai.omit
        )
        max_tokens, max_completion_tokens = self._token_limit()
        return await self._client().chat.completions.create(
            model=self.model_name,
            messages=cast(list[ChatCompletionMessageParam], messages),
            max_tokens=max_tokens,
            max_completion_tokens=max_completion_tokens,
            temperature=_given(self.settings.temperature),
            stream=True,
            stream_options=options,
        )

    async def _create_completion(self, messages: Messages) -> ChatCompletion:
        max_tokens, max_completion_tokens = self._token_limit()
        return await self._client().chat.completions.create(
            model=self.model_name,
            messages=cast(list[ChatCompletionMessageParam], messages),
            max_tokens=max_tokens,
            max_completion_tokens=max_completion_tokens,
            temperature=_given(self.settings.temperature),
            stream=False,
        )

    def _token_limit(self) -> tuple[int | Omit, int | Omit]:
        """``model.maxOutputTokens`` under the name this endpoint accepts."""
        limit = self.settings.maxOutputTokens
        if self._shape.token_param == "max_tokens":
            return limit, openai.omit
        return openai.omit, limit

    def _client(self) -> AsyncOpenAI:
        if self._openai is None:
            self._openai = AsyncOpenAI(
                api_key=self._key,
                base_url=base_url(self.settings),
                timeout=self.settings.timeoutSeconds,
                max_retries=self.settings.maxRetries,
                default_headers=self.settings.headers or None,
            )
        return self._openai

    async def _key(self) -> str:
        """Read at every request, so a key exported later is picked up."""
        return api_key(self.settings)

    def _call(self, operation: Literal["chat", "models", "embeddings"], model: str) -> faults.Call:
        settings = self.settings
        return faults.Call(
            url=describe_endpoint(settings),
            model=model,
            key_env=settings.apiKeyEnv,
            key_set=key_is_set(settings),
            timeout=settings.timeoutSeconds,
            retries=settings.maxRetries,
            operation=operation,
        )
