"""The workspace as state: folders, the files they track, git, and one view of each file.

A file's view layers three sources, the first that has it winning: the editor's
buffer (unsaved edits included), the disk, and git HEAD (a file deleted from the
working tree). This is what every later feature reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tandem.core.documents import DocumentStore
from tandem.core.errors import InvalidArguments, OutsideWorkspace
from tandem.core.ignore import IgnoreRules, secret_kind
from tandem.infra.git import GitStatus
from tandem.infra.scan import FileStat

Source = Literal["buffer", "disk", "git"]


@dataclass
class Folder:
    """One workspace folder (multi-root workspaces have several)."""

    path: Path
    uri: str
    name: str
    rules: IgnoreRules
    files: dict[str, FileStat] = field(default_factory=dict)
    git_root: Path | None = None
    git: GitStatus | None = None
    git_error: str | None = None
    baseline: str | None = None
    """The commit "changes since" compares with (HEAD when the folder was added)."""
    scanned: bool = False
    remote: str | None = None
    """The git remote URL, so a clone elsewhere can find this folder's history."""
    disk_changes: int = 0
    """Counts the batches of file changes seen on disk (what a cached diff depends on)."""

    def relative(self, path: Path) -> str | None:
        try:
            return path.relative_to(self.path).as_posix()
        except ValueError:
            return None

    def changed_paths(self) -> dict[str, str]:
        """Folder-relative path -> git status word, for files that differ from HEAD."""
        if self.git is None or self.git_root is None:
            return {}
        out: dict[str, str] = {}
        for change in self.git.changed_files:
            rel = self.relative(self.git_root / change.path)
            if rel is not None:
                out[rel] = change.status
        return out


@dataclass(frozen=True)
class FileView:
    path: Path
    folder: Path | None
    rel: str | None
    source: Source
    text: str | None
    """None when the file is binary, too large, unreadable or gone."""
    version: int | None
    mtime_ns: int | None
    dirty_vs_disk: bool
    changed_vs_head: bool


class Workspace:
    """Folders and open documents; all methods are cheap and synchronous."""

    def __init__(self, documents: DocumentStore | None = None) -> None:
        self.documents = documents or DocumentStore()
        self.folders: dict[Path, Folder] = {}

    def add(self, folder: Folder) -> None:
        self.folders[folder.path] = folder

    def remove(self, path: Path) -> Folder | None:
        return self.folders.pop(path, None)

    def folder_for(self, path: Path) -> Folder | None:
        """The innermost folder that owns ``path``."""
        best: Folder | None = None
        for folder in self.folders.values():
            owns = path == folder.path or folder.path in path.parents
            if owns and (best is None or len(folder.path.parts) > len(best.path.parts)):
                best = folder
        return best

    def confine(self, path: Path) -> Path:
        """Resolve ``path`` (symlinks, ``..``) and refuse it unless a folder owns it.

        Only lexical work and ``readlink``: the path is never opened here. With no
        folder open, an open document is allowed (a single file opened with no folder
        is a workspace of its own); once folders are open, only they count.
        """
        resolved = path.resolve()
        if self.folder_for(resolved) is not None:
            return resolved
        if not self.folders and (self.documents.by_path(path) or self.documents.by_path(resolved)):
            return resolved
        raise OutsideWorkspace(f"{path} is outside the workspace folders; it will not be read")

    def confine_readable(self, path: Path) -> Path:
        """``confine``, and refuse a file whose content is withheld (see ``is_secret``)."""
        resolved = self.confine(path)
        if self.is_secret(resolved):
            raise InvalidArguments(
                f"{path.name} is on the secret deny list (or leads to a file that is); "
                "Tandem does not read it. Allow it with the setting workspace.allow."
            )
        return resolved

    def is_secret(self, path: Path) -> bool:
        """Whether the content of ``path`` is never sent to a model: the secret deny
        list, or a symlink leading to a denied file or out of its folder. A path in no
        folder is judged by the deny list alone."""
        folder = self.folder_for(path)
        if folder is None:
            return secret_kind(path.as_posix().lstrip("/")) is not None
        rel = folder.relative(path)
        return rel is None or folder.rules.is_secret_path(rel)

    def may_send(self, path: Path) -> bool:
        """Whether a command about ``path`` may run: confined and not withheld."""
        try:
            return not self.is_secret(self.confine(path))
        except OutsideWorkspace:
            return False

    def tracked_count(self) -> int:
        return sum(len(f.files) for f in self.folders.values())
