"""The Tandem service: what the editor can ask of the workspace, free of any protocol.

The LSP adapter (``tandem.lsp``) and the CLI both drive this object. It wires the
workspace state (documents, folders, git), the retrieval indexes, the history store,
the context engine, the model client and chat turns, and owns their lifecycles.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from tandem import __version__
from tandem.core import pipes
from tandem.core.chat import ChatService, TurnResult
from tandem.core.context.assemble import Assembled
from tandem.core.context.service import ContextService, Focus
from tandem.core.documents import Change, DocumentStore
from tandem.core.errors import NotFound
from tandem.core.history import open_store
from tandem.core.history.store import HistoryStore
from tandem.core.indexer import IndexManager
from tandem.core.model import describe_endpoint
from tandem.core.sessions import SessionService
from tandem.core.settings import Settings
from tandem.core.tasks import TaskOwner
from tandem.core.text import Encoding
from tandem.core.tracker import ChangeKind, WorkspaceTracker
from tandem.core.workspace import FileView, Folder, Workspace

if TYPE_CHECKING:
    from tandem.core.model import ModelClient

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """How the service speaks to the user; the LSP layer implements it."""

    def show_message(self, level: str, message: str) -> None: ...

    def chat_delta(self, turn_id: str, session_id: str, delta: str) -> None: ...

    def chat_status(self, turn_id: str, session_id: str, status: str, **extra: Any) -> None: ...

    async def progress_begin(self, key: str, title: str) -> None: ...

    def progress_report(self, key: str, message: str, percentage: int) -> None: ...

    def progress_end(self, key: str, message: str) -> None: ...


@dataclass(frozen=True)
class FolderSpec:
    path: Path
    uri: str
    name: str


class Tandem:
    def __init__(
        self,
        data_dir: Path,
        notifier: Notifier,
        settings: Settings | None = None,
        workers: bool = False,
    ) -> None:
        """``workers``: rank and assemble requests, and talk to the model, in worker
        processes (the server, where that work would hold up the editor's keystrokes)."""
        self.data_dir = data_dir
        self.notifier = notifier
        self.settings = settings or Settings()
        self.tasks = TaskOwner()
        self.workspace = Workspace(DocumentStore())
        self.tracker = WorkspaceTracker(self.workspace, self.tasks, self.settings)
        self.own_watcher = True
        self._store: HistoryStore | None = None
        self._model: ModelClient | None = None
        self._fallback_root: Path | None = None
        self._workers = workers
        self.roots: list[Path] = []
        """The workspace folders the editor named, known before they are scanned."""
        self.indexer = IndexManager(
            data_dir,
            self.tasks,
            notifier,
            lambda: self.settings.context.maxFileBytes,
            self._buffers,
        )
        self.tracker.listeners.append(self.indexer.on_changes)
        self.context = ContextService(
            self.tracker,
            lambda: self.indexer.indexes,
            self.store,
            lambda: self.settings,
            data_dir / "tiktoken",
            worker=workers,
        )
        self.sessions = SessionService(self.store, self._root, self._remote)
        self.chats = ChatService(self.store, self.context, self.model, notifier)

    # -- lifecycle ---------------------------------------------------------------

    def set_encoding(self, encoding: Encoding) -> None:
        self.workspace.documents.encoding = encoding

    def configure(self, settings: Settings) -> None:
        old, self.settings = self.settings, settings
        self.tracker.settings = settings
        if old.history != settings.history and self._store is not None:
            self._store.close()
            self._store = None
        if old.model != settings.model and self._model is not None:
            self.tasks.run(self._model.close(), "close model client")
            self._model = None

    def store(self) -> HistoryStore:
        """The history store, opened on first use (a failure is a user-facing error)."""
        if self._store is None:
            self._store = open_store(self.settings.history, self.data_dir)
        return self._store

    def model(self) -> ModelClient:
        if self._model is None:
            if self._workers and pipes.SUPPORTED:
                from tandem.core.model.process import ModelProcess

                self._model = cast("ModelClient", ModelProcess(self.settings.model))
            else:
                from tandem.core.model.client import ModelClient

                self._model = ModelClient(self.settings.model)
        return self._model

    def warm(self) -> None:
        """Start the context worker before the first request needs it. The model
        process starts with the first call to the model, as the in-process client
        imports ``openai`` then: an editor that never chats pays for neither."""
        self.context.warm()

    async def add_folders(self, folders: Iterable[FolderSpec]) -> None:
        folders = list(folders)
        self.add_roots(spec.path for spec in folders)
        for spec in folders:
            await self.tracker.add_folder(spec.path, spec.uri, spec.name, self.own_watcher)

    def add_roots(self, paths: Iterable[Path]) -> None:
        for path in paths:
            if path.resolve() not in self.roots:
                self.roots.append(path.resolve())

    async def remove_folders(self, paths: Iterable[Path]) -> None:
        for path in paths:
            if path.resolve() in self.roots:
                self.roots.remove(path.resolve())
            await self.tracker.remove_folder(path)
            index = self.indexer.indexes.get(path.resolve())
            if index is not None:
                self.context.runner.forget_index(index.db_path)
            self.indexer.drop_folder(path.resolve())

    async def shutdown(self) -> None:
        self.chats.cancel()
        await self.indexer.flush()
        await self.tasks.shutdown()
        await self.tracker.close()
        await self.context.close()
        self.indexer.close()
        if self._model is not None:
            await self._model.close()
        if self._store is not None:
            self._store.close()
            self._store = None

    def _root(self) -> Path:
        """The workspace's identity for history: its first folder."""
        if self.roots:
            return self.roots[0]
        return self._fallback_root or Path.cwd()

    def _remote(self) -> str | None:
        folders = list(self.workspace.folders.values())
        return folders[0].remote if folders else None

    def _buffers(self, folder: Folder) -> dict[str, str]:
        out = {}
        for doc in self.workspace.documents:
            rel = folder.relative(doc.path) if doc.path is not None else None
            if rel is not None:
                out[rel] = doc.text
        return out

    # -- documents ---------------------------------------------------------------

    def open_document(
        self, uri: str, path: Path | None, language_id: str, version: int, text: str
    ) -> None:
        self.workspace.documents.open(uri, path, language_id, version, text)
        if path is not None and self._fallback_root is None:
            self._fallback_root = path.parent
        self._buffer_changed(path, text)

    def change_document(self, uri: str, version: int, changes: list[Change]) -> None:
        doc = self.workspace.documents.get(uri)
        self.workspace.documents.change(uri, version, changes)
        if doc.path is not None:
            self.tasks.debounce(f"buffer {uri}", 0.3, lambda: self._reindex_buffer(uri))

    async def _reindex_buffer(self, uri: str) -> None:
        doc = self.workspace.documents.find(uri)
        if doc is not None:
            self._buffer_changed(doc.path, doc.text)

    def _buffer_changed(self, path: Path | None, text: str) -> None:
        folder = self.workspace.folder_for(path) if path else None
        rel = folder.relative(path) if folder and path else None
        if folder is not None and rel is not None:
            self.indexer.on_buffer(folder, rel, text)

    def close_document(self, uri: str) -> None:
        doc = self.workspace.documents.find(uri)
        self.workspace.documents.close(uri)
        folder = self.workspace.folder_for(doc.path) if doc and doc.path else None
        if doc is not None and doc.path is not None and folder is not None:
            rel = folder.relative(doc.path)
            if rel is not None:
                self.indexer.on_buffer_closed(folder, rel)

    def saved_document(self, path: Path | None) -> None:
        if path is not None:
            folder = self.workspace.folder_for(path)
            if folder is not None:
                folder.disk_changes += 1  # before the watcher reports it
                self.tracker.schedule_git_refresh(folder)

    async def disk_changes(self, changes: Iterable[tuple[Path, ChangeKind]]) -> None:
        await self.tracker.apply_changes(changes)

    # -- queries -----------------------------------------------------------------

    def workspace_state(self, folder: Path | None = None) -> dict[str, Any]:
        if folder is not None and folder.resolve() not in self.workspace.folders:
            raise NotFound(f"{folder} is not a workspace folder")
        state = self.tracker.state(folder.resolve() if folder else None)
        for entry, f in zip(state["folders"], self._folders(folder), strict=False):
            entry["index"] = self.indexer.state.get(f.path, "none")
        return state

    def _folders(self, folder: Path | None) -> list[Any]:
        return [
            f
            for f in self.workspace.folders.values()
            if folder is None or f.path == folder.resolve()
        ]

    async def file_view(self, path: Path) -> FileView:
        return await self.tracker.file_view(path)

    def status(self) -> dict[str, Any]:
        indexes = self.indexer.indexes
        return {
            "version": __version__,
            "dataDir": str(self.data_dir),
            "model": self.settings.model.resolved_name(),
            "endpoint": describe_endpoint(self.settings.model),
            "historyBackend": self.settings.history.backend,
            "index": {
                "state": "indexing" if "indexing" in self.indexer.state.values() else "ready",
                "files": sum(len(f.files) for f in self.workspace.folders.values()),
                "folders": len(indexes),
            },
        }

    # -- context and chat --------------------------------------------------------

    async def preview(
        self, prompt: str, session_id: str | None, focus: Focus, budget: int | None = None
    ) -> Assembled:
        session = await asyncio.to_thread(self._preview_session, session_id)
        return await self.context.assemble(prompt, session, focus, budget=budget)

    def _preview_session(self, session_id: str | None) -> str | None:
        session = self.sessions.resolve(session_id)
        return session.id if session else None

    async def chat(self, prompt: str, session_id: str | None, focus: Focus) -> TurnResult:
        if focus.path is not None and self._fallback_root is None:
            self._fallback_root = focus.path.parent
        session = await asyncio.to_thread(self.sessions.for_chat, session_id, prompt)
        return await self.chats.chat(prompt, session.id, focus)

    async def list_models(self) -> dict[str, Any]:
        models = await self.model().list_models()
        return {"endpoint": describe_endpoint(self.settings.model), "models": models}
