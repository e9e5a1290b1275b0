"""Opening the SQLite history file safely, and saying clearly why it cannot be used.

Checks run before SQLite writes anything, so a file we refuse keeps its bytes: a
read-only file or folder (judged by its permission bits too, so a read-only file is
respected even when running as root), a file that is not a SQLite database, and a
schema written by a newer Tandem.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

from tandem.core.errors import StoreError, StoreFull, StoreLocked, StoreReadOnly
from tandem.core.history import migrations

log = logging.getLogger(__name__)
SQLITE_HEADER = b"SQLite format 3\x00"


def open_database(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """A migrated connection in WAL mode (autocommit; callers BEGIN explicitly)."""
    check_usable(path)
    try:
        db = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as error:
        raise store_error(error, path) from error
    try:
        _prepare(db, path, busy_timeout)
    except BaseException as error:
        db.close()
        if isinstance(error, sqlite3.Error):
            raise store_error(error, path) from error
        raise
    return db


def _prepare(db: sqlite3.Connection, path: Path, busy_timeout: float) -> None:
    db.row_factory = sqlite3.Row
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    migrations.check_not_newer(db, path)  # before the first write (journal_mode)
    mode = _use_wal(db, busy_timeout)
    if str(mode).lower() != "wal":
        raise StoreError(f"history store {path} cannot use WAL journaling (got {mode})")
    # FULL: a commit survives power loss too, not only a killed process.
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA foreign_keys = ON")
    # Deleted history is overwritten, not left in free pages.
    db.execute("PRAGMA secure_delete = ON")
    applied = migrations.migrate(db, path)
    if applied:
        log.info("history store %s: applied migrations %s", path, ", ".join(applied))


def _use_wal(db: sqlite3.Connection, busy_timeout: float) -> str:
    """Switch to WAL. The switch takes an exclusive lock without calling the busy
    handler, so two processes opening a new store at once retry it here."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            return str(db.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def check_usable(path: Path) -> None:
    """Refuse, before SQLite touches anything, a file that must not or cannot be written."""
    if path.exists():
        if not path.is_file():
            raise StoreError(f"history store {path} is not a regular file")
        if not _writable(path):
            raise StoreReadOnly(
                f"history store {path} is read-only; make it writable "
                "or point TANDEM_DATA_DIR elsewhere"
            )
        if not _has_sqlite_header(path):
            raise StoreError(
                f"history store {path} is not a SQLite database (corrupt or foreign); "
                "it was left untouched: move it aside to start a new history"
            )
    if not path.parent.is_dir():
        raise StoreError(f"cannot create history store {path}: its folder does not exist")
    if not _writable(path.parent):
        raise StoreReadOnly(f"cannot write history store {path}: its folder is read-only")


def _writable(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & 0o222) and os.access(path, os.W_OK)


def _has_sqlite_header(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise StoreError(f"cannot read history store {path}: {error.strerror}") from error
    return head in (SQLITE_HEADER, b"")


def store_error(error: sqlite3.Error, path: Path) -> StoreError:
    """A user-facing error naming the file, for any error SQLite raised.

    Full, locked and read-only stores get their own error types: each is a state the
    user can end (free space, close the other program, make the file writable), after
    which the same store works again.
    """
    text = str(error)
    name = getattr(error, "sqlite_errorname", "")
    if "locked" in text or "BUSY" in name:
        return StoreLocked(
            f"history is locked by another process ({path}); try again when it is done"
        )
    if "readonly" in text or "read-only" in text or "READONLY" in name:
        return StoreReadOnly(f"cannot save chat history: {path} is read-only ({text})")
    if "malformed" in text or "not a database" in text or "CORRUPT" in name:
        return StoreError(
            f"history store {path} is corrupt ({text}); move it aside to start a new history"
        )
    if "disk is full" in text or "FULL" in name:
        return StoreFull(
            f"cannot save chat history: disk full ({path}: {text}); free some space and try again"
        )
    return StoreError(f"history store {path} failed: {text}")
