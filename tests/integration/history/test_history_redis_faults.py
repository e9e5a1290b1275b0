"""Redis going away: a dropped connection is retried, a down server is reported, and a
server restarted with its data (AOF) is used again with nothing lost or doubled."""

from __future__ import annotations

import pytest
import redis

from tandem.core.errors import StoreUnavailable
from tandem.core.history.redis_store import RedisStore
from tests.support.flaky_proxy import FlakyProxy
from tests.support.redis_aof import aof_redis_server

pytestmark = pytest.mark.redis


def drop_client_connections(url: str) -> int:
    """Close every other client's connection from the server side."""
    admin = redis.Redis.from_url(url)
    try:
        return int(admin.client_kill_filter(_type="normal", skipme=True))
    finally:
        admin.close()


def test_a_dropped_connection_is_reopened_without_duplicates(redis_server_private, tmp_path):
    store = RedisStore(redis_server_private.url)
    try:
        session = store.create_session(store.ensure_workspace(tmp_path).id)
        store.append_message(session.id, "user", "before")
        assert drop_client_connections(redis_server_private.url) >= 1

        reply = store.append_message(session.id, "assistant", "after", "partial")
        store.update_message(reply.id, content="after the drop", status="complete")

        assert [(m.seq, m.content) for m in store.messages(session.id)] == [
            (1, "before"),
            (2, "after the drop"),
        ]
    finally:
        store.close()


@pytest.mark.parametrize("write", ["append", "update"])
def test_a_reply_lost_after_the_write_is_retried_without_a_duplicate(redis_server, tmp_path, write):
    proxy = FlakyProxy(redis_server.port)
    store = RedisStore(proxy.url)
    try:
        session = store.create_session(store.ensure_workspace(tmp_path).id)
        first = store.append_message(session.id, "user", "first")
        proxy.drop_next_reply()

        if write == "append":
            store.append_message(session.id, "assistant", "answer")
        else:
            store.update_message(first.id, content="first, edited")

        assert proxy.dropped == 1
        stored = [(m.seq, m.content) for m in store.messages(session.id)]
    finally:
        store.close()
        proxy.close()
    expected = [(1, "first"), (2, "answer")] if write == "append" else [(1, "first, edited")]
    assert stored == expected


def test_a_down_server_is_reported_and_a_restarted_one_is_used_again(
    redis_server_private, tmp_path
):
    store = RedisStore(redis_server_private.url)
    try:
        session = store.create_session(store.ensure_workspace(tmp_path).id)
        redis_server_private.stop()

        with pytest.raises(StoreUnavailable, match="cannot reach Redis") as raised:
            store.append_message(session.id, "user", "lost?")
        assert redis_server_private.url in str(raised.value)

        redis_server_private.start()  # same port, empty: the test server keeps nothing
        fresh = store.create_session(store.ensure_workspace(tmp_path).id)
        assert store.append_message(fresh.id, "user", "back").seq == 1
    finally:
        store.close()


def test_a_killed_server_restarted_with_its_data_keeps_every_message_once(tmp_path):
    server = aof_redis_server(tmp_path / "redis-aof")
    server.start()
    store = RedisStore(server.url)
    try:
        session = store.create_session(store.ensure_workspace(tmp_path).id)
        for turn in ("t1", "t2"):
            store.append_message(session.id, "user", f"question {turn}", turn_id=turn)
            store.append_message(session.id, "assistant", f"answer {turn}", turn_id=turn)
        server.stop()  # SIGKILL: nothing is flushed on the way out

        retried = "m-t3-user"
        with pytest.raises(StoreUnavailable, match="cannot reach Redis"):
            store.append_message(
                session.id, "user", "question t3", turn_id="t3", message_id=retried
            )

        server.start()  # same port, same AOF
        for _ in range(2):  # the caller retries; the id makes it count once
            store.append_message(
                session.id, "user", "question t3", turn_id="t3", message_id=retried
            )
        stored = [(m.seq, m.turn_id, m.role) for m in store.messages(session.id)]
    finally:
        store.close()
        server.stop()
    assert stored == [
        (1, "t1", "user"),
        (2, "t1", "assistant"),
        (3, "t2", "user"),
        (4, "t2", "assistant"),
        (5, "t3", "user"),
    ]
