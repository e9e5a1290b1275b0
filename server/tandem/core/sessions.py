"""Chat sessions of the current workspace, over the history store.

The workspace's identity is its first folder (its resolved path, plus its git remote
so a clone elsewhere can be matched); with no folder open, the directory of the file
being asked about.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from tandem.core.context.manifest import summary
from tandem.core.errors import InvalidArguments, NotFound
from tandem.core.history.models import Message, Session
from tandem.core.history.store import HistoryStore


class SessionService:
    def __init__(
        self,
        store: Callable[[], HistoryStore],
        root: Callable[[], Path],
        remote: Callable[[], str | None],
    ) -> None:
        self._store = store
        self._root = root
        self._remote = remote

    def workspace_id(self) -> str:
        return self._store().ensure_workspace(self._root(), self._remote()).id

    def _own(self, session_id: str) -> Session:
        session = self._store().get_session(session_id)
        if session.workspace_id != self.workspace_id():
            raise NotFound(f"session {session_id} belongs to another workspace")
        return session

    def resolve(self, session_id: str | None) -> Session | None:
        """The given session (it must be this workspace's), else the active one."""
        if session_id is not None:
            return self._own(session_id)
        return self._store().get_active_session(self.workspace_id())

    # -- commands (synchronous; callers run them in a thread) ---------------------

    def new(self, title: str | None = None) -> Session:
        store, ws = self._store(), self.workspace_id()
        session = store.create_session(ws, title or "")
        store.set_active_session(ws, session.id)
        return session

    def for_chat(self, session_id: str | None, prompt: str = "") -> Session:
        """The session a chat turn goes to: the given one, the active one, or a new one
        (titled after the prompt; an untitled session takes its first prompt's title)."""
        session = self.resolve(session_id)
        if session is not None and session.archived:
            raise InvalidArguments(f"session {session.id} is archived; start a new session")
        if session is None:
            return self.new(title_from(prompt))
        if not session.title and prompt.strip():
            session = self._store().rename_session(session.id, title_from(prompt))
        if session_id is not None:
            self._store().set_active_session(session.workspace_id, session.id)
        return session

    def list(self, include_archived: bool = False) -> dict[str, Any]:
        store, ws = self._store(), self.workspace_id()
        active = store.get_active_session(ws)
        sessions = store.list_sessions(ws, include_archived)
        return {
            "activeSessionId": active.id if active else None,
            "sessions": [s.to_json() for s in sessions],
        }

    def switch(self, session_id: str) -> Session:
        session = self._own(session_id)
        if session.archived:
            raise InvalidArguments(f"session {session_id} is archived and cannot be continued")
        self._store().set_active_session(session.workspace_id, session.id)
        return session

    def transcript(self, session_id: str | None) -> dict[str, Any]:
        session = self.resolve(session_id)
        if session is None:
            return {"sessionId": None, "title": None, "messages": []}
        store = self._store()
        return {
            "sessionId": session.id,
            "title": session.title,
            "archived": session.archived,
            "messages": [
                _with_manifest(store, m) for m in store.messages(session.id) if m.role != "system"
            ],
        }

    def reset(self, mode: Literal["archive", "delete"]) -> dict[str, Any]:
        store, ws = self._store(), self.workspace_id()
        count = store.archive_workspace(ws) if mode == "archive" else store.delete_workspace(ws)
        return {"mode": mode, "sessions": count}

    def export(self, session_id: str | None, fmt: str) -> dict[str, Any]:
        session = self.resolve(session_id)
        if session is None:
            raise NotFound("there is no active session to export")
        return {"format": fmt, "content": self._store().export_session(session.id, fmt)}

    def search(self, query: str) -> dict[str, Any]:
        if not query.strip():
            raise InvalidArguments("the search query is empty")
        hits = self._store().search(self.workspace_id(), query)
        return {"hits": [h.to_json() for h in hits]}


def _with_manifest(store: HistoryStore, message: Message) -> dict[str, Any]:
    """A message as JSON; an answer also carries the summary of what its request sent."""
    out = message.to_json()
    if message.role == "assistant":
        record = store.get_context(message.id)
        out["manifest"] = summary(record.manifest) if record is not None else None
    return out


def title_from(prompt: str, width: int = 60) -> str:
    line = " ".join(prompt.split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"
