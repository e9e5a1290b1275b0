"""The SQLite history store under real faults: a full disk, another process's lock.

Each fault must give a named error with a message for the user, leave what was stored
intact and readable, and stop mattering once it ends (space freed, lock released).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tandem.core.errors import StoreFull, StoreLocked
from tandem.core.history.sqlite_store import FILE_NAME, SqliteStore
from tests.support.disk import fill_disk, tmpfs
from tests.support.sqlite_lock import hold_lock, release


def contents(store: SqliteStore, session_id: str) -> list[tuple[int, str, str]]:
    return [(m.seq, m.role, m.content) for m in store.messages(session_id)]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "disk", "1m") as mounted:
        yield mounted


def test_a_full_disk_refuses_the_write_and_keeps_what_was_stored(small_disk, tmp_path):
    store = SqliteStore(small_disk / FILE_NAME)
    try:
        session = store.create_session(store.ensure_workspace(tmp_path).id)
        store.append_message(session.id, "user", "kept " * 100)
        filler = fill_disk(small_disk)

        with pytest.raises(StoreFull, match="cannot save chat history: disk full") as raised:
            for _ in range(100):  # the WAL has room for a few pages; then it must grow
                store.append_message(session.id, "assistant", "lost? " * 500)
        assert str(small_disk / FILE_NAME) in str(raised.value)
        written = contents(store, session.id)
        assert written[0] == (1, "user", "kept " * 100)

        filler.unlink()
        store.append_message(session.id, "user", "after")
        assert contents(store, session.id) == [*written, (len(written) + 1, "user", "after")]
    finally:
        store.close()
    reopened = SqliteStore(small_disk / FILE_NAME)
    try:
        assert contents(reopened, session.id)[-1] == (len(written) + 1, "user", "after")
    finally:
        reopened.close()


def test_the_page_limit_is_a_full_disk_too(tmp_path):
    """SQLITE_FULL without a small file system: the connection's own page limit."""
    store = SqliteStore(tmp_path / FILE_NAME)
    try:
        session = store.create_session(store.ensure_workspace(tmp_path).id)
        store.append_message(session.id, "user", "kept")
        db = store._conn()  # the limit is per connection: set it on the store's own
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")

        with pytest.raises(StoreFull, match="disk full"):
            store.append_message(session.id, "assistant", "x" * 100_000)
        assert contents(store, session.id) == [(1, "user", "kept")]

        db.execute("PRAGMA max_page_count = 1073741823")
        store.append_message(session.id, "assistant", "x" * 100_000)
        assert [m.seq for m in store.messages(session.id)] == [1, 2]
    finally:
        store.close()


def test_a_lock_held_by_another_process_is_named_and_then_waited_out(tmp_path):
    path = tmp_path / FILE_NAME
    store = SqliteStore(path, busy_timeout=0.2)
    try:
        session = store.create_session(store.ensure_workspace(tmp_path).id)
        store.append_message(session.id, "user", "before")
        locker = hold_lock(path, "write")
        try:
            with pytest.raises(StoreLocked, match="history is locked by another process"):
                store.append_message(session.id, "assistant", "during")
            assert contents(store, session.id) == [(1, "user", "before")]  # reads go on
        finally:
            release(locker)

        store.append_message(session.id, "assistant", "after")
        assert contents(store, session.id) == [(1, "user", "before"), (2, "assistant", "after")]
        assert store.get_session(session.id).title == "renamed by the other process"
    finally:
        store.close()


def test_a_store_opened_while_another_process_holds_the_lock(tmp_path):
    path = tmp_path / FILE_NAME
    first = SqliteStore(path)
    session = first.create_session(first.ensure_workspace(tmp_path).id)
    first.append_message(session.id, "user", "before")
    first.close()
    locker = hold_lock(path)
    try:
        store = SqliteStore(path, busy_timeout=0.2)  # opening needs no write lock
        try:
            assert contents(store, session.id) == [(1, "user", "before")]
            with pytest.raises(StoreLocked, match=str(path)):
                store.append_message(session.id, "user", "during")
        finally:
            store.close()
    finally:
        release(locker)
