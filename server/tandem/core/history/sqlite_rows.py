"""Rows of the SQLite history store as model objects, and multi-table statements."""

from __future__ import annotations

import sqlite3

from tandem.core.history import matching, validate
from tandem.core.history.models import Message, SearchHit, Session, Workspace


def messages(db: sqlite3.Connection, session_id: str, after_seq: int) -> list[Message]:
    rows = db.execute(
        "SELECT * FROM messages WHERE session_id = ? AND seq > ? ORDER BY seq",
        (session_id, after_seq),
    ).fetchall()
    return [message(row) for row in rows]


def delete_sessions(db: sqlite3.Connection, workspace_id: str) -> int:
    """Delete a workspace's sessions and all that hangs off them; returns how many."""
    in_workspace = "SELECT id FROM sessions WHERE workspace_id = :ws"
    in_messages = f"SELECT id FROM messages WHERE session_id IN ({in_workspace})"
    args = {"ws": workspace_id}
    hashes = [
        row[0]
        for row in db.execute(
            f"SELECT DISTINCT hash FROM context_files WHERE message_id IN ({in_messages})", args
        )
    ]
    db.execute(f"DELETE FROM context_files WHERE message_id IN ({in_messages})", args)
    db.execute(f"DELETE FROM contexts WHERE message_id IN ({in_messages})", args)
    db.execute(f"DELETE FROM summaries WHERE session_id IN ({in_workspace})", args)
    db.execute(f"DELETE FROM messages WHERE session_id IN ({in_workspace})", args)
    db.execute("DELETE FROM active_sessions WHERE workspace_id = :ws", args)
    deleted: int = db.execute("DELETE FROM sessions WHERE workspace_id = :ws", args).rowcount
    db.executemany(
        "DELETE FROM snapshots WHERE hash = :h"
        " AND NOT EXISTS (SELECT 1 FROM context_files WHERE hash = :h)",
        [{"h": digest} for digest in hashes],
    )
    # Merge the full-text index so deleted words leave its segments too.
    db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')")
    return deleted


def workspace(row: sqlite3.Row) -> Workspace:
    return Workspace(row["id"], row["path"], row["remote"], row["created"])


def session(row: sqlite3.Row) -> Session:
    return Session(
        row["id"],
        row["workspace_id"],
        row["title"],
        row["created"],
        row["updated"],
        bool(row["archived"]),
    )


def message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        session_id=row["session_id"],
        seq=row["seq"],
        role=row["role"],
        content=row["content"],
        created=row["created"],
        status=row["status"],
        model=row["model"],
        usage=validate.load_json_object(row["usage"]),
        turn_id=row["turn_id"],
        error=row["error"],
    )


def hit(row: sqlite3.Row, terms: list[str]) -> SearchHit:
    snippet = matching.snippet(row["content"], terms)
    return SearchHit(row["session_id"], row["id"], row["seq"], row["role"], snippet, row["created"])
