"""The SQLite history store: one file, WAL, one transaction per write.

One connection serves every thread, guarded by a lock; other processes may share the
file (``BEGIN IMMEDIATE`` and a busy timeout serialise their writes). A killed
process loses at most the write it was making: WAL keeps the file consistent, and
every committed message is synced (``synchronous = FULL``).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from tandem.core.errors import InvalidArguments, NotFound, StoreError
from tandem.core.history import export, matching, sqlite_rows, validate
from tandem.core.history.models import (
    ContextRecord,
    Message,
    SearchHit,
    Session,
    Summary,
    Workspace,
    new_id,
    now,
    remote_key,
    workspace_id,
)
from tandem.core.history.sqlite_files import open_database, store_error

log = logging.getLogger(__name__)
FILE_NAME = "history.sqlite3"


class SqliteStore:
    backend = "sqlite"

    def __init__(self, path: Path, busy_timeout: float = 5.0) -> None:
        self.path = path
        self.location = str(path)
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = open_database(path, busy_timeout)

    # -- plumbing ---------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError(f"history store {self.path} is closed")
        return self._db

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._conn()
            try:
                db.execute(begin)
                yield db
                db.execute("COMMIT")
            except sqlite3.Error as error:
                _rollback(db)
                raise store_error(error, self.path) from error
            except BaseException:
                _rollback(db)
                raise

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction: takes the file's write lock at once."""
        return self._transaction("BEGIN IMMEDIATE")

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        """A read transaction: one consistent snapshot, never blocks writers (WAL)."""
        return self._transaction("BEGIN")

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                try:
                    self._db.execute("PRAGMA optimize")
                except sqlite3.Error as error:
                    log.warning("history store %s: optimize failed: %s", self.path, error)
                self._db.close()
                self._db = None

    # -- workspaces -------------------------------------------------------------

    def ensure_workspace(self, folder: Path | str, remote: str | None = None) -> Workspace:
        if not isinstance(folder, (str, Path)):
            raise InvalidArguments("folder must be a path")
        path = str(Path(folder).resolve())
        remote = (validate.optional_text(remote, "remote") or "").strip() or None
        ws_id = workspace_id(path)
        with self._read() as db:
            known = db.execute("SELECT * FROM workspaces WHERE id = ?", (ws_id,)).fetchone()
        if known is not None and remote in (None, known["remote"]):
            return sqlite_rows.workspace(known)  # no write lock: reads go on while locked
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO workspaces (id, path, created) VALUES (?, ?, ?)",
                (ws_id, path, now()),
            )
            if remote is not None:
                db.execute(
                    "UPDATE workspaces SET remote = ?, remote_key = ? WHERE id = ?",
                    (remote, remote_key(remote), ws_id),
                )
            return sqlite_rows.workspace(self._workspace_row(db, ws_id))

    def get_workspace(self, workspace_id: str) -> Workspace:
        with self._read() as db:
            return sqlite_rows.workspace(self._workspace_row(db, workspace_id))

    def list_workspaces(self) -> list[Workspace]:
        with self._read() as db:
            rows = db.execute("SELECT * FROM workspaces ORDER BY path").fetchall()
        return [sqlite_rows.workspace(row) for row in rows]

    def find_workspaces_by_remote(self, remote: str) -> list[Workspace]:
        key = remote_key(validate.text(remote, "remote"))
        with self._read() as db:
            rows = db.execute(
                "SELECT * FROM workspaces WHERE remote_key = ? ORDER BY path", (key,)
            ).fetchall()
        return [sqlite_rows.workspace(row) for row in rows]

    def _workspace_row(self, db: sqlite3.Connection, ws_id: str) -> sqlite3.Row:
        ws_id = validate.known_id(ws_id, "workspace")
        row = db.execute("SELECT * FROM workspaces WHERE id = ?", (ws_id,)).fetchone()
        if row is None:
            raise NotFound(f"unknown workspace {ws_id!r}")
        return row  # type: ignore[no-any-return]

    # -- sessions ---------------------------------------------------------------

    def create_session(self, workspace_id: str, title: str = "") -> Session:
        title = validate.text(title, "title")
        stamp = now()
        session = Session(new_id(), workspace_id, title, stamp, stamp, False)
        with self._write() as db:
            self._workspace_row(db, workspace_id)
            db.execute(
                "INSERT INTO sessions (id, workspace_id, title, created, updated, archived)"
                " VALUES (?, ?, ?, ?, ?, 0)",
                (session.id, workspace_id, title, session.created, session.updated),
            )
        return session

    def get_session(self, session_id: str) -> Session:
        with self._read() as db:
            return sqlite_rows.session(self._session_row(db, session_id))

    def list_sessions(self, workspace_id: str, include_archived: bool = False) -> list[Session]:
        validate.flag(include_archived, "include_archived")
        with self._read() as db:
            self._workspace_row(db, workspace_id)
            rows = db.execute(
                "SELECT * FROM sessions WHERE workspace_id = ? AND (? OR archived = 0)"
                " ORDER BY updated DESC, created DESC, id",
                (workspace_id, include_archived),
            ).fetchall()
        return [sqlite_rows.session(row) for row in rows]

    def rename_session(self, session_id: str, title: str) -> Session:
        title = validate.text(title, "title")
        with self._write() as db:
            self._session_row(db, session_id)
            db.execute(
                "UPDATE sessions SET title = ?, updated = ? WHERE id = ?",
                (title, now(), session_id),
            )
            return sqlite_rows.session(self._session_row(db, session_id))

    def set_active_session(self, workspace_id: str, session_id: str) -> None:
        with self._write() as db:
            self._workspace_row(db, workspace_id)
            session = sqlite_rows.session(self._session_row(db, session_id))
            validate.activatable(session, workspace_id)
            db.execute(
                "INSERT OR REPLACE INTO active_sessions (workspace_id, session_id) VALUES (?, ?)",
                (workspace_id, session_id),
            )

    def get_active_session(self, workspace_id: str) -> Session | None:
        with self._read() as db:
            self._workspace_row(db, workspace_id)
            row = db.execute(
                "SELECT s.* FROM active_sessions a JOIN sessions s ON s.id = a.session_id"
                " WHERE a.workspace_id = ? AND s.archived = 0",
                (workspace_id,),
            ).fetchone()
        return None if row is None else sqlite_rows.session(row)

    def _session_row(self, db: sqlite3.Connection, session_id: str) -> sqlite3.Row:
        session_id = validate.known_id(session_id, "session")
        row = db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise NotFound(f"unknown session {session_id!r}")
        return row  # type: ignore[no-any-return]

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
        values: dict[str, object] = {
            "id": new_id() if message_id is None else validate.new_id(message_id, "message"),
            "session_id": session_id,
            "role": validate.role(role),
            "content": validate.text(content, "content"),
            "status": validate.status(status),
            "created": now(),
            "model": validate.optional_text(model, "model"),
            "usage": validate.optional_json_object(usage, "usage"),
            "turn_id": validate.optional_text(turn_id, "turn_id"),
            "error": validate.optional_text(error, "error"),
        }
        with self._write() as db:
            self._session_row(db, session_id)
            existing = self._existing(db, str(values["id"]), session_id)
            if existing is not None:
                return existing
            values["seq"] = db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE session_id = ?",
                (session_id,),
            ).fetchone()[0]
            columns = ", ".join(values)
            marks = ", ".join("?" * len(values))
            db.execute(f"INSERT INTO messages ({columns}) VALUES ({marks})", tuple(values.values()))
            _touch(db, session_id)
            return sqlite_rows.message(self._message_row(db, str(values["id"])))

    def _existing(self, db: sqlite3.Connection, message_id: str, session_id: str) -> Message | None:
        row = db.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            return None
        if row["session_id"] != session_id:
            raise InvalidArguments(f"message id {message_id!r} is already used in another session")
        return sqlite_rows.message(row)

    def update_message(
        self,
        message_id: str,
        *,
        content: str | None = None,
        status: str | None = None,
        usage: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> Message:
        changes = _message_changes(content, status, usage, error)
        with self._write() as db:
            row = self._message_row(db, message_id)
            if changes:
                assignments = ", ".join(f"{name} = ?" for name in changes)
                db.execute(
                    f"UPDATE messages SET {assignments} WHERE id = ?",
                    (*changes.values(), message_id),
                )
                _touch(db, row["session_id"])
            return sqlite_rows.message(self._message_row(db, message_id))

    def get_message(self, message_id: str) -> Message:
        with self._read() as db:
            return sqlite_rows.message(self._message_row(db, message_id))

    def messages(self, session_id: str, after_seq: int = 0) -> list[Message]:
        validate.count(after_seq, "after_seq", 0)
        with self._read() as db:
            self._session_row(db, session_id)
            return sqlite_rows.messages(db, session_id, after_seq)

    def _message_row(self, db: sqlite3.Connection, message_id: str) -> sqlite3.Row:
        message_id = validate.known_id(message_id, "message")
        row = db.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise NotFound(f"unknown message {message_id!r}")
        return row  # type: ignore[no-any-return]

    # -- what was sent ------------------------------------------------------------

    def put_snapshot(self, digest: str, text: str) -> None:
        digest = validate.digest(digest)
        text = validate.text(text, "snapshot text")
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO snapshots (hash, text) VALUES (?, ?)", (digest, text))

    def get_snapshot(self, digest: str) -> str | None:
        digest = validate.digest(digest)
        with self._read() as db:
            row = db.execute("SELECT text FROM snapshots WHERE hash = ?", (digest,)).fetchone()
        return None if row is None else str(row["text"])

    def record_context(
        self, message_id: str, manifest: dict[str, Any], snapshots: dict[str, str]
    ) -> None:
        manifest_json = validate.json_object(manifest, "manifest")
        files = validate.snapshot_map(snapshots)
        with self._write() as db:
            self._message_row(db, message_id)
            db.execute("DELETE FROM context_files WHERE message_id = ?", (message_id,))
            db.execute(
                "INSERT INTO contexts (message_id, manifest, created) VALUES (?, ?, ?)"
                " ON CONFLICT (message_id) DO UPDATE SET manifest = excluded.manifest",
                (message_id, manifest_json, now()),
            )
            db.executemany(
                "INSERT INTO context_files (message_id, path, hash) VALUES (?, ?, ?)",
                [(message_id, path, digest) for path, digest in files.items()],
            )

    def get_context(self, message_id: str) -> ContextRecord | None:
        with self._read() as db:
            self._message_row(db, message_id)
            row = db.execute(
                "SELECT * FROM contexts WHERE message_id = ?", (message_id,)
            ).fetchone()
            files = db.execute(
                "SELECT path, hash FROM context_files WHERE message_id = ? ORDER BY path",
                (message_id,),
            ).fetchall()
        if row is None:
            return None
        manifest = validate.load_json_object(row["manifest"]) or {}
        snapshots = {file["path"]: file["hash"] for file in files}
        return ContextRecord(message_id, manifest, snapshots, row["created"])

    def last_sent_snapshots(self, session_id: str) -> dict[str, str]:
        with self._read() as db:
            self._session_row(db, session_id)
            # SQLite takes the bare columns from the row holding MAX(seq).
            rows = db.execute(
                "SELECT f.path, f.hash, MAX(m.seq) FROM context_files f"
                " JOIN messages m ON m.id = f.message_id"
                " WHERE m.session_id = ? GROUP BY f.path",
                (session_id,),
            ).fetchall()
        return {row["path"]: row["hash"] for row in rows}

    def set_summary(self, session_id: str, up_to_seq: int, text: str) -> None:
        validate.count(up_to_seq, "up_to_seq", 0)
        text = validate.text(text, "summary")
        with self._write() as db:
            self._session_row(db, session_id)
            last = db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE session_id = ?", (session_id,)
            ).fetchone()[0]
            validate.summary_seq(up_to_seq, last)
            db.execute(
                "INSERT OR REPLACE INTO summaries (session_id, up_to_seq, text, updated)"
                " VALUES (?, ?, ?, ?)",
                (session_id, up_to_seq, text, now()),
            )

    def get_summary(self, session_id: str) -> Summary | None:
        with self._read() as db:
            self._session_row(db, session_id)
            row = db.execute(
                "SELECT up_to_seq, text FROM summaries WHERE session_id = ?", (session_id,)
            ).fetchone()
        return None if row is None else Summary(row["up_to_seq"], row["text"])

    # -- reset ------------------------------------------------------------------

    def archive_workspace(self, workspace_id: str) -> int:
        with self._write() as db:
            self._workspace_row(db, workspace_id)
            archived = db.execute(
                "UPDATE sessions SET archived = 1 WHERE workspace_id = ? AND archived = 0",
                (workspace_id,),
            ).rowcount
            db.execute("DELETE FROM active_sessions WHERE workspace_id = ?", (workspace_id,))
        return archived

    def delete_workspace(self, workspace_id: str) -> int:
        with self._write() as db:
            self._workspace_row(db, workspace_id)
            deleted = sqlite_rows.delete_sessions(db, workspace_id)
        self._checkpoint()
        return deleted

    def _checkpoint(self) -> None:
        """Move the WAL into the file and truncate it, so deleted text leaves the WAL too."""
        with self._lock:
            try:
                self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as error:
                log.warning("history store %s: checkpoint failed: %s", self.path, error)

    # -- reading it back --------------------------------------------------------

    def search(
        self, workspace_id: str, query: str, limit: int = 50, include_archived: bool = True
    ) -> list[SearchHit]:
        terms = matching.query_terms(query)
        validate.count(limit, "limit", 1)
        validate.flag(include_archived, "include_archived")
        with self._read() as db:
            self._workspace_row(db, workspace_id)
            rows = db.execute(
                "SELECT m.* FROM messages_fts"
                " JOIN messages m ON m.pk = messages_fts.rowid"
                " JOIN sessions s ON s.id = m.session_id"
                " WHERE messages_fts MATCH ? AND s.workspace_id = ? AND (? OR s.archived = 0)"
                " ORDER BY m.created DESC, m.seq DESC LIMIT ?",
                (matching.fts_query(terms), workspace_id, include_archived, limit),
            ).fetchall()
        return [sqlite_rows.hit(row, terms) for row in rows]

    def export_session(self, session_id: str, fmt: str) -> str:
        fmt = validate.export_format(fmt)
        with self._read() as db:
            session = sqlite_rows.session(self._session_row(db, session_id))
            messages = sqlite_rows.messages(db, session_id, 0)
        return export.render(session, messages, fmt)


# -- helpers --------------------------------------------------------------------


def _rollback(db: sqlite3.Connection) -> None:
    if db.in_transaction:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error as error:
            log.warning("history store rollback failed: %s", error)


def _touch(db: sqlite3.Connection, session_id: str) -> None:
    db.execute("UPDATE sessions SET updated = ? WHERE id = ?", (now(), session_id))


def _message_changes(
    content: object, status: object, usage: object, error: object
) -> dict[str, object]:
    changes: dict[str, object] = {}
    if content is not None:
        changes["content"] = validate.text(content, "content")
    if status is not None:
        changes["status"] = validate.status(status)
    if usage is not None:
        changes["usage"] = validate.json_object(usage, "usage")
    if error is not None:
        changes["error"] = validate.text(error, "error")
    return changes
