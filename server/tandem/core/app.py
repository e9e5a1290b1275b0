"""The Tandem service: what the editor can ask of the workspace, free of any protocol.

The LSP adapter (``tandem.lsp``) and the CLI both drive this object. It owns the
workspace state, the background tasks, and (through the services it wires) the
history store, the context engine and the model client.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tandem.core.documents import Change, DocumentStore
from tandem.core.errors import NotFound
from tandem.core.settings import Settings
from tandem.core.tasks import TaskOwner
from tandem.core.text import Encoding
from tandem.core.tracker import ChangeKind, WorkspaceTracker
from tandem.core.workspace import FileView, Workspace

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
    def __init__(self, data_dir: Path, notifier: Notifier, settings: Settings | None = None) -> None:
        self.data_dir = data_dir
        self.notifier = notifier
        self.settings = settings or Settings()
        self.tasks = TaskOwner()
        self.workspace = Workspace(DocumentStore())
        self.tracker = WorkspaceTracker(self.workspace, self.tasks, self.settings)
        self.own_watcher = True

    # -- lifecycle ---------------------------------------------------------------

    def set_encoding(self, encoding: Encoding) -> None:
        self.workspace.documents.encoding = encoding

    def configure(self, settings: Settings) -> None:
        self.settings = settings
        self.tracker.settings = settings

    async def add_folders(self, folders: Iterable[FolderSpec]) -> None:
        for spec in folders:
            await self.tracker.add_folder(spec.path, spec.uri, spec.name, self.own_watcher)

    async def remove_folders(self, paths: Iterable[Path]) -> None:
        for path in paths:
            await self.tracker.remove_folder(path)

    async def shutdown(self) -> None:
        await self.tasks.shutdown()
        await self.tracker.close()

    # -- documents ---------------------------------------------------------------

    def open_document(
        self, uri: str, path: Path | None, language_id: str, version: int, text: str
    ) -> None:
        self.workspace.documents.open(uri, path, language_id, version, text)

    def change_document(self, uri: str, version: int, changes: list[Change]) -> None:
        self.workspace.documents.change(uri, version, changes)

    def close_document(self, uri: str) -> None:
        self.workspace.documents.close(uri)

    def saved_document(self, path: Path | None) -> None:
        if path is not None:
            folder = self.workspace.folder_for(path)
            if folder is not None:
                self.tracker.schedule_git_refresh(folder)

    async def disk_changes(self, changes: Iterable[tuple[Path, ChangeKind]]) -> None:
        await self.tracker.apply_changes(changes)

    # -- queries -----------------------------------------------------------------

    def workspace_state(self, folder: Path | None = None) -> dict[str, Any]:
        if folder is not None and folder.resolve() not in self.workspace.folders:
            raise NotFound(f"{folder} is not a workspace folder")
        return self.tracker.state(folder.resolve() if folder else None)

    async def file_view(self, path: Path) -> FileView:
        return await self.tracker.file_view(path)
