"""The SQLite schema is pinned: a change must come as a new migration and a new snapshot.

To accept an intended change (after adding a migration), regenerate the snapshot:
``TANDEM_UPDATE_SCHEMA_SNAPSHOT=1 python -m pytest tests/unit/history/test_history_schema.py``.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tandem.core.history import migrations
from tandem.core.history.sqlite_store import SqliteStore

SNAPSHOT = Path(__file__).with_name("schema_snapshot.sql")
RELEASED = ["m001_initial"]
"""Released migrations, in order. Append only: never edit or remove one."""


def render_schema(db: sqlite3.Connection) -> str:
    rows = db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name != 'sqlite_sequence' "
        "ORDER BY type, name"
    ).fetchall()
    blocks = [f"-- {kind} {name}\n{sql or '(automatic)'};\n" for kind, name, sql in rows]
    return "\n".join(blocks)


def test_schema_matches_the_snapshot(tmp_path):
    SqliteStore(tmp_path / "h.sqlite3").close()
    with sqlite3.connect(tmp_path / "h.sqlite3") as db:
        schema = render_schema(db)
    if os.environ.get("TANDEM_UPDATE_SCHEMA_SNAPSHOT"):
        SNAPSHOT.write_text(schema)
    assert schema == SNAPSHOT.read_text()


def test_migrations_are_append_only_and_recorded_by_name(tmp_path):
    assert [fn.__name__ for fn in migrations.MIGRATIONS][: len(RELEASED)] == RELEASED
    SqliteStore(tmp_path / "h.sqlite3").close()
    with sqlite3.connect(tmp_path / "h.sqlite3") as db:
        assert migrations.applied(db) == [fn.__name__ for fn in migrations.MIGRATIONS]
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(migrations.MIGRATIONS)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "h.sqlite3"
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = WAL")
        assert migrations.migrate(db, path) == []
    store = SqliteStore(path)
    store.close()
    with sqlite3.connect(path) as db:
        count = db.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0]
    assert count == len(migrations.MIGRATIONS)


def test_a_database_missing_later_migrations_is_brought_up_to_date(tmp_path):
    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path, isolation_level=None) as db:
        first = migrations.MIGRATIONS[0]
        db.execute("BEGIN")
        migrations._apply(db, [first])
        db.execute("PRAGMA user_version = 1")
        db.execute("COMMIT")
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        assert migrations.applied(db) == [fn.__name__ for fn in migrations.MIGRATIONS]
