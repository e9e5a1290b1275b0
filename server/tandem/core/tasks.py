"""Background work with an owner.

Every task Tandem starts in the background is started here: the owner keeps a
reference (so it is not garbage-collected mid-flight), names it, logs its failure
instead of losing it, and cancels everything on shutdown. ``debounce`` coalesces
bursts of events per key (a file being typed into, a folder being checked out).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskOwner:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._debounced: dict[str, asyncio.TimerHandle] = {}

    def run(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def debounce(
        self, key: str, delay: float, factory: Callable[[], Coroutine[Any, Any, Any]]
    ) -> None:
        """Run ``factory()`` once ``delay`` seconds after the last call with ``key``."""
        loop = asyncio.get_running_loop()
        pending = self._debounced.pop(key, None)
        if pending is not None:
            pending.cancel()

        def fire() -> None:
            self._debounced.pop(key, None)
            self.run(factory(), name=key)

        self._debounced[key] = loop.call_later(delay, fire)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("background task %s failed", task.get_name(), exc_info=error)

    async def idle(self) -> None:
        """Wait until no task and no debounced call is pending (used by tests and CLI)."""
        while self._tasks or self._debounced:
            if self._tasks:
                await asyncio.wait(set(self._tasks))
            else:
                await asyncio.sleep(0.02)

    async def shutdown(self) -> None:
        for handle in self._debounced.values():
            handle.cancel()
        self._debounced.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
