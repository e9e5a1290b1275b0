"""Schema migrations for the SQLite history store.

Append-only: a released migration is never edited or removed; a schema change is a
new function at the end of ``MIGRATIONS``. The store runs the missing ones on open,
all in one transaction, records each name in ``_migrations`` and sets
``PRAGMA user_version`` to their count.

A database that names a migration we do not know, or has a higher ``user_version``,
was written by a newer Tandem: opening it raises ``SchemaTooNew`` before anything is
written. ``tests/unit/history/test_schema.py`` pins the resulting schema.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from tandem.core.errors import SchemaTooNew, StoreError
from tandem.core.history.models import now

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


def _run(db: sqlite3.Connection, *statements: str) -> None:
    # One statement per execute(): executescript() would COMMIT our transaction.
    for statement in statements:
        db.execute(statement)


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    _run(
        db,
        """CREATE TABLE workspaces (
            id TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            remote TEXT,
            remote_key TEXT,
            created TEXT NOT NULL
        )""",
        "CREATE INDEX workspaces_remote_key ON workspaces (remote_key)",
        """CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
            title TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            archived INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX sessions_workspace ON sessions (workspace_id, updated)",
        """CREATE TABLE active_sessions (
            workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
            session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE
        )""",
        # pk keeps rowids stable across VACUUM, which the FTS index relies on.
        """CREATE TABLE messages (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('complete', 'partial', 'cancelled', 'error')),
            created TEXT NOT NULL,
            model TEXT,
            usage TEXT,
            turn_id TEXT,
            error TEXT,
            UNIQUE (session_id, seq)
        )""",
        """CREATE TABLE snapshots (
            hash TEXT PRIMARY KEY,
            text TEXT NOT NULL
        )""",
        """CREATE TABLE contexts (
            message_id TEXT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
            manifest TEXT NOT NULL,
            created TEXT NOT NULL
        )""",
        # No foreign key to snapshots: a missing text reads as None and the caller
        # sends the whole file, which is how the context engine treats "never sent".
        """CREATE TABLE context_files (
            message_id TEXT NOT NULL REFERENCES contexts (message_id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            hash TEXT NOT NULL,
            PRIMARY KEY (message_id, path)
        )""",
        "CREATE INDEX context_files_hash ON context_files (hash)",
        """CREATE TABLE summaries (
            session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
            up_to_seq INTEGER NOT NULL,
            text TEXT NOT NULL,
            updated TEXT NOT NULL
        )""",
        """CREATE VIRTUAL TABLE messages_fts USING fts5 (
            content,
            content = 'messages',
            content_rowid = 'pk',
            tokenize = 'unicode61 remove_diacritics 2'
        )""",
        """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts (rowid, content) VALUES (new.pk, new.content);
        END""",
        """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, content)
                VALUES ('delete', old.pk, old.content);
        END""",
        """CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, content)
                VALUES ('delete', old.pk, old.content);
            INSERT INTO messages_fts (rowid, content) VALUES (new.pk, new.content);
        END""",
    )


def applied(db: sqlite3.Connection) -> list[str]:
    """Names recorded in ``_migrations`` (empty for a new database)."""
    if not _table_exists(db, "_migrations"):
        return []
    return [row[0] for row in db.execute("SELECT name FROM _migrations ORDER BY rowid")]


def check_not_newer(db: sqlite3.Connection, path: Path) -> None:
    """Read-only check: raise ``SchemaTooNew`` for a schema we do not know.

    Its reads share one snapshot: read one by one, they could straddle another
    process's migration commit and see its tables without its ``_migrations`` row."""
    if db.in_transaction:
        _check_not_newer(db, path)
        return
    db.execute("BEGIN")
    try:
        _check_not_newer(db, path)
    finally:
        db.execute("COMMIT")


def _check_not_newer(db: sqlite3.Connection, path: Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    known = {fn.__name__ for fn in MIGRATIONS}
    unknown = [name for name in applied(db) if name not in known]
    if version > len(MIGRATIONS) or unknown:
        newer = f"migration {unknown[0]!r}" if unknown else f"schema version {version}"
        raise SchemaTooNew(
            f"history store {path} was written by a newer Tandem ({newer}); "
            "it was left untouched: upgrade Tandem to use it"
        )
    if not _table_exists(db, "_migrations") and _has_tables(db):
        raise StoreError(f"{path} is a SQLite database but not a Tandem history store")


def migrate(db: sqlite3.Connection, path: Path) -> list[str]:
    """Apply the missing migrations in one transaction; returns their names.

    A store that is up to date is not write-locked at all, so it opens (and can be
    read) while another process holds its write lock.
    """
    if not _missing(db):
        return []
    db.execute("BEGIN IMMEDIATE")
    try:
        check_not_newer(db, path)  # again: another process may have migrated meanwhile
        todo = _missing(db)
        if todo:
            _apply(db, todo)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return [fn.__name__ for fn in todo]


def _missing(db: sqlite3.Connection) -> list[Migration]:
    done = set(applied(db))
    return [fn for fn in MIGRATIONS if fn.__name__ not in done]


def _apply(db: sqlite3.Connection, todo: list[Migration]) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)"
    )
    for fn in todo:
        fn(db)
        db.execute("INSERT INTO _migrations (name, applied) VALUES (?, ?)", (fn.__name__, now()))
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")


def _table_exists(db: sqlite3.Connection, name: str) -> bool:
    row = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return row.fetchone() is not None


def _has_tables(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None
