"""The store contract, part 3: archive and delete, full-text search, export."""

from __future__ import annotations

import json

import pytest

from tandem.core.errors import InvalidArguments, NotFound


@pytest.fixture
def two_workspaces(history_store, tmp_path):
    return history_store.ensure_workspace(tmp_path / "a"), history_store.ensure_workspace(
        tmp_path / "b"
    )


def add_turn(store, session_id, question, answer, files=None):
    store.append_message(session_id, "user", question)
    reply = store.append_message(session_id, "assistant", answer, model="m")
    files = files or {}
    for text in files.values():
        store.put_snapshot(f"h-{text}", text)
    store.record_context(reply.id, {"q": question}, {p: f"h-{t}" for p, t in files.items()})
    return reply


def test_archive_keeps_sessions_readable_but_out_of_the_live_list(history_store, two_workspaces):
    a, b = two_workspaces
    first = history_store.create_session(a.id, "first")
    second = history_store.create_session(a.id, "second")
    kept = history_store.create_session(b.id, "other workspace")
    add_turn(history_store, first.id, "q", "a")
    history_store.set_active_session(a.id, second.id)

    assert history_store.archive_workspace(a.id) == 2

    assert history_store.list_sessions(a.id) == []
    archived = history_store.list_sessions(a.id, include_archived=True)
    assert {s.id for s in archived} == {first.id, second.id}
    assert all(s.archived for s in archived)
    assert [m.content for m in history_store.messages(first.id)] == ["q", "a"]
    assert history_store.get_active_session(a.id) is None
    assert history_store.list_sessions(b.id) == [history_store.get_session(kept.id)]
    assert history_store.archive_workspace(a.id) == 0  # nothing live is left


def test_after_archiving_a_fresh_session_can_be_started(history_store, two_workspaces):
    a, _ = two_workspaces
    history_store.create_session(a.id)
    history_store.archive_workspace(a.id)

    fresh = history_store.create_session(a.id, "fresh")
    history_store.set_active_session(a.id, fresh.id)

    assert history_store.get_active_session(a.id).id == fresh.id
    assert [s.id for s in history_store.list_sessions(a.id)] == [fresh.id]


def test_delete_removes_sessions_messages_and_records_for_good(history_store, two_workspaces):
    a, b = two_workspaces
    doomed = history_store.create_session(a.id)
    reply = add_turn(history_store, doomed.id, "q", "a", {"x.py": "only-here", "y.py": "shared"})
    history_store.set_summary(doomed.id, 1, "summary")
    kept = history_store.create_session(b.id)
    add_turn(history_store, kept.id, "q2", "a2", {"y.py": "shared"})

    assert history_store.delete_workspace(a.id) == 1

    for call in [
        lambda: history_store.get_session(doomed.id),
        lambda: history_store.get_message(reply.id),
        lambda: history_store.messages(doomed.id),
        lambda: history_store.get_context(reply.id),
    ]:
        with pytest.raises(NotFound):
            call()
    assert history_store.list_sessions(a.id, include_archived=True) == []
    assert history_store.search(a.id, "q") == []
    assert history_store.get_snapshot("h-only-here") is None
    assert history_store.get_snapshot("h-shared") == "shared"
    assert history_store.get_workspace(a.id) == a  # the folder itself is still known
    assert [m.content for m in history_store.messages(kept.id)] == ["q2", "a2"]


def test_after_deleting_a_workspace_starts_over(history_store, two_workspaces):
    a, _ = two_workspaces
    old = history_store.create_session(a.id)
    history_store.append_message(old.id, "user", "old")
    history_store.delete_workspace(a.id)

    fresh = history_store.create_session(a.id)

    assert history_store.append_message(fresh.id, "user", "new").seq == 1
    assert history_store.delete_workspace(a.id) == 1


def test_search_needs_every_word_ignoring_case_and_accents(history_store, two_workspaces):
    a, _ = two_workspaces
    session = history_store.create_session(a.id)
    add_turn(history_store, session.id, "How does the Tokenizer handle café names?", "It splits.")
    add_turn(history_store, session.id, "And the tokenizer's speed?", "Fast enough.")

    hits = history_store.search(a.id, "TOKENIZER cafe")

    assert [(h.seq, h.role) for h in hits] == [(1, "user")]
    assert hits[0].session_id == session.id
    assert "**Tokenizer**" in hits[0].snippet and "**café**" in hits[0].snippet
    assert history_store.search(a.id, "tokenizer missing") == []
    plain = history_store.append_message(session.id, "user", "a plain CAFE in ascii")
    found = history_store.search(a.id, "Café")
    assert [h.message_id for h in found][:1] == [plain.id] and len(found) == 2


def test_search_matches_word_prefixes_newest_first_with_a_limit(history_store, two_workspaces):
    a, _ = two_workspaces
    session = history_store.create_session(a.id)
    for n in range(5):
        history_store.append_message(session.id, "user", f"parsing problem number {n}")

    hits = history_store.search(a.id, "pars", limit=3)

    assert [h.seq for h in hits] == [5, 4, 3]
    assert hits[0].snippet == "**parsing** problem number 4"
    assert hits[0].created >= hits[1].created


def test_search_stays_in_its_workspace_and_can_skip_archived(history_store, two_workspaces):
    a, b = two_workspaces
    live = history_store.create_session(b.id)
    history_store.append_message(live.id, "user", "needle in b")
    old = history_store.create_session(a.id)
    history_store.append_message(old.id, "user", "needle in a")
    history_store.archive_workspace(a.id)
    newer = history_store.create_session(a.id)
    history_store.append_message(newer.id, "user", "another needle in a")

    assert {h.session_id for h in history_store.search(a.id, "needle")} == {old.id, newer.id}
    skipped = history_store.search(a.id, "needle", include_archived=False)
    assert [h.session_id for h in skipped] == [newer.id]


def test_search_follows_streamed_updates(history_store, two_workspaces):
    a, _ = two_workspaces
    session = history_store.create_session(a.id)
    reply = history_store.append_message(session.id, "assistant", "draft wording", "partial")
    history_store.update_message(reply.id, content="final phrasing", status="complete")

    assert history_store.search(a.id, "draft") == []
    assert [h.message_id for h in history_store.search(a.id, "phrasing")] == [reply.id]


def test_search_snippet_is_cut_around_the_first_match(history_store, two_workspaces):
    a, _ = two_workspaces
    session = history_store.create_session(a.id)
    words = " ".join(f"w{n}" for n in range(100))
    history_store.append_message(session.id, "user", f"{words}\nthe target\n{words}")

    (hit,) = history_store.search(a.id, "target")

    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert "**target**" in hit.snippet and "\n" not in hit.snippet
    assert len(hit.snippet) < 150


@pytest.mark.parametrize("query", ['"quoted', "a AND", "NEAR(x y)", "col:value", "x -y (", "OR"])
def test_search_treats_query_syntax_as_plain_words(history_store, two_workspaces, query):
    a, _ = two_workspaces
    session = history_store.create_session(a.id)
    message = history_store.append_message(session.id, "user", "quoted a and x y near col value or")
    history_store.append_message(session.id, "user", "nothing else")

    assert [h.message_id for h in history_store.search(a.id, query)] == [message.id]


@pytest.mark.parametrize(("query", "limit"), [("", 50), ("  ?! ", 50), (None, 50), ("x", 0)])
def test_bad_search_arguments(history_store, two_workspaces, query, limit):
    a, _ = two_workspaces
    with pytest.raises(InvalidArguments):
        history_store.search(a.id, query, limit=limit)


def test_export_markdown_and_json(history_store, two_workspaces):
    a, _ = two_workspaces
    session = history_store.create_session(a.id, "Export me")
    add_turn(history_store, session.id, "What is `x`?", "A variable.")
    cut = history_store.append_message(session.id, "assistant", "Half", "partial")
    history_store.update_message(cut.id, status="error", error="connection reset")

    markdown = history_store.export_session(session.id, "markdown")
    document = json.loads(history_store.export_session(session.id, "json"))

    assert markdown.startswith("# Export me\n")
    assert "### 1. User" in markdown and "### 2. Assistant (m)" in markdown
    assert "What is `x`?" in markdown and "_error_" in markdown
    assert "> Error: connection reset" in markdown
    assert document["session"]["id"] == session.id and document["session"]["title"] == "Export me"
    assert [m["content"] for m in document["messages"]] == ["What is `x`?", "A variable.", "Half"]
    assert document["messages"][2]["status"] == "error"
    with pytest.raises(InvalidArguments):
        history_store.export_session(session.id, "html")
