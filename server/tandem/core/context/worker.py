"""Where ranking and assembly run: a worker process of their own, or one thread.

Ranking the index and assembling a request (redacting, counting and rendering a few
hundred kilobytes) are pure Python and hold the GIL for tens of milliseconds per
request. In the server's process that time is taken from the event loop, which needs
the same GIL for every keystroke; with ten chat sessions at once the editor's edits
wait behind it. So the server hands both to one spawned worker process, as plain data:

* ranking gets the index's file, the prompt and the editor's signals; the worker opens
  the index read-only (SQLite in WAL mode lets it read while the server writes) and
  follows the server's :attr:`~.index.WorkspaceIndex.generation`, so what it derives
  from the index is derived again after every change;
* assembly gets the :class:`~.inputs.ContextRequest` with the earlier snapshots it may
  diff against fetched ahead, and the disk text of files sent before, to tell whether
  they changed since.

The worker keeps its own token counters and redaction results, which is what makes
a conversation's later requests cheap. It points its standard output at standard
error first (the server's stdout may be the editor's protocol stream), and it leaves
when the server does. If it cannot be started, or dies, the call runs in-process on the
context thread instead and the next call starts a new worker: a request is never lost
to the worker. The CLI, which answers one request and exits, uses the thread alone.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from tandem.core.context.assemble import Assembled, assemble
from tandem.core.context.index import ChunkRecord, WorkspaceIndex
from tandem.core.context.inputs import ContextRequest
from tandem.core.context.planner import Budget
from tandem.core.context.ranking import RankedChunk, Signals, rank_context
from tandem.core.context.sections import sent_hash
from tandem.core.context.tokens import TokenCounter
from tandem.core.priority import yield_to_the_editor

log = logging.getLogger(__name__)
T = TypeVar("T")
Found = list[tuple[RankedChunk, ChunkRecord]]
"""The best chunks, best first, each with its text."""
GIVE_UP_AFTER = 3
"""Worker failures after which this server stays on its context thread."""
PARENT_POLL = 1.0
"""Seconds between the worker's checks that the server is still there."""


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

_indexes: dict[Path, WorkspaceIndex] = {}
_counters: Counters | None = None


def _start(cache_dir: Path, log_level: int, log_file: str | None) -> None:
    """A new worker: quiet stdout, the server's log, and an exit when the server goes."""
    global _counters
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    yield_to_the_editor()
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=log_level, handlers=[handler], force=True)
    _counters = Counters(cache_dir)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    os._exit(0)


def _warm(encoding: str) -> None:
    assert _counters is not None
    _counters.get(encoding)


def _rank_in_worker(ref: IndexRef, prompt: str, signals: Signals | None, limit: int) -> Found:
    index = _indexes.get(ref.db_path)
    if index is None or index.instance != ref.instance:
        if index is not None:
            index.close()
        index = _indexes[ref.db_path] = WorkspaceIndex.reader(ref.db_path, ref.generation)
        index.instance = ref.instance
    index.follow(ref.generation)
    return found_chunks(index, prompt, signals, limit)


def _assemble_in_worker(job: AssembleJob) -> Assembled:
    assert _counters is not None
    return run_assemble(job, _counters)


def forget_index(db_path: Path) -> None:
    """In the worker: close the view of an index the server dropped."""
    index = _indexes.pop(db_path, None)
    if index is not None:
        index.close()


# -- the server's side -----------------------------------------------------------------


class ContextRunner:
    """Runs ranking and assembly on the context thread, or in a worker process when
    ``processes`` is set (the server)."""

    def __init__(self, cache_dir: Path, thread: Executor, processes: bool = False) -> None:
        self.counters = Counters(cache_dir)
        self._thread = thread
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._failures = 0
        self._lock = threading.Lock()

    @property
    def in_process(self) -> bool:
        """Whether calls run on the context thread (no worker, or it gave up)."""
        return not self._processes or self._failures >= GIVE_UP_AFTER

    def warm(self, encoding: str) -> None:
        """Start the worker and load its token counter before the first request."""
        pool = self._ensure_pool()
        if pool is not None:
            try:
                pool.submit(_warm, encoding).add_done_callback(self._warmed)
            except (BrokenProcessPool, RuntimeError, OSError) as error:
                self._failed(pool, error)

    def _warmed(self, future: Future[None]) -> None:
        if not future.cancelled() and future.exception() is not None:
            log.warning("the context worker did not start: %s", future.exception())

    async def rank(
        self, index: WorkspaceIndex, prompt: str, signals: Signals | None, limit: int
    ) -> Found:
        return await self._call(
            lambda: found_chunks(index, prompt, signals, limit),
            _rank_in_worker, IndexRef.of(index), prompt, signals, limit,
        )  # fmt: skip

    async def assemble(self, job: AssembleJob) -> Assembled:
        return await self._call(lambda: run_assemble(job, self.counters), _assemble_in_worker, job)

    def forget_index(self, db_path: Path) -> None:
        pool = self._pool
        if pool is not None:
            try:
                pool.submit(forget_index, db_path)
            except (BrokenProcessPool, RuntimeError, OSError) as error:
                self._failed(pool, error)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    async def _call(self, local: Callable[[], T], remote: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        pool = self._ensure_pool()
        if pool is not None:
            try:
                return await loop.run_in_executor(pool, remote, *args)
            except (BrokenProcessPool, OSError) as error:
                self._failed(pool, error)
        return await loop.run_in_executor(self._thread, local)

    def _ensure_pool(self) -> ProcessPoolExecutor | None:
        if self.in_process:
            return None
        with self._lock:
            if self._pool is None:
                root = logging.getLogger()
                files = [h for h in root.handlers if isinstance(h, logging.FileHandler)]
                log_file = files[0].baseFilename if files else None
                try:
                    self._pool = ProcessPoolExecutor(
                        1,
                        mp_context=multiprocessing.get_context("spawn"),
                        initializer=_start,
                        initargs=(self.counters.cache_dir, root.getEffectiveLevel(), log_file),
                    )
                except (OSError, ValueError) as error:
                    self._failures = GIVE_UP_AFTER
                    log.warning("the context worker cannot start (%s); working in-process", error)
                    return None
            return self._pool

    def _failed(self, pool: ProcessPoolExecutor, error: BaseException) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
                self._failures += 1
        pool.shutdown(wait=False, cancel_futures=True)
        log.warning(
            "the context worker stopped (%s); this request is made in-process%s",
            error or type(error).__name__,
            "" if self.in_process else ", the next starts a new worker",
        )
