"""A redis-server that keeps its data across a kill and restart (AOF in a folder).

``RedisServer`` runs without persistence; this one runs the same binary through a
small wrapper that appends ``--appendonly yes --dir DIR`` to its arguments (the last
occurrence of an option wins), so a ``stop()`` (SIGKILL) and ``start()`` on the same
port brings back every acknowledged write: Redis writes the AOF before it replies,
and a killed process leaves the file in the kernel's hands.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.support.redis_server import RedisServer, find_redis_server

WRAPPER = """#!/bin/sh
exec {binary} "$@" --appendonly yes --appendfsync always --dir {folder}
"""


def aof_redis_server(folder: Path) -> RedisServer:
    """A stopped server whose data lives in ``folder`` (created); call ``start()``."""
    binary = find_redis_server()
    if binary is None:
        pytest.skip("redis-server binary not found")
    folder.mkdir(parents=True, exist_ok=True)
    wrapper = folder / "redis-server-aof"
    wrapper.write_text(WRAPPER.format(binary=shlex.quote(binary), folder=shlex.quote(str(folder))))
    wrapper.chmod(0o755)
    return RedisServer(binary=str(wrapper))
