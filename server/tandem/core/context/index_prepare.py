"""Preparing files for the index, on worker processes when a pass is large.

Chunking a file and extracting its terms is pure Python, so within one process it runs
on one core however many threads there are. A large pass (a first index, a branch
switch that rewrites thousands of files) hands its batches to worker processes while
the calling thread stores the batches already prepared; a small pass (a save, a
checkout of a few files) stays in-process, where starting workers would cost more than
it saves.

Workers are spawned, not forked: the server has threads (watchers, the model loop) and
forking a threaded process can copy a lock in a held state. Each worker points its
standard output at standard error first, so nothing it might print can reach the
editor's protocol stream. If workers cannot be started or one dies, the pass goes on
in-process from the batch that failed: nothing is skipped and the order is kept.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from tandem.core.context.index_write import FileUpdate, Prepared, batches, prepare

log = logging.getLogger(__name__)

PARALLEL_FROM = 400
"""Files in a pass from which preparing moves to worker processes."""
MAX_WORKERS = 4


def workers_for(files: int) -> int:
    """Worker processes for a pass of ``files`` files (0: prepare in-process)."""
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    if files < PARALLEL_FROM or cores < 2:
        return 0
    return min(MAX_WORKERS, cores)


def prepared_batches(
    updates: Iterable[FileUpdate], known: dict[str, str], size: int, workers: int = 0
) -> Iterator[list[Prepared]]:
    """``updates`` prepared, in batches of ``size`` and in order; on ``workers``
    processes when there are two or more, with at most two batches each in flight."""
    if workers < 2:
        for batch in batches(updates, size):
            yield _prepare_batch(batch, known)
        return
    pending = iter(batches(updates, size))
    try:
        pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_quiet
        )
    except (OSError, ValueError) as error:
        log.warning("index workers could not start (%s); preparing in-process", error)
        for batch in pending:
            yield _prepare_batch(batch, known)
        return
    window: deque[tuple[list[FileUpdate], Future[list[Prepared]] | None]] = deque()
    broken = False
    try:
        for batch in pending:
            future = None if broken else _submit(pool, batch, known)
            broken = future is None
            window.append((batch, future))
            while len(window) > 2 * workers or (broken and window):
                yield _result(*window.popleft(), known)
        while window:
            yield _result(*window.popleft(), known)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _submit(
    pool: ProcessPoolExecutor, batch: list[FileUpdate], known: dict[str, str]
) -> Future[list[Prepared]] | None:
    try:
        return pool.submit(_prepare_batch, batch, _known_for(batch, known))
    except (BrokenProcessPool, RuntimeError, OSError) as error:
        log.warning("index workers stopped (%s); preparing in-process", error)
        return None


def _result(
    batch: list[FileUpdate], future: Future[list[Prepared]] | None, known: dict[str, str]
) -> list[Prepared]:
    if future is not None:
        try:
            return future.result()
        except (BrokenProcessPool, OSError) as error:
            log.warning("an index worker failed (%s); preparing its files in-process", error)
    return _prepare_batch(batch, known)


def _known_for(batch: list[FileUpdate], known: dict[str, str]) -> dict[str, str]:
    """The part of ``known`` a batch needs (the whole map would be copied per batch)."""
    return {u.path: known[u.path] for u in batch if u.path in known}


def _prepare_batch(batch: list[FileUpdate], known: dict[str, str]) -> list[Prepared]:
    return [prepare(update, known) for update in batch]


def _quiet() -> None:
    """In a worker: standard output goes to standard error (the server's stdout may be
    the editor's protocol stream)."""
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = sys.stderr
