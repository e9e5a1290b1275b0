"""The store contract, part 1: workspaces, sessions and the active session.

Every test here runs against both backends (``history_store`` is parametrized).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tandem.core.errors import InvalidArguments, NotFound, StoreError
from tandem.core.history.models import workspace_id


def test_workspace_id_is_a_hash_of_the_resolved_path(history_store, tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    link = tmp_path / "link"
    os.symlink(folder, link)
    expected = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]

    first = history_store.ensure_workspace(folder)
    again = history_store.ensure_workspace(str(link))

    assert first.id == again.id == workspace_id(folder) == expected
    assert first.path == str(folder.resolve())
    assert history_store.get_workspace(first.id) == first


def test_remote_url_matches_other_clones_of_the_same_repository(history_store, tmp_path):
    here = history_store.ensure_workspace(tmp_path / "a", "git@github.com:Acme/widget.git")
    there = history_store.ensure_workspace(tmp_path / "b", "https://github.com/Acme/widget")
    history_store.ensure_workspace(tmp_path / "c", "https://github.com/Acme/other.git")

    found = history_store.find_workspaces_by_remote("ssh://git@github.com/Acme/widget.git/")

    assert {ws.id for ws in found} == {here.id, there.id}
    assert here.remote == "git@github.com:Acme/widget.git"


def test_remote_none_keeps_it_and_a_new_remote_replaces_it(history_store, tmp_path):
    folder = tmp_path / "a"
    history_store.ensure_workspace(folder, "https://example.com/x/one.git")
    assert history_store.ensure_workspace(folder).remote == "https://example.com/x/one.git"

    history_store.ensure_workspace(folder, "https://example.com/x/two.git")

    assert history_store.find_workspaces_by_remote("https://example.com/x/one") == []
    assert len(history_store.find_workspaces_by_remote("https://example.com/x/two")) == 1


def test_list_workspaces(history_store, tmp_path):
    a = history_store.ensure_workspace(tmp_path / "a")
    b = history_store.ensure_workspace(tmp_path / "b")
    assert [ws.id for ws in history_store.list_workspaces()] == [a.id, b.id]


def test_sessions_are_listed_most_recently_updated_first(history_store, tmp_path):
    ws = history_store.ensure_workspace(tmp_path)
    older = history_store.create_session(ws.id, "older")
    newer = history_store.create_session(ws.id, "newer")
    assert [s.id for s in history_store.list_sessions(ws.id)] == [newer.id, older.id]

    history_store.append_message(older.id, "user", "back to this one")

    listed = history_store.list_sessions(ws.id)
    assert [s.id for s in listed] == [older.id, newer.id]
    assert listed[0].updated > older.updated
    assert listed[0].title == "older" and listed[0].workspace_id == ws.id


def test_rename_session(history_store, tmp_path):
    ws = history_store.ensure_workspace(tmp_path)
    session = history_store.create_session(ws.id)
    assert session.title == ""

    renamed = history_store.rename_session(session.id, "Parser questions")

    assert renamed.title == history_store.get_session(session.id).title == "Parser questions"


def test_sessions_of_other_workspaces_are_not_listed(history_store, tmp_path):
    a = history_store.ensure_workspace(tmp_path / "a")
    b = history_store.ensure_workspace(tmp_path / "b")
    history_store.create_session(a.id)
    assert history_store.list_sessions(b.id) == []


def test_active_session_is_remembered_across_reopening(history_store, history_target, tmp_path):
    ws = history_store.ensure_workspace(tmp_path)
    assert history_store.get_active_session(ws.id) is None
    session = history_store.create_session(ws.id, "current")
    history_store.set_active_session(ws.id, session.id)
    history_store.close()

    reopened = history_target.open()
    try:
        assert reopened.get_active_session(ws.id) == reopened.get_session(session.id)
    finally:
        reopened.close()


def test_active_session_must_be_live_and_belong_to_the_workspace(history_store, tmp_path):
    a = history_store.ensure_workspace(tmp_path / "a")
    b = history_store.ensure_workspace(tmp_path / "b")
    of_b = history_store.create_session(b.id)
    with pytest.raises(InvalidArguments, match="another workspace"):
        history_store.set_active_session(a.id, of_b.id)

    history_store.archive_workspace(b.id)
    with pytest.raises(InvalidArguments, match="archived"):
        history_store.set_active_session(b.id, of_b.id)


def test_active_session_is_none_once_deleted(history_store, tmp_path):
    ws = history_store.ensure_workspace(tmp_path)
    session = history_store.create_session(ws.id)
    history_store.set_active_session(ws.id, session.id)

    history_store.delete_workspace(ws.id)

    assert history_store.get_active_session(ws.id) is None


@pytest.mark.parametrize("bad", ["0" * 32, "../etc", "a:b", "", "x" * 200])
def test_unknown_or_malformed_ids_are_not_found(history_store, tmp_path, bad):
    ws = history_store.ensure_workspace(tmp_path)
    calls = [
        lambda: history_store.get_session(bad),
        lambda: history_store.messages(bad),
        lambda: history_store.append_message(bad, "user", "hello"),
        lambda: history_store.update_message(bad, content="x"),
        lambda: history_store.get_message(bad),
        lambda: history_store.record_context(bad, {}, {}),
        lambda: history_store.get_context(bad),
        lambda: history_store.last_sent_snapshots(bad),
        lambda: history_store.set_summary(bad, 0, "x"),
        lambda: history_store.get_summary(bad),
        lambda: history_store.export_session(bad, "json"),
        lambda: history_store.rename_session(bad, "t"),
        lambda: history_store.set_active_session(ws.id, bad),
        lambda: history_store.get_workspace(bad),
        lambda: history_store.create_session(bad),
        lambda: history_store.list_sessions(bad),
        lambda: history_store.archive_workspace(bad),
        lambda: history_store.delete_workspace(bad),
        lambda: history_store.search(bad, "x"),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert history_store.list_sessions(ws.id, include_archived=True) == []


def test_not_found_names_the_id(history_store):
    with pytest.raises(NotFound, match="unknown session '0123abcd'"):
        history_store.append_message("0123abcd", "user", "hello")


def test_ids_of_the_wrong_type_are_bad_arguments(history_store, tmp_path):
    with pytest.raises(InvalidArguments):
        history_store.get_session(42)
    with pytest.raises(InvalidArguments):
        history_store.ensure_workspace(None)
    ws = history_store.ensure_workspace(tmp_path)
    with pytest.raises(InvalidArguments):
        history_store.create_session(ws.id, title=7)
    with pytest.raises(InvalidArguments):
        history_store.list_sessions(ws.id, include_archived="yes")


def test_a_closed_store_refuses_calls(history_target, tmp_path):
    store = history_target.open()
    ws = store.ensure_workspace(tmp_path)
    store.close()
    store.close()  # closing twice is harmless
    with pytest.raises(StoreError, match="closed"):
        store.list_sessions(ws.id)


def test_location_and_backend_are_reported(history_store, history_target):
    assert history_store.backend == history_target.backend
    if history_target.backend == "sqlite":
        assert history_store.location == str(Path(history_target.target) / "history.sqlite3")
    else:
        assert history_store.location == history_target.target
