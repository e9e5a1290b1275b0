"""The history store interface: one small protocol, two backends (SQLite, Redis).

Every method is synchronous and safe to call from several threads; the LSP layer
calls them through ``asyncio.to_thread``. Every write is committed (SQLite: its own
transaction; Redis: one atomic script or MULTI/EXEC) before the method returns.

Errors: an unknown id raises ``NotFound``; a bad argument value ``InvalidArguments``;
a store that cannot be read or written ``StoreError`` (``StoreUnavailable`` when it
cannot be reached, ``SchemaTooNew`` when a newer Tandem wrote it, ``StoreFull``,
``StoreLocked`` or ``StoreReadOnly`` when a write is refused for a reason the user can
end; the store works again once it has ended).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from tandem.core.history.models import (
    ContextRecord,
    Message,
    SearchHit,
    Session,
    Summary,
    Workspace,
)


class HistoryStore(Protocol):
    backend: str
    """``"sqlite"`` or ``"redis"``."""
    location: str
    """The database file, or the Redis URL without its password."""

    # -- workspaces -------------------------------------------------------------

    def ensure_workspace(self, folder: Path | str, remote: str | None = None) -> Workspace:
        """The workspace for a folder (id from its resolved path), created if new.

        A given ``remote`` (git remote URL) is stored; ``None`` keeps the stored one.
        """
        ...

    def get_workspace(self, workspace_id: str) -> Workspace: ...

    def list_workspaces(self) -> list[Workspace]: ...

    def find_workspaces_by_remote(self, remote: str) -> list[Workspace]:
        """Workspaces whose remote names the same repository (``remote_key`` equal)."""
        ...

    # -- sessions ---------------------------------------------------------------

    def create_session(self, workspace_id: str, title: str = "") -> Session: ...

    def get_session(self, session_id: str) -> Session: ...

    def list_sessions(self, workspace_id: str, include_archived: bool = False) -> list[Session]:
        """Most recently updated first."""
        ...

    def rename_session(self, session_id: str, title: str) -> Session: ...

    def set_active_session(self, workspace_id: str, session_id: str) -> None:
        """Remember the session the workspace continues; it must be live and its own."""
        ...

    def get_active_session(self, workspace_id: str) -> Session | None:
        """The remembered session, or None if unset, archived or deleted."""
        ...

    # -- messages ---------------------------------------------------------------

    def append_message(
        self,
        session_id: str,
        role: str,
        content: str,
        status: str = "complete",
        *,
        model: str | None = None,
        usage: dict[str, Any] | None = None,
        turn_id: str | None = None,
        error: str | None = None,
        message_id: str | None = None,
    ) -> Message:
        """Append with the session's next ``seq``; committed before returning.

        Idempotent by ``message_id``: appending an id already in the session returns
        the stored message unchanged (a retried append never duplicates).
        """
        ...

    def update_message(
        self,
        message_id: str,
        *,
        content: str | None = None,
        status: str | None = None,
        usage: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> Message:
        """Replace the given fields (``None`` keeps a field); committed before returning."""
        ...

    def get_message(self, message_id: str) -> Message: ...

    def messages(self, session_id: str, after_seq: int = 0) -> list[Message]:
        """The session's messages with ``seq > after_seq``, in ``seq`` order."""
        ...

    # -- what was sent ------------------------------------------------------------

    def put_snapshot(self, digest: str, text: str) -> None:
        """Store a file snapshot once under its content hash (a no-op if present)."""
        ...

    def get_snapshot(self, digest: str) -> str | None: ...

    def record_context(
        self, message_id: str, manifest: dict[str, Any], snapshots: dict[str, str]
    ) -> None:
        """Record what was sent with a message: the manifest and ``{path: hash}``.

        Recording again for the same message replaces the record.
        """
        ...

    def get_context(self, message_id: str) -> ContextRecord | None: ...

    def last_sent_snapshots(self, session_id: str) -> dict[str, str]:
        """``{path: hash}``: for each path, the hash sent with the latest message."""
        ...

    def set_summary(self, session_id: str, up_to_seq: int, text: str) -> None: ...

    def get_summary(self, session_id: str) -> Summary | None: ...

    # -- reset ------------------------------------------------------------------

    def archive_workspace(self, workspace_id: str) -> int:
        """Archive every live session and clear the active one; returns how many."""
        ...

    def delete_workspace(self, workspace_id: str) -> int:
        """Delete every session with its messages and context records; returns how many.

        The workspace itself (path, remote) stays. Snapshots no longer referenced by
        any record are deleted.
        """
        ...

    # -- reading it back --------------------------------------------------------

    def search(
        self, workspace_id: str, query: str, limit: int = 50, include_archived: bool = True
    ) -> list[SearchHit]:
        """Messages matching every word of ``query`` (see ``matching``), newest first."""
        ...

    def export_session(self, session_id: str, fmt: str) -> str:
        """The session as ``"markdown"`` or ``"json"`` text."""
        ...

    def close(self) -> None: ...
