"""One watchfiles ``RustNotify`` running in its own thread, feeding an asyncio queue.

``RustNotify`` is watchfiles' documented low-level backend (``awatch`` is a thin
loop around it). It is used directly so that the watches are known to be in place
when :meth:`NotifyThread.start` returns, and so that a failure to set them up (the
inotify limit, a vanished directory) is raised right there. The blocking ``watch``
loop runs in a daemon thread of its own, not in the event loop's executor, which it
would otherwise hold for as long as it watches.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from watchfiles._rust_notify import RustNotify

log = logging.getLogger(__name__)

RawChanges = set[tuple[int, str]]
"""What ``RustNotify.watch`` returns: (watchfiles ``Change`` value, absolute path)."""


@dataclass(frozen=True)
class NotifyOptions:
    step_ms: int = 50
    debounce_ms: int = 80
    force_polling: bool = False
    poll_delay_ms: int = 500


class NotifyThread:
    """Watches ``paths`` until :meth:`stop`.

    Posts ``(this thread, change set)`` to ``queue`` for each batch, or ``(this
    thread, error)`` once if watching fails later on.
    """

    def __init__(
        self,
        paths: Sequence[str],
        recursive: bool,
        options: NotifyOptions,
        queue: asyncio.Queue[Any],
    ) -> None:
        self.paths = list(paths)
        self.recursive = recursive
        self.options = options
        self.queue = queue
        self.stop_event = threading.Event()
        self._loop = asyncio.get_running_loop()
        self._started: asyncio.Future[None] = self._loop.create_future()
        mode = "recursive" if recursive else "flat"
        self._thread = threading.Thread(target=self._run, name=f"tandem-watch-{mode}", daemon=True)

    async def start(self) -> None:
        """Start watching; raises what setting up the watches raised."""
        self._thread.start()
        await self._started

    def stop(self) -> None:
        """Ask the thread to finish; it does within one step, releasing its watches."""
        self.stop_event.set()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float) -> None:
        """Wait (blocking) until the thread has finished, if it was started."""
        if self._thread.ident is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            notify = RustNotify(
                self.paths,
                False,
                self.options.force_polling,
                self.options.poll_delay_ms,
                self.recursive,
                False,
            )
        except (OSError, RuntimeError) as error:
            self._post(_settle, self._started, error)
            return
        self._post(_settle, self._started, None)
        with notify:
            self._watch(notify)

    def _watch(self, notify: RustNotify) -> None:
        o = self.options
        while not self.stop_event.is_set():
            try:
                result = notify.watch(o.debounce_ms, o.step_ms, 0, self.stop_event)
            except (OSError, RuntimeError) as error:
                self._post(self.queue.put_nowait, (self, error))
                return
            if isinstance(result, set) and result:
                self._post(self.queue.put_nowait, (self, result))

    def _post(self, callback: Any, *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the event loop is closed: nobody is listening any more
            self.stop_event.set()


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
