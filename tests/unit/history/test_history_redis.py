"""What only the Redis backend has: a URL, a missing extra, a key namespace."""

from __future__ import annotations

import subprocess
import sys

import pytest
import redis

from tandem.core.errors import SchemaTooNew, StoreError, StoreUnavailable
from tandem.core.history import open_store
from tandem.core.history.redis_store import SCHEMA_VERSION, RedisStore
from tandem.core.settings import HistorySettings
from tests.support.redis_server import free_port, unique_prefix

pytestmark = pytest.mark.redis


def test_open_store_uses_redis_when_configured(redis_server, tmp_path):
    settings = HistorySettings(backend="redis", redisUrl=redis_server.url)
    store = open_store(settings, tmp_path / "unused")
    try:
        assert store.backend == "redis" and store.location == redis_server.url
        assert store.ensure_workspace(tmp_path).path == str(tmp_path.resolve())
    finally:
        store.close()
    assert not (tmp_path / "unused").exists()


def test_an_unreachable_server_is_unavailable_and_named_without_password():
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    with pytest.raises(StoreUnavailable) as raised:
        RedisStore(url, timeout=1.0)
    message = str(raised.value)
    assert f"redis://127.0.0.1:{url.rsplit(':', 1)[1]}" in message
    assert "hunter2" not in message


def test_a_malformed_url_is_a_store_error():
    with pytest.raises(StoreError, match="not a usable Redis URL"):
        RedisStore("http://example.com")


def test_a_missing_redis_package_names_the_extra(tmp_path):
    script = (
        "import sys; sys.modules['redis'] = None\n"
        "from pathlib import Path\n"
        "from tandem.core.errors import StoreUnavailable\n"
        "from tandem.core.history import open_store\n"
        "from tandem.core.settings import HistorySettings\n"
        "try:\n"
        "    open_store(HistorySettings(backend='redis'), Path('.'))\n"
        "except StoreUnavailable as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert "pip install 'tandem-ls[redis]'" in result.stdout


def test_the_schema_marker_is_written_once(redis_server):
    prefix = unique_prefix()
    RedisStore(redis_server.url, prefix=prefix).close()
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    assert client.get(prefix + "schema") == str(SCHEMA_VERSION)


def test_a_newer_schema_is_refused_and_nothing_is_written(redis_server):
    prefix = unique_prefix()
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    client.set(prefix + "schema", SCHEMA_VERSION + 1)

    with pytest.raises(SchemaTooNew, match="newer Tandem"):
        RedisStore(redis_server.url, prefix=prefix)

    assert client.keys(prefix + "*") == [prefix + "schema"]
    assert client.get(prefix + "schema") == str(SCHEMA_VERSION + 1)


def test_a_garbled_schema_marker_is_a_store_error(redis_server):
    prefix = unique_prefix()
    redis.Redis.from_url(redis_server.url).set(prefix + "schema", "banana")
    with pytest.raises(StoreError, match="schema marker"):
        RedisStore(redis_server.url, prefix=prefix)


def test_every_key_is_namespaced_under_tandem(redis_server_private, tmp_path):
    store = RedisStore(redis_server_private.url)
    ws = store.ensure_workspace(tmp_path, "https://example.com/o/r.git")
    session = store.create_session(ws.id)
    reply = store.append_message(session.id, "assistant", "x")
    store.put_snapshot("h1", "text")
    store.record_context(reply.id, {}, {"a.py": "h1"})
    store.set_summary(session.id, 1, "s")
    store.set_active_session(ws.id, session.id)
    store.close()

    keys = redis.Redis.from_url(redis_server_private.url, decode_responses=True).keys("*")

    assert len(keys) > 10
    assert all(key.startswith("tandem:") for key in keys)
