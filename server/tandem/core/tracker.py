"""Keeps the workspace state current: scans folders, follows disk and git changes.

Blocking work (scanning, stat calls, git) runs off the event loop: git in one
dedicated thread (a gitpython ``Repo`` must stay on the thread that made it), the
rest in the default executor. Listeners (the retrieval index) hear about every
file that appeared, changed or went away.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any, Literal

from tandem.core import lru
from tandem.core.documents import OpenDocument
from tandem.core.errors import OutsideWorkspace
from tandem.core.ignore import IgnoreRules
from tandem.core.settings import Settings
from tandem.core.tasks import TaskOwner
from tandem.core.workspace import FileView, Folder, Workspace
from tandem.infra import git as gitinfra
from tandem.infra.gitwatch import watch_git_dir
from tandem.infra.scan import FileStat, ScanResult, read_text, scan
from tandem.infra.watcher import FileEvent, FolderWatcher

log = logging.getLogger(__name__)

ChangeKind = Literal["added", "modified", "deleted"]
GIT_DEBOUNCE = 0.15
HEAD_TEXTS_KEPT = 16
"""Files' text at HEAD kept by (commit, path): a commit's content never changes, and
every ask reads it again for the open files."""


@dataclass(frozen=True)
class FileChanges:
    """What changed in one folder: folder-relative paths."""

    folder: Folder
    changed: list[str]
    removed: list[str]


Listener = Callable[[FileChanges], None]
NOT_WATCHING = "not watching"


class WorkspaceTracker:
    def __init__(self, workspace: Workspace, tasks: TaskOwner, settings: Settings) -> None:
        self.workspace = workspace
        self.tasks = tasks
        self.settings = settings
        self.listeners: list[Listener] = []
        self.degraded: dict[Path, str] = {}
        self._git_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tandem-git")
        self._repos: dict[Path, gitinfra.GitRepo] = {}
        self._watchers: dict[Path, list[asyncio.Task[Any]]] = {}
        self._diffs: dict[Path, tuple[Any, str | None]] = {}
        self._head_texts: OrderedDict[tuple[str, str], str | None] = OrderedDict()

    # -- folders -----------------------------------------------------------------

    async def add_folder(self, path: Path, uri: str, name: str, own_watcher: bool) -> Folder:
        path = path.resolve()
        rules = await asyncio.to_thread(self._load_rules, path)
        folder = Folder(path=path, uri=uri, name=name, rules=rules)
        self.workspace.add(folder)
        tree, _ = await asyncio.gather(self._scan(folder), self.refresh_git(folder, baseline=True))
        self._watch(folder, own_watcher, tree)
        return folder

    async def remove_folder(self, path: Path) -> None:
        folder = self.workspace.remove(path.resolve())
        self._diffs.pop(path.resolve(), None)
        for task in self._watchers.pop(path.resolve(), []):
            task.cancel()
        if folder is not None:
            self._emit(FileChanges(folder, [], list(folder.files)))

    def _load_rules(self, path: Path) -> IgnoreRules:
        ws = self.settings.workspace
        return IgnoreRules.load(path, extra_patterns=ws.ignore, allow_patterns=ws.allow)

    async def _scan(self, folder: Folder) -> ScanResult:
        limit = self.settings.context.maxFileBytes
        result = await asyncio.to_thread(scan, folder.path, folder.rules, limit)
        folder.files = dict(result.files)
        folder.scanned = True
        for rel, reason in result.skipped.items():
            log.debug("not tracked: %s (%s)", rel, reason)
        self._emit(FileChanges(folder, sorted(folder.files), []))
        return result

    # -- watching ----------------------------------------------------------------

    def _watch(self, folder: Folder, own_watcher: bool, tree: ScanResult) -> None:
        """Watch the folder (planned from ``tree``, the walk just made) and its git dir."""
        tasks: list[asyncio.Task[Any]] = []
        if self.settings.workspace.watch == "off":
            return
        if own_watcher:
            watcher = FolderWatcher(folder.path, folder.rules, tree=tree)
            tasks.append(self.tasks.run(self._run_watcher(folder, watcher), f"watch {folder.name}"))
        if folder.git_root is not None:
            tasks.append(
                self.tasks.run(
                    watch_git_dir(folder.git_root, lambda: self.schedule_git_refresh(folder)),
                    f"watch git {folder.name}",
                )
            )
        self._watchers[folder.path] = tasks

    async def _run_watcher(self, folder: Folder, watcher: FolderWatcher) -> None:
        async def on_changes(events: list[FileEvent]) -> None:
            await self.apply_changes((folder.path / e.rel_path, e.kind) for e in events)
            if watcher.degraded_reason:
                self.degraded[folder.path] = watcher.degraded_reason

        async def catch_up() -> None:
            """Changes made between the scan and the watches being in place."""
            await watcher.ready.wait()
            if watcher.degraded_reason:
                self.degraded[folder.path] = watcher.degraded_reason
            watcher.check_dirs((await self._rescan(folder)).dirs)

        catching_up = self.tasks.run(catch_up(), f"catch up {folder.name}")
        try:
            await watcher.run(on_changes)
        finally:
            catching_up.cancel()
        if watcher.stopped_reason:
            self.degraded[folder.path] = f"{NOT_WATCHING}: {watcher.stopped_reason}"

    async def apply_changes(self, changes: Iterable[tuple[Path, ChangeKind]]) -> None:
        """Disk changes, from our watcher or the editor's: absolute paths."""
        by_folder: dict[Path, list[tuple[str, ChangeKind]]] = {}
        for path, kind in changes:
            folder = self.workspace.folder_for(path)
            rel = folder.relative(path) if folder else None
            if folder is not None and rel is not None:
                by_folder.setdefault(folder.path, []).append((rel, kind))
        for folder_path, items in by_folder.items():
            folder = self.workspace.folders.get(folder_path)
            if folder is not None:
                await self._apply_folder_changes(folder, items)

    async def _apply_folder_changes(
        self, folder: Folder, items: list[tuple[str, ChangeKind]]
    ) -> None:
        if any(folder.rules.is_rules_file(rel) for rel, _ in items):
            folder.rules = await asyncio.to_thread(self._load_rules, folder.path)
            await self._rescan(folder)
            return
        limit = self.settings.context.maxFileBytes
        rels = [rel for rel, _ in items]
        rels += _under_deleted_dirs(folder, [rel for rel, kind in items if kind == "deleted"])
        stats = await asyncio.to_thread(_stat_all, folder, rels, limit)
        changed, removed = [], []
        for rel, stat in stats.items():
            if stat is None:
                if folder.files.pop(rel, None) is not None:
                    removed.append(rel)
            elif folder.files.get(rel) != stat:
                folder.files[rel] = stat
                changed.append(rel)
        folder.disk_changes += 1
        if changed or removed:
            self._emit(FileChanges(folder, changed, removed))
        self.schedule_git_refresh(folder)

    async def _rescan(self, folder: Folder) -> ScanResult:
        before = dict(folder.files)
        limit = self.settings.context.maxFileBytes
        result = await asyncio.to_thread(scan, folder.path, folder.rules, limit)
        folder.files = dict(result.files)
        changed = [r for r, s in folder.files.items() if before.get(r) != s]
        removed = [r for r in before if r not in folder.files]
        folder.disk_changes += 1
        self._emit(FileChanges(folder, changed, removed))
        self.schedule_git_refresh(folder)
        return result

    def _emit(self, changes: FileChanges) -> None:
        for listener in self.listeners:
            listener(changes)

    # -- git ---------------------------------------------------------------------

    def schedule_git_refresh(self, folder: Folder) -> None:
        if folder.git_root is None and folder.scanned:
            return
        self.tasks.debounce(f"git {folder.path}", GIT_DEBOUNCE, lambda: self.refresh_git(folder))

    async def refresh_git(self, folder: Folder, baseline: bool = False) -> None:
        loop = asyncio.get_running_loop()
        try:
            status, root = await loop.run_in_executor(self._git_thread, self._git_status, folder)
        except gitinfra.GitError as error:
            _note_git_error(folder, error)
            folder.git, folder.git_root = None, None
            return
        folder.git_root, folder.git, folder.git_error = root, status, None
        if baseline and status is not None:
            ref = self.settings.workspace.baselineRef
            folder.baseline = await self.git_call(folder, "resolve", ref) if ref else status.head
            folder.remote = await self.git_call(folder, "remote_url")

    def _git_status(self, folder: Folder) -> tuple[gitinfra.GitStatus | None, Path | None]:
        repo = self._repo(folder)
        return (repo.status(), repo.root) if repo is not None else (None, None)

    def _repo(self, folder: Folder) -> gitinfra.GitRepo | None:
        root = gitinfra.find_repo_root(folder.path)
        if root is None:
            return None
        repo = self._repos.get(root)
        if repo is None:
            repo = self._repos[root] = gitinfra.GitRepo(root)
        return repo

    async def git_call(self, folder: Folder, method: str, *args: Any) -> Any:
        """Call a ``GitRepo`` method on the git thread; None when not a repository."""

        def call() -> Any:
            repo = self._repo(folder)
            return None if repo is None else getattr(repo, method)(*args)

        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._git_thread, call)
        except gitinfra.GitError as error:
            _note_git_error(folder, error)
            return None

    async def diff_since(self, folder: Folder, ref: str) -> str | None:
        """``git diff <ref>`` of the work tree, reused while what it depends on is the
        same: the ref, the git status and the files on disk (as the watcher saw them).

        A chat turn needs the diff every time; running git for it cost more than the
        rest of the turn's bookkeeping. A file saved a moment ago shows in the diff once
        the watcher has reported it (tens of milliseconds), or at once when the editor
        saved or reloaded it (an open buffer's version is part of the key)."""
        key = (ref, folder.disk_changes, folder.git, self._buffer_versions(folder))
        cached = self._diffs.get(folder.path)
        if cached is not None and cached[0] == key:
            return cached[1]
        diff: str | None = await self.git_call(folder, "diff_since", ref)
        unchanged = folder.git is key[2]
        if unchanged and self.sees_disk(folder):  # unwatched, disk changes go unseen
            self._diffs[folder.path] = (key, diff)
        return diff

    def _buffer_versions(self, folder: Folder) -> tuple[tuple[str, int | None], ...]:
        docs = self.workspace.documents
        return tuple((d.uri, d.version) for d in docs if d.path and folder.relative(d.path))

    def sees_disk(self, folder: Folder) -> bool:
        """Whether changes on disk in ``folder`` reach us (and bump ``disk_changes``)."""
        reason = self.degraded.get(folder.path, "")
        return folder.path in self._watchers and not reason.startswith(NOT_WATCHING)

    # -- the file view -----------------------------------------------------------

    async def file_view(self, path: Path) -> FileView:
        """Buffer > disk > git HEAD, with "dirty vs disk" and "changed vs HEAD"."""
        path = self.workspace.confine(path)
        folder = self.workspace.folder_for(path)
        rel = folder.relative(path) if folder else None
        doc = self.workspace.documents.by_path(path)
        limit = self.settings.context.maxFileBytes
        disk_text, mtime = await asyncio.to_thread(_read_disk, path, limit)
        head_text = await self._head_text(folder, rel)
        if doc is not None:
            return _buffer_view(doc, folder, rel, disk_text, mtime, head_text)
        if mtime is not None:
            changed = head_text is None or disk_text != head_text
            return FileView(path, _fp(folder), rel, "disk", disk_text, None, mtime, False, changed)
        return FileView(path, _fp(folder), rel, "git", head_text, None, None, False, True)

    async def _head_text(self, folder: Folder | None, rel: str | None) -> str | None:
        if folder is None or rel is None or folder.git_root is None or folder.git is None:
            return None
        if folder.git.head is None:
            return None
        git_rel = (folder.path / rel).relative_to(folder.git_root).as_posix()
        key = (folder.git.head, git_rel)
        if key in self._head_texts:
            self._head_texts.move_to_end(key)
            return self._head_texts[key]
        text: str | None = await self.git_call(folder, "show", folder.git.head, git_rel)
        lru.put(self._head_texts, key, text, HEAD_TEXTS_KEPT)
        return text

    # -- reporting ---------------------------------------------------------------

    def state(self, folder_path: Path | None = None) -> dict[str, Any]:
        """What Tandem believes, as the JSON ``tandem.workspaceState`` returns."""
        folders = [f for f in self.workspace.folders.values() if folder_path in (None, f.path)]
        docs = [d for d in self.workspace.documents if _in_any(d, folders, folder_path)]
        return {
            "folders": [_folder_json(f, self.degraded.get(f.path)) for f in folders],
            "openDocuments": [self._doc_json(d) for d in docs],
            "trackedFiles": sum(len(f.files) for f in folders),
        }

    def _doc_json(self, doc: OpenDocument) -> dict[str, Any]:
        return {"uri": doc.uri, "version": doc.version, "dirty": self.is_dirty(doc)}

    def is_dirty(self, doc: OpenDocument) -> bool:
        """Whether the buffer differs from the file on disk.

        A buffer whose UTF-8 size is not the file's differs without reading the file
        (every chat turn asks this of every open buffer; reading and decoding a large
        file each time held the GIL for a millisecond or more). A file that is not
        valid UTF-8 then counts as differing from a buffer that shows its bytes
        replaced."""
        if doc.path is None:
            return True
        try:
            path = self.workspace.confine(doc.path)
            info = path.stat()
        except OutsideWorkspace:
            return True  # never read a file outside the folders
        except OSError:
            return True
        if not S_ISREG(info.st_mode):
            return True  # a FIFO or a device is never opened
        if info.st_size != doc.buffer.utf8_size:
            return True
        try:
            data = path.read_bytes()
        except OSError:
            return True
        return data.decode("utf-8", errors="replace") != doc.text

    async def close(self) -> None:
        for tasks in self._watchers.values():
            for task in tasks:
                task.cancel()
        self._watchers.clear()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._git_thread, self._close_repos)
        self._git_thread.shutdown(wait=False)

    def _close_repos(self) -> None:
        for repo in self._repos.values():
            repo.close()
        self._repos.clear()


def _note_git_error(folder: Folder, error: gitinfra.GitError) -> None:
    """Record why git failed for the folder (``tandem.workspaceState`` shows it); log it
    once, not on every refresh."""
    if folder.git_error != str(error):
        log.warning("git in %s: %s", folder.path, error)
    folder.git_error = str(error)


def _fp(folder: Folder | None) -> Path | None:
    return folder.path if folder else None


def _buffer_view(
    doc: OpenDocument,
    folder: Folder | None,
    rel: str | None,
    disk_text: str | None,
    mtime: int | None,
    head_text: str | None,
) -> FileView:
    text = doc.text
    in_git = folder is not None and folder.git is not None and folder.git.head is not None
    changed = text != head_text if in_git else True
    assert doc.path is not None
    return FileView(
        doc.path, _fp(folder), rel, "buffer", text, doc.version, mtime, text != disk_text, changed
    )


def _read_disk(path: Path, limit: int) -> tuple[str | None, int | None]:
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return None, None
    return read_text(path, limit), mtime


def _stat_all(folder: Folder, rels: list[str], limit: int) -> dict[str, FileStat | None]:
    out: dict[str, FileStat | None] = {}
    for rel in rels:
        path = folder.path / rel
        if folder.rules.is_ignored(rel) or not path.is_file():
            out[rel] = None
            continue
        try:
            st = path.stat()
        except OSError:
            out[rel] = None
            continue
        out[rel] = (
            FileStat(size=st.st_size, mtime_ns=st.st_mtime_ns) if st.st_size <= limit else None
        )
    return out


def _under_deleted_dirs(folder: Folder, deleted: list[str]) -> list[str]:
    """Tracked files below a deleted path (a folder removed or moved as a whole)."""
    prefixes = tuple(f"{rel}/" for rel in deleted)
    return [rel for rel in folder.files if rel.startswith(prefixes)] if prefixes else []


def _in_any(doc: OpenDocument, folders: list[Folder], folder_path: Path | None) -> bool:
    if folder_path is None:
        return True
    return doc.path is not None and any(
        doc.path == f.path or f.path in doc.path.parents for f in folders
    )


def _folder_json(folder: Folder, degraded: str | None) -> dict[str, Any]:
    git = folder.git
    changed = [{"path": p, "status": s} for p, s in sorted(folder.changed_paths().items())]
    out: dict[str, Any] = {
        "uri": folder.uri,
        "name": folder.name,
        "isGitRepo": git is not None,
        "branch": git.branch if git else None,
        "detached": git.detached if git else False,
        "head": git.head if git else None,
        "baseline": folder.baseline,
        "changedFiles": changed,
        "trackedFiles": len(folder.files),
    }
    if folder.git_error:
        out["gitError"] = folder.git_error
    if degraded:
        out["watcher"] = degraded
    return out
