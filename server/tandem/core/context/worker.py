"""Where ranking and assembly run: a worker process of their own, or one thread.

Ranking the index and assembling a request (redacting, counting and rendering a few
hundred kilobytes) are pure Python and hold the GIL for tens of milliseconds per
request. In the server's process that time is taken from the event loop, which needs
the same GIL for every keystroke; with ten chat sessions at once the editor's edits
wait behind it. So the server hands both to one worker process, as plain data:

* ranking gets the index's file, the prompt and the editor's signals; the worker opens
  the index read-only (SQLite in WAL mode lets it read while the server writes) and
  follows the server's :attr:`~.index.WorkspaceIndex.generation`, so what it derives
  from the index is derived again after every change;
* assembly gets the :class:`~.inputs.ContextRequest` with the earlier snapshots it may
  diff against fetched ahead, and the disk text of files sent before, to tell whether
  they changed since.

The worker (``python -m tandem.core.context.worker``, speaking
:mod:`tandem.core.pipes` frames) answers one call at a time and keeps its own token
counters and redaction results, which is what makes a conversation's later requests
cheap. If it cannot be started, or dies, the call runs in-process on the context
thread instead and the next call starts a new worker: a request is never lost to the
worker. The CLI, which answers one request and exits, uses the thread alone.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from tandem.core import pipes
from tandem.core.context.assemble import Assembled, assemble
from tandem.core.context.index import ChunkRecord, WorkspaceIndex
from tandem.core.context.inputs import ContextRequest
from tandem.core.context.planner import Budget
from tandem.core.context.ranking import RankedChunk, Signals, rank_context
from tandem.core.context.sections import sent_hash
from tandem.core.context.tokens import TokenCounter
from tandem.core.errors import ContextError
from tandem.core.pipes import child_setup, frame, portable, read_frame, read_frame_from, spawn
from tandem.core.priority import return_free_memory

log = logging.getLogger(__name__)
T = TypeVar("T")
Found = list[tuple[RankedChunk, ChunkRecord]]
"""The best chunks, best first, each with its text."""
GIVE_UP_AFTER = 3
"""Worker failures after which this server stays on its context thread."""
RECOLLECT_EVERY = 100
"""Calls between the worker's full collections (see ``_settle``)."""


@dataclass(frozen=True)
class IndexRef:
    """An index as another process can open it."""

    db_path: Path
    instance: str
    generation: int

    @classmethod
    def of(cls, index: WorkspaceIndex) -> IndexRef:
        return cls(index.db_path, index.instance, index.generation)


@dataclass(frozen=True)
class AssembleJob:
    request: ContextRequest
    """With ``current_hashes`` still to be made from ``on_disk``."""
    budget: Budget
    encoding: str
    on_disk: dict[str, str] = field(default_factory=dict)
    """Label -> text on disk of each file sent before that is not open."""


def found_chunks(index: WorkspaceIndex, prompt: str, signals: Signals | None, limit: int) -> Found:
    """The ``limit`` best chunks for ``prompt`` in ``index``, with their text."""
    top = rank_context(index, prompt, signals).chunks[:limit]
    records = {r.chunk_id: r for r in index.get_chunks([c.chunk_id for c in top])}
    return [(ranked, records[ranked.chunk_id]) for ranked in top if ranked.chunk_id in records]


class Counters:
    """One token counter per encoding, made on first use."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self._made: dict[str, TokenCounter] = {}
        self._lock = threading.Lock()

    def get(self, encoding: str) -> TokenCounter:
        with self._lock:
            if encoding not in self._made:
                self._made[encoding] = TokenCounter(encoding, self.cache_dir)
            return self._made[encoding]


def run_assemble(job: AssembleJob, counters: Counters) -> Assembled:
    current = {label: sent_hash(text) for label, text in job.on_disk.items()}
    request = replace(job.request, current_hashes=current)
    return assemble(request, job.budget, counters.get(job.encoding))


# -- in the worker process -------------------------------------------------------------


class _Handlers:
    """The calls the worker answers, and what they keep between calls."""

    def __init__(self) -> None:
        self.indexes: dict[Path, WorkspaceIndex] = {}
        self.counters: Counters | None = None

    def setup(self, cache_dir: Path) -> None:
        self.counters = Counters(cache_dir)

    def warm(self, encoding: str) -> None:
        assert self.counters is not None
        self.counters.get(encoding)

    def rank(self, ref: IndexRef, prompt: str, signals: Signals | None, limit: int) -> Found:
        index = self.indexes.get(ref.db_path)
        if index is None or index.instance != ref.instance:
            if index is not None:
                index.close()
            index = self.indexes[ref.db_path] = WorkspaceIndex.reader(
                ref.db_path, ref.instance, ref.generation
            )
        index.follow(ref.generation)
        return found_chunks(index, prompt, signals, limit)

    def assemble(self, job: AssembleJob) -> Assembled:
        assert self.counters is not None
        return run_assemble(job, self.counters)

    def forget_index(self, db_path: Path) -> None:
        index = self.indexes.pop(db_path, None)
        if index is not None:
            index.close()


def main(argv: list[str]) -> int:
    channel = os.fdopen(child_setup(argv), "wb")
    handlers = _Handlers()
    for calls in itertools.count(1):
        message = read_frame_from(sys.stdin.buffer)
        if message is None:
            return 0
        _, call_id, name, args = message
        try:
            reply: tuple[Any, ...] = ("result", call_id, getattr(handlers, name)(*args))
        except Exception as error:  # every failure goes back to the caller, whatever it is
            reply = ("error", call_id, portable(error, ContextError))
        channel.write(frame(reply))
        channel.flush()
        _settle(calls)  # after the reply: the caller does not wait for it
    return 0


def _settle(calls: int) -> None:
    """What outlives a call is the worker's caches (counts, redactions, file lines):
    freeze it, so the collector's full passes, which walk every tracked object, stop
    walking them during the next calls (that doubled the time of a request); every
    :data:`RECOLLECT_EVERY` calls, unfreeze and collect once, so no cycle is kept for
    good. Then the freed C heap goes back to the system."""
    if calls % RECOLLECT_EVERY == 0:
        gc.unfreeze()
        gc.collect()
    gc.freeze()
    return_free_memory()


# -- the server's side -----------------------------------------------------------------


class WorkerStopped(Exception):
    """The worker process ended with calls in flight."""


class _Worker:
    """One worker process, and the calls waiting for its answers."""

    def __init__(self, child: asyncio.subprocess.Process) -> None:
        self.child = child
        self._calls: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, cache_dir: Path) -> _Worker:
        worker = cls(await spawn("tandem.core.context.worker"))
        worker.send("setup", cache_dir).add_done_callback(_seen)
        return worker

    @property
    def alive(self) -> bool:
        return self.child.returncode is None and not self._reader.done()

    def send(self, name: str, *args: object) -> asyncio.Future[Any]:
        assert self.child.stdin is not None
        call_id = next(self._ids)
        future = self._calls[call_id] = asyncio.get_running_loop().create_future()
        self.child.stdin.write(frame(("call", call_id, name, args)))
        return future

    async def call(self, name: str, *args: object) -> Any:
        future = self.send(name, *args)
        assert self.child.stdin is not None
        await self.child.stdin.drain()
        return await future

    async def _read(self) -> None:
        assert self.child.stdout is not None
        while (message := await read_frame(self.child.stdout)) is not None:
            kind, call_id, value = message
            future = self._calls.pop(call_id, None)
            if future is None or future.done():
                continue
            if kind == "result":
                future.set_result(value)
            else:
                future.set_exception(value)
        await self.child.wait()
        for future in self._calls.values():
            if not future.done():
                future.set_exception(WorkerStopped(f"exit code {self.child.returncode}"))
        self._calls.clear()

    async def stop(self) -> None:
        await pipes.stop(self.child)
        await asyncio.gather(self._reader, return_exceptions=True)


def _seen(future: asyncio.Future[Any]) -> None:
    """For calls nobody awaits: a failure shows in the next call, not as a warning."""
    if not future.cancelled():
        future.exception()


class ContextRunner:
    """Runs ranking and assembly on the context thread, or in a worker process when
    ``processes`` is set (the server)."""

    def __init__(self, cache_dir: Path, thread: Executor, processes: bool = False) -> None:
        self.counters = Counters(cache_dir)
        self._thread = thread
        self._processes = processes and pipes.SUPPORTED
        self._worker: _Worker | None = None
        self._starting: asyncio.Lock | None = None
        self._failures = 0
        self._warming: asyncio.Task[None] | None = None

    @property
    def in_process(self) -> bool:
        """Whether calls run on the context thread (no worker, or it gave up)."""
        return not self._processes or self._failures >= GIVE_UP_AFTER

    def warm(self, encoding: str) -> None:
        """Start the worker and load its token counter before the first request (call
        from the event loop)."""
        if not self.in_process:
            self._warming = asyncio.get_running_loop().create_task(self._warm(encoding))

    async def _warm(self, encoding: str) -> None:
        try:
            worker = await self._ensure_worker()
            if worker is not None:
                await worker.call("warm", encoding)
        except (WorkerStopped, OSError, ContextError) as error:
            log.warning("the context worker did not start: %s", error)

    async def rank(
        self, index: WorkspaceIndex, prompt: str, signals: Signals | None, limit: int
    ) -> Found:
        return await self._call(
            lambda: found_chunks(index, prompt, signals, limit),
            "rank", IndexRef.of(index), prompt, signals, limit,
        )  # fmt: skip

    async def assemble(self, job: AssembleJob) -> Assembled:
        return await self._call(lambda: run_assemble(job, self.counters), "assemble", job)

    def forget_index(self, db_path: Path) -> None:
        worker = self._worker
        if worker is not None and worker.alive:
            worker.send("forget_index", db_path).add_done_callback(_seen)

    async def close(self) -> None:
        worker, self._worker = self._worker, None
        if self._warming is not None:
            await asyncio.gather(self._warming, return_exceptions=True)
        if worker is not None:
            await worker.stop()

    async def _call(self, local: Callable[[], T], name: str, *args: object) -> T:
        try:
            worker = await self._ensure_worker()
            if worker is not None:
                result: T = await worker.call(name, *args)
                return result
        except (WorkerStopped, OSError, RuntimeError) as error:
            self._failed(error)
        return await asyncio.get_running_loop().run_in_executor(self._thread, local)

    async def _ensure_worker(self) -> _Worker | None:
        if self.in_process:
            return None
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._worker is None or not self._worker.alive:
                self._worker = await _Worker.start(self.counters.cache_dir)
            return self._worker

    def _failed(self, error: BaseException) -> None:
        self._worker = None
        self._failures += 1
        log.warning(
            "the context worker stopped (%s); this request is made in-process%s",
            error or type(error).__name__,
            "" if self.in_process else ", the next starts a new worker",
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
