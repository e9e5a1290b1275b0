"""The store contract, part 2: messages, streaming, what was sent, summaries, threads."""

from __future__ import annotations

import threading

import pytest

from tandem.core.errors import InvalidArguments
from tandem.core.history.models import Summary, content_hash


@pytest.fixture
def session(history_store, tmp_path):
    ws = history_store.ensure_workspace(tmp_path)
    return history_store.create_session(ws.id, "chat")


def test_messages_get_consecutive_seq_and_keep_every_field(history_store, session):
    question = history_store.append_message(session.id, "user", "Why?", turn_id="t1")
    answer = history_store.append_message(
        session.id,
        "assistant",
        "Because.",
        "error",
        model="gpt-x",
        usage={"promptTokens": 10, "completionTokens": 2},
        turn_id="t1",
        error="the endpoint hung up",
    )
    history_store.append_message(session.id, "system", "Be brief.")

    stored = history_store.messages(session.id)

    assert [m.seq for m in stored] == [1, 2, 3]
    assert stored[0] == question and stored[1] == answer
    assert answer.model == "gpt-x" and answer.status == "error" and answer.turn_id == "t1"
    assert answer.usage == {"promptTokens": 10, "completionTokens": 2}
    assert answer.error == "the endpoint hung up"
    assert question.model is None and question.usage is None and question.error is None
    assert len(question.id) == 32 and int(question.id, 16) >= 0
    assert question.created <= answer.created <= stored[2].created


def test_messages_after_seq(history_store, session):
    for text in ["one", "two", "three"]:
        history_store.append_message(session.id, "user", text)
    assert [m.content for m in history_store.messages(session.id, after_seq=1)] == ["two", "three"]
    assert history_store.messages(session.id, after_seq=3) == []


def test_streaming_updates_are_committed_one_by_one(history_store, history_target, session):
    reader = history_target.open()  # a second store object sees only committed data
    try:
        reply = history_store.append_message(session.id, "assistant", "", "partial", model="m")
        assert reader.get_message(reply.id).status == "partial"
        for text in ["Hel", "Hello", "Hello, world"]:
            history_store.update_message(reply.id, content=text)
            assert reader.get_message(reply.id).content == text
        final = history_store.update_message(reply.id, status="complete", usage={"totalTokens": 5})
        assert reader.get_message(reply.id) == final
    finally:
        reader.close()
    assert final.content == "Hello, world" and final.status == "complete"
    assert final.usage == {"totalTokens": 5} and final.model == "m" and final.seq == reply.seq


def test_cancelled_and_failed_replies_keep_their_text_and_error(history_store, session):
    reply = history_store.append_message(session.id, "assistant", "", "partial")
    history_store.update_message(reply.id, content="Half an ans")
    failed = history_store.update_message(reply.id, status="error", error="timed out")
    assert (failed.content, failed.status, failed.error) == ("Half an ans", "error", "timed out")

    other = history_store.append_message(session.id, "assistant", "", "partial")
    cancelled = history_store.update_message(other.id, content="Stop", status="cancelled")
    assert (cancelled.content, cancelled.status, cancelled.error) == ("Stop", "cancelled", None)


def test_updating_a_message_touches_its_session(history_store, session):
    reply = history_store.append_message(session.id, "assistant", "", "partial")
    before = history_store.get_session(session.id).updated
    history_store.update_message(reply.id, content="more")
    assert history_store.get_session(session.id).updated > before


def test_append_is_idempotent_by_message_id(history_store, session):
    first = history_store.append_message(session.id, "user", "hi", message_id="abc123")
    again = history_store.append_message(session.id, "user", "hi", message_id="abc123")

    assert again == first
    assert [m.id for m in history_store.messages(session.id)] == ["abc123"]
    next_one = history_store.append_message(session.id, "user", "next")
    assert next_one.seq == 2


def test_a_message_id_cannot_be_reused_in_another_session(history_store, session):
    other = history_store.create_session(session.workspace_id)
    history_store.append_message(session.id, "user", "hi", message_id="abc123")
    with pytest.raises(InvalidArguments, match="another session"):
        history_store.append_message(other.id, "user", "hi", message_id="abc123")
    assert history_store.messages(other.id) == []


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("robot", "x"), {}),
        (("user", "x", "done"), {}),
        (("user", 42), {}),
        (("user", None), {}),
        (("user", "x"), {"usage": [1, 2]}),
        (("user", "x"), {"usage": {"x": object()}}),
        (("user", "x"), {"usage": {"x": float("nan")}}),
        (("user", "x"), {"model": 3}),
        (("user", "x"), {"message_id": "has space"}),
        (("user", "x"), {"message_id": ""}),
    ],
)
def test_bad_message_values_are_refused_and_nothing_is_stored(history_store, session, args, kwargs):
    with pytest.raises(InvalidArguments):
        history_store.append_message(session.id, *args, **kwargs)
    assert history_store.messages(session.id) == []


def test_bad_update_values_are_refused(history_store, session):
    reply = history_store.append_message(session.id, "assistant", "ok")
    for kwargs in [{"status": "finished"}, {"content": b"bytes"}, {"usage": "12"}, {"error": 1}]:
        with pytest.raises(InvalidArguments):
            history_store.update_message(reply.id, **kwargs)
    assert history_store.get_message(reply.id) == reply
    with pytest.raises(InvalidArguments):
        history_store.messages(session.id, after_seq=-1)


def test_snapshots_are_stored_once_by_hash(history_store):
    digest = content_hash("print(1)\n")
    history_store.put_snapshot(digest, "print(1)\n")
    history_store.put_snapshot(digest, "print(1)\n")
    assert history_store.get_snapshot(digest) == "print(1)\n"
    assert history_store.get_snapshot(content_hash("other")) is None
    with pytest.raises(InvalidArguments):
        history_store.put_snapshot("", "x")
    with pytest.raises(InvalidArguments):
        history_store.put_snapshot("a:b", "x")


def test_context_record_round_trips(history_store, session):
    reply = history_store.append_message(session.id, "assistant", "", "partial")
    assert history_store.get_context(reply.id) is None
    manifest = {"sections": [{"name": "files", "tokens": 120}], "dropped": []}
    history_store.put_snapshot("h1", "a = 1\n")

    history_store.record_context(reply.id, manifest, {"src/a.py": "h1"})

    record = history_store.get_context(reply.id)
    assert record.message_id == reply.id
    assert record.manifest == manifest
    assert record.snapshots == {"src/a.py": "h1"}


def test_recording_again_replaces_the_record(history_store, session):
    reply = history_store.append_message(session.id, "assistant", "")
    history_store.record_context(reply.id, {"v": 1}, {"a.py": "h1", "b.py": "h2"})
    history_store.record_context(reply.id, {"v": 2}, {"a.py": "h3"})

    record = history_store.get_context(reply.id)

    assert (record.manifest, record.snapshots) == ({"v": 2}, {"a.py": "h3"})
    assert history_store.last_sent_snapshots(session.id) == {"a.py": "h3"}


def test_last_sent_snapshots_has_the_latest_hash_per_path(history_store, session):
    assert history_store.last_sent_snapshots(session.id) == {}
    first = history_store.append_message(session.id, "assistant", "1")
    second = history_store.append_message(session.id, "assistant", "2")
    third = history_store.append_message(session.id, "assistant", "3")
    history_store.record_context(first.id, {}, {"a.py": "a1", "b.py": "b1"})
    history_store.record_context(third.id, {}, {"a.py": "a3"})
    history_store.record_context(second.id, {}, {"a.py": "a2", "c.py": "c2"})  # recorded late

    sent = history_store.last_sent_snapshots(session.id)

    assert sent == {"a.py": "a3", "b.py": "b1", "c.py": "c2"}


def test_last_sent_snapshots_is_per_session(history_store, session):
    other = history_store.create_session(session.workspace_id)
    reply = history_store.append_message(other.id, "assistant", "x")
    history_store.record_context(reply.id, {}, {"a.py": "h"})
    assert history_store.last_sent_snapshots(session.id) == {}


def test_bad_context_values_are_refused(history_store, session):
    reply = history_store.append_message(session.id, "assistant", "x")
    for manifest, files in [([], {}), ({"x": {1, 2}}, {}), ({}, {"a.py": 3}), ({}, ["a.py"])]:
        with pytest.raises(InvalidArguments):
            history_store.record_context(reply.id, manifest, files)
    assert history_store.get_context(reply.id) is None


def test_summary_is_set_replaced_and_checked(history_store, session):
    assert history_store.get_summary(session.id) is None
    for text in ["a", "b", "c"]:
        history_store.append_message(session.id, "user", text)
    history_store.set_summary(session.id, 2, "asked a and b")
    assert history_store.get_summary(session.id) == (2, "asked a and b")

    history_store.set_summary(session.id, 3, "asked a, b, c")

    assert history_store.get_summary(session.id) == Summary(3, "asked a, b, c")
    with pytest.raises(InvalidArguments, match="past"):
        history_store.set_summary(session.id, 4, "future")
    with pytest.raises(InvalidArguments):
        history_store.set_summary(session.id, -1, "x")
    with pytest.raises(InvalidArguments):
        history_store.set_summary(session.id, 1, None)
    assert history_store.get_summary(session.id).up_to_seq == 3


def test_one_store_object_is_safe_across_threads(history_store, session):
    errors: list[BaseException] = []

    def writer(tag: str) -> None:
        try:
            for i in range(40):
                reply = history_store.append_message(session.id, "assistant", "", "partial")
                history_store.update_message(reply.id, content=f"{tag} {i}", status="complete")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    stored = history_store.messages(session.id)
    assert [m.seq for m in stored] == list(range(1, 161))
    for tag in ("t0", "t1", "t2", "t3"):
        numbers = [int(m.content.split()[1]) for m in stored if m.content.startswith(tag + " ")]
        assert numbers == list(range(40))
