"""The history data model, shared by every backend.

Timestamps are UTC ISO 8601 strings with microseconds and a ``Z`` suffix
(``2025-01-31T09:15:02.123456Z``): they sort as text and travel as JSON unchanged.
``to_json()`` gives the camelCase shapes documented in ``docs/protocol.md``.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, NamedTuple

Role = Literal["system", "user", "assistant"]
Status = Literal["complete", "partial", "cancelled", "error"]
ROLES: tuple[Role, ...] = ("system", "user", "assistant")
STATUSES: tuple[Status, ...] = ("complete", "partial", "cancelled", "error")

MARK_START = "**"
MARK_END = "**"
"""How search snippets mark the words that matched (Markdown bold)."""


@dataclass(frozen=True)
class Workspace:
    id: str
    path: str
    remote: str | None
    created: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "remote": self.remote, "created": self.created}


@dataclass(frozen=True)
class Session:
    id: str
    workspace_id: str
    title: str
    created: str
    updated: str
    archived: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workspaceId": self.workspace_id,
            "title": self.title,
            "created": self.created,
            "updated": self.updated,
            "archived": self.archived,
        }


@dataclass(frozen=True)
class Message:
    id: str
    session_id: str
    seq: int
    role: Role
    content: str
    created: str
    status: Status
    model: str | None = None
    usage: dict[str, Any] | None = None
    turn_id: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sessionId": self.session_id,
            "seq": self.seq,
            "role": self.role,
            "content": self.content,
            "status": self.status,
            "created": self.created,
            "model": self.model,
            "usage": self.usage,
            "turnId": self.turn_id,
            "error": self.error,
        }


@dataclass(frozen=True)
class SearchHit:
    session_id: str
    message_id: str
    seq: int
    role: Role
    snippet: str
    created: str

    def to_json(self) -> dict[str, Any]:
        return {
            "sessionId": self.session_id,
            "messageId": self.message_id,
            "seq": self.seq,
            "role": self.role,
            "snippet": self.snippet,
            "created": self.created,
        }


@dataclass(frozen=True)
class ContextRecord:
    """What was sent with one assistant turn: the manifest and the file snapshots."""

    message_id: str
    manifest: dict[str, Any]
    snapshots: dict[str, str]
    """``{path: content_hash}``; the texts live once in the snapshot table."""
    created: str


class Summary(NamedTuple):
    """A summary of a session's messages up to and including ``up_to_seq``."""

    up_to_seq: int
    text: str


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    return uuid.uuid4().hex


def workspace_id(folder: Path | str) -> str:
    """A stable id for a folder: the first 16 hex digits of sha256 of its resolved path."""
    resolved = str(Path(folder).resolve())
    return hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:16]


def content_hash(text: str) -> str:
    """The sha256 hex digest of a snapshot's UTF-8 text (any stable digest may be used)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_SCP_LIKE = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]{2,}):(?P<path>(?!//).+)$")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://(?:[^@/]*@)?(?P<host>[^/:]+)(?::\d+)?/(?P<path>.+)$")


def remote_key(remote: str) -> str:
    """Normalise a git remote URL so clones of one repository compare equal.

    ``git@github.com:o/r.git``, ``https://github.com/o/r`` and
    ``ssh://git@github.com/o/r.git/`` all become ``github.com/o/r``. Anything else
    (a local path, say) is kept as given, minus a trailing ``/`` and ``.git``.
    """
    text = remote.strip()
    match = _URL.match(text) or _SCP_LIKE.match(text)
    if match:
        text = f"{match['host'].lower()}/{match['path']}"
    text = text.rstrip("/")
    return text[: -len(".git")] if text.endswith(".git") else text
