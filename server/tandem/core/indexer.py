"""Keeps one persistent retrieval index per workspace folder current.

The tracker reports which files appeared, changed or went away; open buffers report
their unsaved text. Work is coalesced per folder and done on a worker thread, so
the editor is never blocked; the first pass over a folder reports progress. A file
whose size and mtime match what the index recorded is not read again (warm start).
Unsaved buffer text is indexed with ``mtime_ns = -1``, so that once the buffer is
closed the file on disk never matches it and is read back in.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tandem.core.context.index import FileUpdate, WorkspaceIndex
from tandem.core.context.index_prepare import workers_for
from tandem.core.heap import settle_heap
from tandem.core.tasks import TaskOwner
from tandem.core.tracker import FileChanges
from tandem.core.workspace import Folder
from tandem.infra.scan import read_text

log = logging.getLogger(__name__)
UNAVAILABLE = "unavailable"
"""The index state of a folder whose index cannot be opened."""
BUFFER_MTIME = -1
BATCH = 200
SETTLE = 0.05
"""Seconds without new disk changes before a folder's pending files are indexed."""
BULK_CHANGES = 50
BULK_SETTLE = 0.5
"""The wait once :data:`BULK_CHANGES` files are pending: a checkout, a rebase or an
install writes files for a second or more, and a pass started on the first of them
leaves the rest to a second pass that waits for the first (each starting its own
worker processes). The first pass over a folder starts at once."""
FLUSH_FILES = 200
"""Files at most in a pass that a shutdown still runs or waits for (see
:meth:`IndexManager.flush`): a fraction of a second, well within the time an editor
gives a server to exit."""
FLUSH_SECONDS = 3.0
"""What a shutdown gives those passes at most; the rest is left to the next start."""


def index_path(data_dir: Path, folder: Path) -> Path:
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    return data_dir / "index" / f"{digest}.sqlite3"


@dataclass
class _Pending:
    changed: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    buffers: dict[str, str] = field(default_factory=dict)


class IndexManager:
    def __init__(
        self,
        data_dir: Path,
        tasks: TaskOwner,
        notifier: Any,
        max_bytes: Callable[[], int],
        buffers: Callable[[Folder], dict[str, str]],
    ) -> None:
        self.data_dir = data_dir
        self.buffers = buffers
        """The unsaved texts of a folder's open documents, by folder-relative path: they
        win over disk."""
        self.tasks = tasks
        self.notifier = notifier
        self.max_bytes = max_bytes
        self.indexes: dict[Path, WorkspaceIndex] = {}
        self.folders: dict[Path, Folder] = {}
        self.state: dict[Path, str] = {}
        self._pending: dict[Path, _Pending] = {}
        self._running: dict[Path, int] = {}
        """Per folder: the size of the pass under way."""
        self._locks: dict[Path, asyncio.Lock] = {}

    # -- input -------------------------------------------------------------------

    def on_changes(self, changes: FileChanges) -> None:
        folder = changes.folder
        if self.state.get(folder.path) == UNAVAILABLE:
            return
        if folder.path not in self.indexes and changes.changed:
            try:
                self._open(folder)
            except (OSError, sqlite3.Error) as error:
                self._unavailable(folder, error)
                return
        pending = self._pending.setdefault(folder.path, _Pending())
        pending.changed.update(changes.changed)
        pending.changed.difference_update(changes.removed)
        pending.removed.update(changes.removed)
        bulk = len(pending.changed) + len(pending.removed) >= BULK_CHANGES
        first = self.state.get(folder.path) == "pending"
        self._schedule(folder.path, BULK_SETTLE if bulk and not first else SETTLE)

    def on_buffer(self, folder: Folder, rel: str, text: str) -> None:
        if folder.path not in self.indexes or folder.rules.is_ignored(rel):
            return
        self._pending.setdefault(folder.path, _Pending()).buffers[rel] = text
        self._schedule(folder.path, 0.3)

    def on_buffer_closed(self, folder: Folder, rel: str) -> None:
        """The file on disk wins again. Not a disk burst: an editor that quits closes
        every document at once, and its files are read back before it is gone."""
        if folder.path in self.indexes and rel in folder.files:
            pending = self._pending.setdefault(folder.path, _Pending())
            pending.buffers.pop(rel, None)
            pending.changed.add(rel)
            self._schedule(folder.path, SETTLE)

    def drop_folder(self, path: Path) -> None:
        index = self.indexes.pop(path, None)
        self.folders.pop(path, None)
        self.state.pop(path, None)  # added again, the folder's index is tried afresh
        if index is not None:
            index.close()

    def _open(self, folder: Folder) -> None:
        db = index_path(self.data_dir, folder.path)
        db.parent.mkdir(parents=True, exist_ok=True)
        self.indexes[folder.path] = WorkspaceIndex(db)
        self.folders[folder.path] = folder
        self.state[folder.path] = "pending"

    def _unavailable(self, folder: Folder, error: Exception) -> None:
        """No index can be kept (a read-only or full data dir): the folder is still
        tracked, watched and diffed, and questions get no retrieved code, which the
        user is told once."""
        self.state[folder.path] = UNAVAILABLE
        message = (
            f"cannot keep the search index of {folder.name} in {self.data_dir}: {error}. "
            "Questions get no retrieved code from it until Tandem restarts with a writable "
            "data directory (TANDEM_DATA_DIR)."
        )
        log.warning("%s", message)
        self.notifier.show_message("warning", f"Tandem: {message}")

    def _schedule(self, path: Path, delay: float) -> None:
        self.tasks.debounce(f"index {path}", delay, lambda: self._drain(path))

    # -- work --------------------------------------------------------------------

    async def _drain(self, path: Path) -> None:
        lock = self._locks.setdefault(path, asyncio.Lock())
        async with lock:
            while (pending := self._pending.pop(path, None)) is not None:
                index, folder = self.indexes.get(path), self.folders.get(path)
                if index is None or folder is None:
                    return
                self._running[path] = _size(pending)
                try:
                    await self._apply(index, folder, pending)
                finally:
                    self._running.pop(path, None)

    async def _apply(self, index: WorkspaceIndex, folder: Folder, pending: _Pending) -> None:
        for rel, text in self.buffers(folder).items():
            if rel in pending.changed:
                pending.buffers.setdefault(rel, text)
        first = self.state.get(folder.path) == "pending"
        self.state[folder.path] = "indexing"
        key = f"index-{folder.name}"
        if first:
            await self.notifier.progress_begin(key, f"Indexing {folder.name}")
        loop = asyncio.get_running_loop()

        def report(done: int, total: int) -> None:
            if first and total:
                pct = min(100, done * 100 // total)
                loop.call_soon_threadsafe(
                    self.notifier.progress_report, key, f"{done}/{total} files", pct
                )

        try:
            read, count = await asyncio.to_thread(self._work, index, folder, pending, report)
        finally:
            self.state[folder.path] = "ready"
            if first:
                self.notifier.progress_end(key, f"Indexed {len(folder.files)} files")
        log.info("index %s: %d files read, %d updated", folder.name, read, count)
        if first:
            settle_heap()

    def _work(
        self,
        index: WorkspaceIndex,
        folder: Folder,
        pending: _Pending,
        report: Callable[[int, int], None],
    ) -> tuple[int, int]:
        """Bring the index up to date; returns (files read from disk, files changed).

        Only files whose size or mtime differ from what the index recorded are read."""
        index.remove_files(sorted(pending.removed))
        states = index.file_states()
        todo = []
        for rel in sorted(pending.changed - pending.buffers.keys()):
            stat, known = folder.files.get(rel), states.get(rel)
            if stat is None:
                continue
            if known is None or (known.mtime_ns, known.size) != (stat.mtime_ns, stat.size):
                todo.append((rel, stat))
        workers = workers_for(len(todo))
        updated = index.update_files(self._read(folder, todo, report), workers) if todo else 0
        for rel, text in pending.buffers.items():
            updated += index.update_file(rel, text, BUFFER_MTIME, len(text))
        return len(todo), updated

    def _read(
        self, folder: Folder, todo: list[tuple[str, Any]], report: Callable[[int, int], None]
    ) -> Iterator[FileUpdate]:
        """The files, read one by one as the index asks for them.

        One generator for the whole pass, so that the index prepares the next batch
        while its writer thread stores the previous one."""
        limit = self.max_bytes()
        for done, (rel, stat) in enumerate(todo, 1):
            yield FileUpdate(rel, read_text(folder.path / rel, limit), stat.mtime_ns, stat.size)
            if done % BATCH == 0 or done == len(todo):
                report(done, len(todo))

    async def flush(self) -> None:
        """At shutdown: finish a small pass under way and run the small ones still
        settling, so the files of the documents an editor closes as it quits are read
        back and the next start has nothing to catch up. A large pass (a first index,
        a checkout), and whatever is left after :data:`FLUSH_SECONDS`, is left to that
        start, which finds it by the files' sizes and times."""

        async def small_ones() -> None:
            for path in list({*self._pending, *self._running}):
                pending = self._pending.get(path)
                if self._running.get(path, 0) > FLUSH_FILES or (
                    pending is not None and _size(pending) > FLUSH_FILES
                ):
                    continue
                await self._drain(path)  # after the pass under way, if there is one

        try:
            await asyncio.wait_for(small_ones(), FLUSH_SECONDS)
        except TimeoutError:
            log.info("shutdown: index passes still under way are left to the next start")

    async def idle(self) -> None:
        """Wait until every folder's queue is drained (CLI and tests)."""
        await self.tasks.idle()

    def close(self) -> None:
        for index in self.indexes.values():
            index.close()
        self.indexes.clear()


def _size(pending: _Pending) -> int:
    return len(pending.changed) + len(pending.removed) + len(pending.buffers)
