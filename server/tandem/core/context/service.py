"""Gathers what a request may draw on, from the live workspace and the history.

This is the impure half of the context engine: it reads the editor's buffers, git,
the retrieval indexes and the session's history, and hands plain data to
:func:`~tandem.core.context.assemble.assemble`, which decides what goes in.

Paths are folder-relative; with several workspace folders they are prefixed with
the folder's name, so the model can tell ``api/app.py`` from ``web/app.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from tandem.core.context.assemble import Assembled, carried
from tandem.core.context.delta import content_hash
from tandem.core.context.git_items import is_demoted
from tandem.core.context.index import WorkspaceIndex
from tandem.core.context.inputs import (
    BufferView,
    CodeCandidate,
    ContextRequest,
    FileDiffText,
    GitContext,
    HistoryTurn,
    Selection,
)
from tandem.core.context.planner import Budget
from tandem.core.context.ranking import Signals
from tandem.core.context.sent import SentRecords
from tandem.core.context.tokens import encoding_for_model
from tandem.core.context.worker import AssembleJob, ContextRunner, Found
from tandem.core.diffs import parse_unified_diff
from tandem.core.errors import ContextError
from tandem.core.history.models import Message
from tandem.core.history.store import HistoryStore
from tandem.core.settings import Settings
from tandem.core.tracker import WorkspaceTracker
from tandem.core.workspace import Folder
from tandem.infra.scan import read_text

log = logging.getLogger(__name__)
CODE_CANDIDATES = 80
REPLAYED_REQUESTS = 2
"""How many recent user turns are replayed as the whole request they were sent as."""

T = TypeVar("T")
_CPU = ThreadPoolExecutor(1, thread_name_prefix="tandem-context")
"""Ranking, counting and rendering, one request at a time. Under the GIL more threads
would not run them any sooner; each one more only makes the event loop (every
keystroke) wait longer for the GIL. Reads of git and the history, which mostly wait,
stay on the default pool and overlap with this work."""


def _cpu(fn: Callable[..., T], *args: object) -> asyncio.Future[T]:
    return asyncio.get_running_loop().run_in_executor(_CPU, fn, *args)


@dataclass(frozen=True)
class Focus:
    """Where the user is: the active file and, optionally, a selection in it."""

    path: Path | None = None
    selection: tuple[tuple[int, int], tuple[int, int]] | None = None
    diagnostics: list[str] = field(default_factory=list)


class ContextService:
    def __init__(
        self,
        tracker: WorkspaceTracker,
        indexes: Callable[[], dict[Path, WorkspaceIndex]],
        store: Callable[[], HistoryStore],
        settings: Callable[[], Settings],
        token_cache: Path,
        worker: bool = False,
    ) -> None:
        """``worker``: rank and assemble in a worker process (:mod:`.worker`)."""
        self.tracker = tracker
        self._indexes = indexes
        self._store = store
        self._settings = settings
        self.runner = ContextRunner(token_cache, _CPU, processes=worker)
        self._sent = SentRecords()
        self._verdicts: dict[Path, tuple[tuple[object, int], dict[str, bool]]] = {}

    def encoding(self) -> str:
        model = self._settings().model
        return encoding_for_model(model.resolved_name(), model.encoding)

    def warm(self) -> None:
        """Have the worker ready (and its token counter loaded) before the first request."""
        self.runner.warm(self.encoding())

    async def close(self) -> None:
        await self.runner.close()

    def budget(self, override: int | None = None) -> Budget:
        s = self._settings()
        cap = override if override is not None else s.context.maxBudgetTokens
        return Budget(s.model.contextWindow, s.model.maxOutputTokens, s.context.marginTokens, cap)

    async def assemble(
        self,
        prompt: str,
        session_id: str | None,
        focus: Focus,
        exclude_turn: str | None = None,
        budget: int | None = None,
    ) -> Assembled:
        if not prompt.strip():
            raise ContextError("The prompt is empty.")
        request, on_disk = await self.request(prompt, session_id, focus, exclude_turn)
        job = AssembleJob(request, self.budget(budget), self.encoding(), on_disk)
        return await self.runner.assemble(job)

    # -- gathering ---------------------------------------------------------------

    async def request(
        self, prompt: str, session_id: str | None, focus: Focus, exclude_turn: str | None
    ) -> tuple[ContextRequest, dict[str, str]]:
        """The request, and the disk text of files sent before that are not open."""
        if focus.path is not None:
            self.tracker.workspace.confine(focus.path)
        selection = self._selection(focus)
        buffers = await _cpu(self._buffers)
        active = self._label(focus.path) if focus.path else None
        signals = self._signals(active, selection, buffers)
        code, git, (history, summary, sent, snapshots) = await asyncio.gather(
            self._code(prompt, signals),
            self._git(),
            asyncio.to_thread(self._history, session_id, exclude_turn),
        )
        on_disk = await asyncio.to_thread(self._on_disk, sent, buffers)
        request = ContextRequest(
            prompt=prompt,
            selection=selection,
            active_path=active,
            buffers=buffers,
            git=git,
            workspace_summary=self._summary(),
            history=history,
            history_summary=summary,
            code=code,
            sent_snapshots=sent,
            get_snapshot=snapshots.get,
        )
        return request, on_disk

    def _label(self, path: Path) -> str | None:
        folder = self.tracker.workspace.folder_for(path)
        if folder is None:
            return path.name
        rel = folder.relative(path)
        return self._prefix(folder, rel) if rel is not None else None

    def _prefix(self, folder: Folder, rel: str) -> str:
        if len(self.tracker.workspace.folders) > 1:
            return f"{folder.name}/{rel}"
        return rel

    def _allowed(self, path: Path) -> bool:
        workspace = self.tracker.workspace
        folder = workspace.folder_for(path)
        if folder is None:  # a lone file counts only while no folder is open
            return not workspace.folders and not workspace.is_secret(path)
        rel = folder.relative(path)
        if rel is None:
            return False
        return not folder.rules.is_ignored(rel) and not folder.rules.is_secret_path(rel)

    def _allowed_in(self, folder: Folder, rels: set[str]) -> dict[str, bool]:
        """``_allowed`` for paths of one folder. Verdicts are kept while the folder's
        rules and files stay as they are (a symlink is judged by where it leads, which
        costs a ``realpath``), and only where changes on disk are seen."""
        verdicts: dict[str, bool] = {}
        if self.tracker.sees_disk(folder):
            key = (folder.rules, folder.disk_changes)
            kept = self._verdicts.get(folder.path)
            if kept is None or kept[0] != key:
                kept = self._verdicts[folder.path] = (key, {})
            verdicts = kept[1]
        for rel in rels - verdicts.keys():
            verdicts[rel] = self._allowed(folder.path / rel)
        return {rel: verdicts[rel] for rel in rels}

    def _selection(self, focus: Focus) -> Selection | None:
        if focus.path is None or focus.selection is None:
            return None
        path = self.tracker.workspace.confine(focus.path)
        if not self._allowed(path):
            raise ContextError(
                f"{path.name} is ignored or looks like a secret file; it is never sent. "
                "Allow it with the setting workspace.allow."
            )
        doc = self.tracker.workspace.documents.by_path(
            path
        ) or self.tracker.workspace.documents.by_path(focus.path)
        if doc is None:
            raise ContextError(f"{path.name} is not open in the editor")
        (sl, sc), (el, ec) = focus.selection
        buf = doc.buffer
        text = buf.text[buf.offset_at((sl, sc)) : buf.offset_at((el, ec))]
        last = el if ec > 0 or el == sl else el - 1
        label = self._label(path) or path.name
        return Selection(label, sl + 1, last + 1, text, list(focus.diagnostics))

    def _buffers(self) -> list[BufferView]:
        views = []
        for doc in self.tracker.workspace.documents:
            if doc.path is None or not self._allowed(doc.path):
                continue
            label = self._label(doc.path)
            if label is not None:
                views.append(BufferView(label, doc.text, self.tracker.is_dirty(doc)))
        return views

    def _signals(
        self, active: str | None, selection: Selection | None, buffers: list[BufferView]
    ) -> dict[Path, Signals]:
        """Per folder: the editor's signals, in that folder's own relative paths."""
        out = {}
        sel_lines = (selection.start_line - 1, selection.end_line - 1) if selection else None
        for path, folder in self.tracker.workspace.folders.items():
            own = self._own_paths(folder)
            out[path] = Signals(
                active_path=own(active),
                selection_path=own(selection.path if selection else None),
                selection_lines=sel_lines,
                open_paths=[p for b in buffers if (p := own(b.path))],
                changed_paths=list(folder.changed_paths()),
            )
        return out

    def _own_paths(self, folder: Folder) -> Callable[[str | None], str | None]:
        """Maps a label back to ``folder``'s relative path (None if another folder's)."""
        prefix = f"{folder.name}/" if len(self.tracker.workspace.folders) > 1 else ""

        def own(label: str | None) -> str | None:
            if label is None or not label.startswith(prefix):
                return None
            return label[len(prefix) :]

        return own

    async def _code(self, prompt: str, signals: dict[Path, Signals]) -> list[CodeCandidate]:
        candidates: list[CodeCandidate] = []
        for path, index in list(self._indexes().items()):
            folder = self.tracker.workspace.folders.get(path)
            if folder is None:
                continue
            found = await self.runner.rank(index, prompt, signals.get(path), CODE_CANDIDATES)
            candidates += await _cpu(self._candidates, folder, found)
        candidates.sort(key=lambda c: (-c.score, c.path, c.start_line))
        return candidates[:CODE_CANDIDATES]

    def _candidates(self, folder: Folder, found: Found) -> list[CodeCandidate]:
        """The chunks found in ``folder`` that may be sent, as candidates."""
        candidates: list[CodeCandidate] = []
        allowed = self._allowed_in(folder, {ranked.path for ranked, _ in found})
        for ranked, record in found:
            if not allowed[ranked.path]:
                continue
            candidates.append(
                CodeCandidate(
                    path=self._prefix(folder, ranked.path),
                    start_line=record.start_line + 1,
                    end_line=record.end_line + 1,
                    text=record.text,
                    score=ranked.score,
                    why=ranked.why,
                    kind=ranked.kind,
                    name=_named(ranked.name, record.header),
                )
            )
        return candidates

    async def _git(self) -> GitContext | None:
        files: list[FileDiffText] = []
        lines: list[str] = []
        for folder in list(self.tracker.workspace.folders.values()):
            if folder.git is None:
                continue
            ref = folder.baseline or folder.git.head
            diff = await self.tracker.diff_since(folder, ref) if ref else None
            lines.append(_git_line(folder, ref))
            for change in parse_unified_diff(diff or ""):
                assert folder.git_root is not None
                rel = folder.relative(folder.git_root / change.path)
                if rel is None or not self._allowed(folder.path / rel) or change.is_binary:
                    continue
                hunks = [h.text for h in change.hunks]
                status = change.status
                label = self._prefix(folder, rel)
                files.append(FileDiffText(label, status, hunks, is_demoted(label)))
            untracked = [p for p, s in folder.changed_paths().items() if s == "untracked"]
            if untracked:
                lines.append(f"untracked: {', '.join(sorted(untracked)[:20])}")
        if not lines:
            return None
        return GitContext("\n".join(lines), files)

    def _summary(self) -> str:
        folders = self.tracker.workspace.folders.values()
        parts = [
            f"{f.name}: {len(f.files)} files"
            + (f", branch {f.git.branch}" if f.git and f.git.branch else "")
            for f in folders
        ]
        return "Workspace folders: " + "; ".join(parts) if parts else "No workspace folder is open."

    def _history(
        self, session_id: str | None, exclude_turn: str | None
    ) -> tuple[list[HistoryTurn], str | None, dict[str, str], dict[str, str]]:
        """The turns as sent, the summary of older ones, each file's last sent hash,
        and the text of each snapshot the request may diff against (by hash)."""
        if session_id is None:
            return [], None, {}, {}
        store = self._store()
        messages = [
            m for m in store.messages(session_id) if m.turn_id is None or m.turn_id != exclude_turn
        ]
        summary = store.get_summary(session_id)
        after = summary.up_to_seq if summary else 0
        turns = _turns(store, self._sent, [m for m in messages if m.seq > after])
        sent = store.last_sent_snapshots(session_id)
        snapshots = {}
        for digest in set(carried(turns, sent).values()):
            text = store.get_snapshot(digest)
            if text is not None:
                snapshots[digest] = text
        return turns, summary.text if summary else None, sent, snapshots

    def _on_disk(self, sent: dict[str, str], buffers: list[BufferView]) -> dict[str, str]:
        open_paths = {b.path for b in buffers}
        out = {}
        for label in sent:
            if label in open_paths:
                continue
            path = self._resolve_label(label)
            text = self._disk_text(path) if path else None
            if text is not None:
                out[label] = text
        return out

    def _resolve_label(self, label: str) -> Path | None:
        folders = list(self.tracker.workspace.folders.values())
        if len(folders) == 1:
            return folders[0].path / label
        name, _, rel = label.partition("/")
        return next((f.path / rel for f in folders if f.name == name), None)

    def _disk_text(self, path: Path) -> str | None:
        return read_text(path, self._settings().context.maxFileBytes)


def _named(name: str | None, header: str | None) -> str | None:
    """A chunk's name, with the line it sits under (its class, or its signature for
    a later part of a long function), which the chunk's own lines do not show."""
    first = next((line.strip() for line in (header or "").splitlines() if line.strip()), "")
    if not first:
        return name
    first = first if len(first) <= 100 else first[:99] + "…"
    return f"{name or 'part'} (under `{first}`)"


def _git_line(folder: Folder, ref: str | None) -> str:
    git = folder.git
    assert git is not None
    branch = git.branch or f"detached at {(git.head or '')[:10]}"
    since = f", changes since {ref[:10]}" if ref else ""
    return f"{folder.name}: branch {branch}{since}"


def _turns(store: HistoryStore, sent: SentRecords, messages: list[Message]) -> list[HistoryTurn]:
    """History as sent. The latest ``REPLAYED_REQUESTS`` user turns replay the whole
    request they were sent as (so files in them can be referred to, or sent as diffs);
    older ones replay the user's words only, which keeps requests from growing with
    every turn."""
    by_turn = {m.turn_id: m for m in messages if m.role == "assistant" and m.turn_id}
    users = [m for m in messages if m.role == "user"]
    replayed = {m.id for m in users[-REPLAYED_REQUESTS:]} if REPLAYED_REQUESTS else set()
    turns = []
    for m in messages:
        if m.role == "system" or (m.role == "assistant" and not m.content):
            continue  # an empty reply (failed, cancelled or cut short at once) tells nothing
        content, hashes, bases, carries = m.content, {}, {}, False
        reply = by_turn.get(m.turn_id) if m.role == "user" and m.turn_id else None
        record = sent.turn(store, reply.id) if reply is not None else None
        if record is not None:
            hashes = dict(record.file_hashes)
            text = (
                sent.request_text(store, record.request)
                if m.id in replayed and record.request
                else None
            )
            if text is not None:
                content, carries, bases = text, True, dict(record.diff_bases)
        turns.append(HistoryTurn(m.seq, m.role, content, list(hashes), hashes, carries, bases))
    return turns


def request_hash(assembled: Assembled) -> tuple[str, str]:
    """The final user message as sent, and its content hash (to store as a snapshot)."""
    text = assembled.messages[-1]["content"]
    return content_hash(text), text
