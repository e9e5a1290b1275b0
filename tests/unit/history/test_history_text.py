"""Pure parts of the history package: ids, remotes, matching, export and terminal text."""

from __future__ import annotations

import json

import pytest

from tandem.core.errors import InvalidArguments, NotFound
from tandem.core.history import cli_format, export, matching
from tandem.core.history.models import Message, SearchHit, Session, content_hash, remote_key

SESSION = Session(
    "a1b2c3d4e5f6",
    "ws",
    "Parser work",
    "2025-01-31T09:15:02.000001Z",
    "2025-01-31T10:00:00.000000Z",
    False,
)


def message(seq, role, content, status="complete", **extra):
    return Message(
        f"m{seq}",
        SESSION.id,
        seq,
        role,
        content,
        f"2025-01-31T09:1{seq}:00.000000Z",
        status,
        **extra,
    )


@pytest.mark.parametrize(
    ("remote", "key"),
    [
        ("git@github.com:Acme/widget.git", "github.com/Acme/widget"),
        ("https://github.com/Acme/widget", "github.com/Acme/widget"),
        ("https://user:token@GitHub.com/Acme/widget.git/", "github.com/Acme/widget"),
        ("ssh://git@github.com:22/Acme/widget.git", "github.com/Acme/widget"),
        ("/srv/git/widget.git", "/srv/git/widget"),
        ("C:/repos/widget", "C:/repos/widget"),
    ],
)
def test_remote_key_normalises_clone_urls(remote, key):
    assert remote_key(remote) == key


def test_content_hash_is_sha256_hex():
    assert content_hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_query_terms_are_folded_words():
    assert matching.query_terms("Café-Crème  cafe") == ["cafe", "creme"]
    assert matching.fts_query(["cafe", "creme"]) == '"cafe"* AND "creme"*'
    with pytest.raises(InvalidArguments):
        matching.query_terms("-- !! --")


def test_matches_needs_every_term_as_a_word_prefix():
    assert matching.matches("The Tokenizer splits snake_case", ["token", "case"])
    assert not matching.matches("The Tokenizer", ["kenizer"])
    assert not matching.matches("The Tokenizer", ["token", "missing"])


def test_snippet_marks_matches_and_cuts_long_text():
    text = " ".join(f"w{n}" for n in range(50)) + " needle " + " ".join(f"v{n}" for n in range(50))
    snippet = matching.snippet(text, ["needle"])
    assert snippet.startswith("…w46 ") and snippet.endswith(" v10…")
    assert "**needle**" in snippet
    assert matching.snippet("short\ntext", ["short"]) == "**short** text"


def test_export_json_is_the_wire_shape():
    messages = [message(1, "user", "hi"), message(2, "assistant", "yo", model="m", usage={"t": 1})]
    document = json.loads(export.render(SESSION, messages, "json"))
    assert document["format"] == "tandem-session" and document["version"] == 1
    assert document["session"] == SESSION.to_json()
    assert document["messages"][1] == {
        "id": "m2",
        "sessionId": SESSION.id,
        "seq": 2,
        "role": "assistant",
        "content": "yo",
        "status": "complete",
        "created": "2025-01-31T09:12:00.000000Z",
        "model": "m",
        "usage": {"t": 1},
        "turnId": None,
        "error": None,
    }


def test_export_markdown():
    messages = [message(1, "user", "hi\n"), message(2, "assistant", "par", "partial", model="m")]
    assert export.render(SESSION, messages, "markdown") == (
        "# Parser work\n\n"
        "Session `a1b2c3d4e5f6` · created 2025-01-31T09:15:02.000001Z"
        " · updated 2025-01-31T10:00:00.000000Z\n\n---\n\n"
        "### 1. User · 2025-01-31T09:11:00.000000Z\n\nhi\n\n---\n\n"
        "### 2. Assistant (m) · 2025-01-31T09:12:00.000000Z · _partial_\n\npar\n"
    )
    with pytest.raises(InvalidArguments):
        export.render(SESSION, messages, "pdf")


def test_cli_sessions_list_marks_the_active_one():
    other = Session("ffff0000aaaa", "ws", "", SESSION.created, SESSION.updated, True)
    text = cli_format.format_sessions([SESSION, other], active_id=SESSION.id)
    assert text == (
        "* a1b2c3d4  2025-01-31 10:00  Parser work\n"
        "  ffff0000  2025-01-31 10:00  (untitled)  [archived]\n"
    )
    assert cli_format.format_sessions([]) == "No sessions yet.\n"


def test_cli_transcript():
    messages = [
        message(1, "user", "why?"),
        message(2, "assistant", "because", "error", model="m", error="boom"),
    ]
    assert cli_format.format_transcript(SESSION, messages) == (
        "Parser work  [a1b2c3d4e5f6]\n"
        "===========================\n\n"
        "#1 user 2025-01-31 09:11\n    why?\n\n"
        "#2 assistant (m) 2025-01-31 09:12 [error]\n    because\n    ! boom\n"
    )


def test_cli_hits_plain_and_colored():
    hit = SearchHit(SESSION.id, "m1", 3, "user", "the **needle** here", SESSION.created)
    assert (
        cli_format.format_hits([hit]) == "a1b2c3d4 #3 user  2025-01-31 09:15  the **needle** here\n"
    )
    assert "\x1b[1mneedle\x1b[0m" in cli_format.format_hits([hit], color=True)
    assert cli_format.format_hits([]) == "No matches.\n"


def test_match_session_by_prefix():
    other = Session("a1ff", "ws", "", SESSION.created, SESSION.updated, False)
    assert cli_format.match_session([SESSION, other], "A1B2") == SESSION
    with pytest.raises(InvalidArguments, match="matches 2"):
        cli_format.match_session([SESSION, other], "a1")
    with pytest.raises(NotFound):
        cli_format.match_session([SESSION, other], "zz")
