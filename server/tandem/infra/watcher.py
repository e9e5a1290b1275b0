"""Watch one workspace folder for file changes, spending no watches on ignored folders.

The folder's directory tree is walked (pruning ignored directories) and split by
:func:`~tandem.infra.watch_plan.plan_watches` into directories watched recursively
and directories watched alone; two ``RustNotify`` watchers (one per mode) cover
them. Events are turned into :class:`FileEvent` and those for ignored paths dropped.

The plan is recomputed, debounced, when a directory appears (a new folder must be
watched; a new ``node_modules`` under a recursive watch must stop being watched) or
a rules file changes (the rules are rebuilt first); the watchers restart only if the
plan changed. Files inside new directories are then reported as ``added``, since
some may have been written before any watch covered them (so ``added`` may repeat).

If inotify cannot be used (the watch limit is reached, or it fails otherwise) the
watcher falls back to polling and says why in :attr:`FolderWatcher.degraded_reason`.
If the folder itself disappears it stops, with :attr:`FolderWatcher.stopped_reason`.
"""

from __future__ import annotations

import asyncio
import errno
import inspect
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from tandem.core.ignore import IgnoreRules
from tandem.infra.notify_thread import NotifyOptions, NotifyThread, RawChanges
from tandem.infra.scan import ScanResult, scan, scan_dirs
from tandem.infra.watch_plan import WatchPlan, plan_watches

log = logging.getLogger(__name__)

ChangeKind = Literal["added", "modified", "deleted"]

ADDED, MODIFIED, DELETED = 1, 2, 3
"""watchfiles ``Change`` values."""
REPLAN_DELAY = 0.1
"""Seconds of quiet after a new directory before the plan is recomputed."""
MAX_RETRIES = 3
"""Restarts in a row allowed when a directory vanishes while watches are set up."""
FOLDER_REMOVED = "folder removed"
_STOP = object()


@dataclass(frozen=True)
class _NewDirs:
    """Directories the plan lacks, found by a walk (see :meth:`FolderWatcher.check_dirs`)."""

    dirs: frozenset[str]


@dataclass(frozen=True)
class FileEvent:
    kind: ChangeKind
    rel_path: str
    """Folder-relative posix path. A ``deleted`` path may name a directory that was
    watched: everything below it is gone too."""


OnChanges = Callable[[list[FileEvent]], Awaitable[None] | None]


@dataclass
class _Batch:
    events: list[FileEvent] = field(default_factory=list)
    new_dirs: set[str] = field(default_factory=set)
    replan: bool = False


class FolderWatcher:
    """Watches one folder; :meth:`run` reports changes until :meth:`stop`."""

    def __init__(
        self,
        root: Path,
        rules: IgnoreRules,
        *,
        step_ms: int = 50,
        debounce_ms: int = 80,
        force_polling: bool = False,
        poll_delay_ms: int = 500,
        replan_delay: float = REPLAN_DELAY,
        tree: ScanResult | None = None,
    ) -> None:
        """``tree``: a walk of the folder just made (the tracker's scan); the first plan
        comes from it instead of a second walk."""
        self.root = root
        self.rules = rules
        """The rules in force; rebuilt here when a rules file changes."""
        self.options = NotifyOptions(step_ms, debounce_ms, force_polling, poll_delay_ms)
        self.replan_delay = replan_delay
        self.plan: WatchPlan | None = None
        self._tree = tree
        self.degraded_reason: str | None = None
        """Why the watcher polls instead of using inotify (None while it does not)."""
        self.stopped_reason: str | None = None
        """Why :meth:`run` returned on its own (for example :data:`FOLDER_REMOVED`)."""
        self.restarts = 0
        self.ready = asyncio.Event()
        """Set once the watches are in place (and files in new folders reported);
        cleared when watching fails or ends."""
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._threads: list[NotifyThread] = []
        self._retired: list[NotifyThread] = []
        self._stopping = False
        self._retries = 0

    def check_dirs(self, dirs: Iterable[str]) -> None:
        """A walk made after the watches were placed found ``dirs``: any the plan lacks
        (made between the walk the plan came from and the watches) gets planned."""
        missing = frozenset(d for d in dirs if self.plan is None or d not in self.plan.dirs)
        if missing:
            self._queue.put_nowait((None, _NewDirs(missing)))

    def stop(self) -> None:
        """Stop watching; :meth:`run` returns soon after."""
        self._stopping = True
        self._stop_threads()
        self._queue.put_nowait(_STOP)

    async def run(self, on_changes: OnChanges) -> None:
        """Report changes (sync or async callback) until stopped, cancelled or the folder goes.

        Returns once every watch is released.
        """
        try:
            await self._watch_loop(on_changes)
        finally:
            self._stop_threads()
            retired, self._retired = self._retired, []
            await asyncio.to_thread(_join_all, retired)

    # -- the loop ------------------------------------------------------------------------

    async def _watch_loop(self, on_changes: OnChanges) -> None:
        new_dirs: set[str] | None = set()
        while new_dirs is not None and not self._stopping:
            plan = await self._make_plan()
            if plan is None:
                return
            if not (plan.same_watches(self.plan) and self._threads):
                error = await self._start(plan)
                if error is not None:
                    if not self._recover(error):
                        return
                    continue
            self.plan, self._retries = plan, 0
            await self._catch_up(new_dirs, on_changes)
            self.ready.set()
            new_dirs = await self._pump(on_changes)

    async def _make_plan(self) -> WatchPlan | None:
        tree, self._tree = self._tree, None
        if tree is None:
            tree = await asyncio.to_thread(scan_dirs, self.root, self.rules)
        if not self.root.is_dir():
            self._halt(FOLDER_REMOVED)
            return None
        return plan_watches(tree)

    async def _start(self, plan: WatchPlan) -> BaseException | None:
        """Watch ``plan``, then retire the old watchers (so no change falls in a gap).

        Returns the error if the new watches could not be set up (the old ones stay).
        """
        groups = ((plan.recursive, True), (plan.flat, False))
        threads = [
            NotifyThread([self._abs(d) for d in dirs], recursive, self.options, self._queue)
            for dirs, recursive in groups
            if dirs
        ]
        results = await asyncio.gather(*(t.start() for t in threads), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            for thread in threads:
                thread.stop()
            self._retired += threads
            return errors[0]
        old, self._threads = self._threads, threads
        for thread in old:
            thread.stop()
        await asyncio.to_thread(_join_all, old)
        self.restarts += self.plan is not None
        self.plan = plan
        log.debug("watching %s: %d directories", self.root, plan.watched_dirs)
        return None

    async def _pump(self, on_changes: OnChanges) -> set[str] | None:
        """Deliver events until a replan is due (new directories) or watching ends (None)."""
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        new_dirs: set[str] = set()
        while True:
            item = await self._next(None if deadline is None else deadline - loop.time())
            if item is None:
                return new_dirs
            if item is _STOP:
                return None
            source, payload = item
            if isinstance(payload, _NewDirs):
                new_dirs |= payload.dirs
                deadline = loop.time()
                continue
            if isinstance(payload, BaseException):
                if source not in self._threads:
                    continue
                self._stop_threads()
                return new_dirs if self._recover(payload) else None
            batch = await asyncio.to_thread(self._translate, payload)  # stats every path
            await self._deliver(on_changes, batch.events)
            if not self.root.is_dir():
                await self._drain(on_changes)
                self._halt(FOLDER_REMOVED)
                return None
            if batch.replan:
                new_dirs |= batch.new_dirs
                deadline = loop.time() + self.replan_delay

    async def _drain(self, on_changes: OnChanges) -> None:
        """The folder is gone: deliver what the other watcher still reports, briefly."""
        quiet = 2 * (self.options.step_ms + self.options.debounce_ms) / 1000
        while (item := await self._next(quiet)) not in (None, _STOP):
            _, payload = item
            if not isinstance(payload, BaseException):
                await self._deliver(on_changes, self._translate(payload).events)

    async def _next(self, timeout: float | None) -> Any:
        if timeout is None:
            return await self._queue.get()
        try:
            return await asyncio.wait_for(self._queue.get(), max(timeout, 0))
        except asyncio.TimeoutError:
            return None

    async def _catch_up(self, new_dirs: set[str], on_changes: OnChanges) -> None:
        """Report files in new directories: some were written before a watch covered them."""
        for rel in sorted(_topmost(new_dirs)):
            if self.rules.is_ignored(rel, is_dir=True):
                continue
            found = await asyncio.to_thread(scan, self.root, self.rules, sys.maxsize, rel)
            events = [FileEvent("added", path) for path in sorted(found.files)]
            await self._deliver(on_changes, events)

    async def _deliver(self, on_changes: OnChanges, events: list[FileEvent]) -> None:
        if not events:
            return
        try:
            result = on_changes(events)
            if inspect.isawaitable(result):
                await result
        except Exception:  # boundary: a failing listener must not end the watching
            log.exception("file change listener failed on %d events", len(events))

    # -- events ----------------------------------------------------------------------------

    def _translate(self, raw: RawChanges) -> _Batch:
        """Turn a change set into events; rebuild the rules first if a rules file changed."""
        changes: dict[str, set[int]] = {}
        prefix = str(self.root) + os.sep
        for change, path in raw:
            if path.startswith(prefix):
                changes.setdefault(path[len(prefix) :].replace(os.sep, "/"), set()).add(change)
        batch = _Batch()
        if any(self.rules.is_rules_file(rel) for rel in changes):
            self.rules = self.rules.reload()
            batch.replan = True
        for rel in sorted(changes):
            self._classify(rel, changes[rel], batch)
        return batch

    def _classify(self, rel: str, kinds: set[int], batch: _Batch) -> None:
        path = self.root / rel
        if path.is_dir():
            if ADDED in kinds and not self.rules.is_ignored(_parent(rel), is_dir=True):
                batch.replan = True  # the walk prunes it if it is ignored or a symlink
                if not path.is_symlink() and not self.rules.is_ignored(rel, is_dir=True):
                    batch.new_dirs.add(rel)
            return
        if self.plan is not None and rel in self.plan.pruned:
            return  # an ignored (or symlinked) directory went away
        known_dir = self.plan is not None and rel in self.plan.dirs
        if self.rules.is_ignored(rel, is_dir=known_dir):
            return
        if not path.exists():
            batch.events.append(FileEvent("deleted", rel))
        else:
            batch.events.append(FileEvent("added" if ADDED in kinds else "modified", rel))

    # -- failures ----------------------------------------------------------------------------

    def _recover(self, error: BaseException) -> bool:
        """After watching failed: True to try again (maybe polling), False when stopped."""
        if not self.root.is_dir():
            self._halt(FOLDER_REMOVED)
            return False
        if isinstance(error, FileNotFoundError) and self._retries < MAX_RETRIES:
            self._retries += 1  # a directory vanished between the walk and the watch
            return True
        if self.options.force_polling:
            self._halt(f"watching failed: {error}")
            return False
        self.degraded_reason = _degraded_message(error, self.options.poll_delay_ms)
        log.warning("watching %s: %s (%s)", self.root, self.degraded_reason, error)
        self.options = replace(self.options, force_polling=True)
        return True

    def _halt(self, reason: str) -> None:
        self.stopped_reason = reason
        self._stopping = True
        log.warning("stopped watching %s: %s", self.root, reason)

    def _stop_threads(self) -> None:
        self.ready.clear()
        for thread in self._threads:
            thread.stop()
        self._retired = [t for t in self._retired if t.alive] + self._threads
        self._threads = []

    def _abs(self, rel: str) -> str:
        return str(self.root / rel) if rel else str(self.root)


def is_watch_limit_error(error: BaseException) -> bool:
    """Whether ``error`` says the inotify watch or instance limit was reached."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EMFILE):
        return True
    text = str(error).lower()
    return "watch limit" in text or "too many open files" in text


def _degraded_message(error: BaseException, poll_delay_ms: int) -> str:
    polling = f"polling every {poll_delay_ms} ms instead"
    if is_watch_limit_error(error):
        return (
            f"the inotify watch limit was reached; {polling}. Raise "
            "fs.inotify.max_user_watches or ignore more folders (workspace.ignore)."
        )
    return f"file watching failed ({error}); {polling}"


def _join_all(threads: list[NotifyThread]) -> None:
    for thread in threads:
        thread.join(timeout=2.0)


def _topmost(dirs: set[str]) -> set[str]:
    return {d for d in dirs if not any(d.startswith(other + "/") for other in dirs)}


def _parent(rel: str) -> str:
    return rel.rpartition("/")[0]
