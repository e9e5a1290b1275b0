"""Fixtures for the history store tests: both backends, and real redis-servers."""

from __future__ import annotations

from tests.support.history_stores import history_store, history_target  # noqa: F401
from tests.support.redis_server import redis_server, redis_server_private  # noqa: F401
