"""Per-workspace chat history: sessions, messages, what was sent, search and export.

``open_store`` picks the backend from ``settings.history``: SQLite (the default, one
file in the data dir) or Redis (``history.backend = "redis"``, ``history.redisUrl``).
Both implement :class:`~tandem.core.history.store.HistoryStore`.
"""

from __future__ import annotations

import errno
from pathlib import Path

from tandem.core.errors import StoreError, StoreReadOnly, StoreUnavailable
from tandem.core.history.models import (
    ContextRecord,
    Message,
    SearchHit,
    Session,
    Summary,
    Workspace,
    content_hash,
    workspace_id,
)
from tandem.core.history.sqlite_store import FILE_NAME, SqliteStore
from tandem.core.history.store import HistoryStore
from tandem.core.settings import HistorySettings

__all__ = [
    "FILE_NAME",
    "ContextRecord",
    "HistoryStore",
    "Message",
    "SearchHit",
    "Session",
    "Summary",
    "Workspace",
    "content_hash",
    "open_store",
    "workspace_id",
]

REDIS_EXTRA_HINT = "pip install 'tandem-ls[redis]'"


def open_store(settings: HistorySettings, data_dir: Path) -> HistoryStore:
    """Open the configured store; raises ``StoreError`` (or a subclass) if it cannot."""
    if settings.backend == "redis":
        return _open_redis(settings.redisUrl)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        kind = StoreReadOnly if error.errno in (errno.EROFS, errno.EACCES) else StoreError
        raise kind(f"cannot create the data folder {data_dir}: {error.strerror}") from error
    return SqliteStore(data_dir / FILE_NAME)


def _open_redis(url: str) -> HistoryStore:
    try:
        from tandem.core.history.redis_store import RedisStore
    except ImportError as error:
        if (error.name or "").split(".")[0] != "redis":
            raise
        raise StoreUnavailable(
            "history.backend is 'redis' but the redis package is not installed: " + REDIS_EXTRA_HINT
        ) from error
    return RedisStore(url)
