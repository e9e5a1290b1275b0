"""The model's own event loop, on a thread of its own.

Every streamed piece of an answer costs the ``openai`` client real Python work (SSE
parsing, a pydantic object per piece). On the editor's event loop that work queues
ahead of every keystroke: with ten answers streaming, the loop was busy more than half
the time and an edit waited up to 140 ms at p95. Here the model's HTTP traffic runs on
a loop of its own; the editor's loop only receives the text.

``run`` awaits a coroutine on the model loop from any other loop; cancelling the
caller cancels it there (which closes its HTTP stream). ``relay`` turns a callback of
the caller's into one the model loop can call: a plain function is scheduled on the
caller's loop in order; a coroutine function is awaited there before the next piece.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
JOIN_SECONDS = 5.0


class ModelLoop:
    def __init__(self, name: str = "tandem-model") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """The result of ``coro``, run on the model loop."""
        if self._loop.is_closed():
            coro.close()
            raise RuntimeError("the model loop is stopped")
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    def relay(
        self, callback: Callable[[str], Awaitable[None] | None]
    ) -> Callable[[str], Awaitable[None] | None]:
        """``callback``, called on the loop that asks for the relay."""
        caller = asyncio.get_running_loop()
        if inspect.iscoroutinefunction(callback):

            async def awaited(value: str) -> None:
                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(callback(value), caller))

            return awaited

        def scheduled(value: str) -> None:
            caller.call_soon_threadsafe(_call, callback, value)

        return scheduled

    async def stop(self) -> None:
        """Cancel what still runs on the loop (its callers see ``CancelledError``, so a
        turn streaming through a client being replaced still ends), then stop it."""
        if self._loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # stopped meanwhile
            await self.run(_cancel_the_rest())
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join, JOIN_SECONDS)
        if not self._thread.is_alive():
            self._loop.close()


async def _cancel_the_rest() -> None:
    current = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not current]
    for task in others:
        task.cancel()
    if others:
        await asyncio.wait(others, timeout=JOIN_SECONDS)


_RUNNING: set[asyncio.Future[None]] = set()
"""Awaitables returned by plain-function callbacks, kept until they finish."""


def _call(callback: Callable[[str], Awaitable[None] | None], value: str) -> None:
    result = callback(value)
    if inspect.isawaitable(result):  # a plain function that returned an awaitable
        future = asyncio.ensure_future(result)
        _RUNNING.add(future)
        future.add_done_callback(_RUNNING.discard)
