"""History stores for tests, one per backend, plus the means to open the same data again.

From a ``conftest.py``::

    from tests.support.history_stores import history_store, history_target  # noqa: F401
    from tests.support.redis_server import redis_server  # noqa: F401

``history_target`` is parametrized over ``sqlite`` (a file in the test's tmp dir) and
``redis`` (the shared server, a key prefix of the test's own; marked ``redis``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tandem.core.history.store import HistoryStore
from tests.support.redis_server import unique_prefix

REPO = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("history_writer.py")


@dataclass(frozen=True)
class StoreTarget:
    """Where one test's history lives; ``open()`` gives a new store object on it."""

    backend: str
    target: str
    """The data dir (sqlite) or the server URL (redis)."""
    prefix: str = "tandem:"

    def open(self) -> HistoryStore:
        if self.backend == "redis":
            from tandem.core.history.redis_store import RedisStore

            return RedisStore(self.target, prefix=self.prefix)
        from tandem.core.history.sqlite_store import FILE_NAME, SqliteStore

        return SqliteStore(Path(self.target) / FILE_NAME)

    def writer(self, *args: str) -> subprocess.Popen[str]:
        """Start ``history_writer.py`` on this data, with pipes for its stdin and stdout."""
        command = [sys.executable, str(WRITER), "--backend", self.backend]
        command += ["--target", self.target, "--prefix", self.prefix, *args]
        return subprocess.Popen(
            command,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def sqlite_target(tmp_path: Path) -> StoreTarget:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    return StoreTarget("sqlite", str(data))


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def history_target(request: pytest.FixtureRequest, tmp_path: Path) -> StoreTarget:
    if request.param == "sqlite":
        return sqlite_target(tmp_path)
    server = request.getfixturevalue("redis_server")
    return StoreTarget("redis", server.url, unique_prefix())


@pytest.fixture
def history_store(history_target: StoreTarget) -> Iterator[HistoryStore]:
    store = history_target.open()
    yield store
    store.close()
