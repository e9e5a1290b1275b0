"""The SQLite file on disk: bad files are refused by name and left byte for byte."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from tandem.core.errors import SchemaTooNew, StoreError
from tandem.core.history import open_store
from tandem.core.history.sqlite_store import FILE_NAME, SqliteStore
from tandem.core.settings import HistorySettings


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / FILE_NAME


def make_history(path, text="hello"):
    store = SqliteStore(path)
    ws = store.ensure_workspace(path.parent)
    session = store.create_session(ws.id)
    store.append_message(session.id, "user", text)
    store.close()
    return session


def files_in(folder):
    """The folder's files and bytes, except ``-shm``: SQLite's shared-memory index,
    which every reader updates and which holds no data."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.endswith("-shm")}


def test_random_bytes_are_refused_and_kept(db_path):
    db_path.write_bytes(os.urandom(8192))
    before = files_in(db_path.parent)

    with pytest.raises(StoreError, match="not a SQLite database") as raised:
        SqliteStore(db_path)

    assert str(db_path) in str(raised.value)
    assert files_in(db_path.parent) == before


def test_damaged_pages_are_reported_as_corrupt_naming_the_file(db_path):
    store = SqliteStore(db_path)
    ws = store.ensure_workspace(db_path.parent)
    session = store.create_session(ws.id)
    for n in range(200):
        store.append_message(session.id, "user", f"message {n} " + "x" * 500)
    store.close()
    data = bytearray(db_path.read_bytes())
    data[4096:] = os.urandom(len(data) - 4096)  # keep the header page, ruin the rest
    db_path.write_bytes(bytes(data))

    with pytest.raises(StoreError, match="corrupt") as raised:
        reopened = SqliteStore(db_path)
        try:
            reopened.messages(session.id)
        finally:
            reopened.close()

    assert str(db_path) in str(raised.value)


def test_a_read_only_file_is_refused_and_kept(db_path):
    make_history(db_path)
    before = files_in(db_path.parent)
    db_path.chmod(stat.S_IRUSR | stat.S_IRGRP)
    try:
        with pytest.raises(StoreError, match="read-only") as raised:
            SqliteStore(db_path)
    finally:
        db_path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert str(db_path) in str(raised.value)
    assert files_in(db_path.parent) == before


@pytest.mark.parametrize("with_file", [True, False])
def test_a_read_only_folder_is_refused(db_path, with_file):
    if with_file:
        make_history(db_path)
    before = files_in(db_path.parent)
    db_path.parent.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(StoreError, match="read-only") as raised:
            SqliteStore(db_path)
    finally:
        db_path.parent.chmod(stat.S_IRWXU)
    assert str(db_path) in str(raised.value)
    assert files_in(db_path.parent) == before


def newer_by_migration(path):
    make_history(path)
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO _migrations (name, applied) VALUES ('m999_from_the_future', 'x')")


def newer_by_version(path):
    make_history(path)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")


def newer_without_wal(path):
    with sqlite3.connect(path) as db:  # a rollback-journal file: opening must not switch it
        db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
        db.execute("INSERT INTO _migrations VALUES ('m001_initial', 'x'), ('m002_next', 'x')")


@pytest.mark.parametrize("make", [newer_by_migration, newer_by_version, newer_without_wal])
def test_a_newer_schema_is_refused_and_kept(db_path, make):
    make(db_path)
    before = files_in(db_path.parent)

    with pytest.raises(SchemaTooNew, match="newer Tandem") as raised:
        SqliteStore(db_path)

    assert str(db_path) in str(raised.value)
    assert files_in(db_path.parent) == before


def test_a_foreign_sqlite_database_is_refused_and_kept(db_path):
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
    before = files_in(db_path.parent)

    with pytest.raises(StoreError, match="not a Tandem history store"):
        SqliteStore(db_path)

    assert files_in(db_path.parent) == before


def test_an_empty_file_becomes_a_new_store(db_path):
    db_path.write_bytes(b"")
    make_history(db_path)
    assert SqliteStore(db_path).list_workspaces() != []


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        SqliteStore(tmp_path / "nowhere" / FILE_NAME)


def test_a_folder_in_place_of_the_file_is_refused(db_path):
    db_path.mkdir()
    with pytest.raises(StoreError, match="not a regular file"):
        SqliteStore(db_path)


def test_open_store_makes_the_data_dir_and_uses_the_named_file(tmp_path):
    data_dir = tmp_path / "deep" / "data"
    store = open_store(HistorySettings(), data_dir)
    try:
        assert store.backend == "sqlite"
        assert store.location == str(data_dir / "history.sqlite3")
    finally:
        store.close()
    assert (data_dir / "history.sqlite3").exists()


def test_open_store_reports_a_data_dir_it_cannot_make(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="data folder"):
        open_store(HistorySettings(), blocker / "data")


def test_deleted_history_leaves_no_trace_in_the_files(db_path):
    store = SqliteStore(db_path)
    ws = store.ensure_workspace(db_path.parent)
    session = store.create_session(ws.id)
    reply = store.append_message(session.id, "assistant", "", "partial")
    for n in range(1, 30):  # streaming rewrites the row many times
        store.update_message(reply.id, content="zebracorn " * n)
    store.put_snapshot("h1", "zebracorn snapshot")
    store.record_context(reply.id, {"note": "zebracorn"}, {"a.py": "h1"})

    store.delete_workspace(ws.id)
    store.close()

    for name, data in files_in(db_path.parent).items():
        assert b"zebracorn" not in data, name


def test_integrity_holds_after_ordinary_use(db_path):
    make_history(db_path)
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
