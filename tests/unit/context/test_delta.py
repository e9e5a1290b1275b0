"""Delta re-sends: a file the model saw is referenced or diffed, never resent stale."""

from __future__ import annotations

import hashlib

from tandem.core.context.delta import content_hash, line_count, render, stale_note

BEFORE = "".join(f"line {n}\n" for n in range(1, 101))
AFTER = BEFORE.replace("line 50\n", "line fifty\n")


def store(*texts: str) -> dict[str, str]:
    return {content_hash(text): text for text in texts}


def test_content_hash_is_sha256_hex() -> None:
    assert content_hash("abc") == hashlib.sha256(b"abc").hexdigest()


def test_never_seen_is_sent_whole() -> None:
    rendered = render("a.py", BEFORE, {}, store().get)
    assert (rendered.mode, rendered.text, rendered.hash) == ("whole", BEFORE, content_hash(BEFORE))


def test_unchanged_is_a_short_reference() -> None:
    rendered = render("a.py", BEFORE, {"a.py": content_hash(BEFORE)}, store().get)
    assert rendered.mode == "unchanged"
    assert rendered.text == "`a.py` unchanged since you saw it in an earlier turn (100 lines)"


def test_changed_is_a_unified_diff_against_what_was_seen() -> None:
    rendered = render("a.py", AFTER, {"a.py": content_hash(BEFORE)}, store(BEFORE).get)
    assert rendered.mode == "diff"
    assert rendered.hash == content_hash(AFTER)
    lines = rendered.text.splitlines()
    assert lines[:3] == ["--- a/a.py", "+++ b/a.py", "@@ -47,7 +47,7 @@"]
    assert "-line 50" in lines and "+line fifty" in lines
    assert len(lines) == 3 + 7 + 1


def test_whole_when_the_diff_is_larger_than_the_file() -> None:
    small_before, small_after = "a\nb\nc\n", "x\ny\nz\n"
    rendered = render(
        "s.py", small_after, {"s.py": content_hash(small_before)}, store(small_before).get
    )
    assert rendered.mode == "whole"
    assert rendered.text == small_after


def test_whole_when_the_snapshot_is_gone() -> None:
    rendered = render("a.py", AFTER, {"a.py": content_hash(BEFORE)}, store().get)
    assert rendered.mode == "whole"


def test_diff_marks_a_missing_final_newline() -> None:
    before = BEFORE + "tail"
    after = BEFORE.replace("line 1\n", "line one\n") + "tail"
    rendered = render("a.py", after, {"a.py": content_hash(before)}, store(before).get)
    assert rendered.mode == "diff"
    assert "tail" not in rendered.text


def test_line_count() -> None:
    assert [line_count(t) for t in ("", "a", "a\n", "a\nb", "a\nb\n")] == [0, 1, 1, 2, 2]


def test_stale_note_names_changed_files_only() -> None:
    at_turn = {"a.py": "h1", "b.py": "h2", "c.py": "h3"}
    now = {"a.py": "h1-new", "b.py": "h2", "d.py": "h4"}
    assert stale_note(["a.py", "b.py", "c.py", "d.py"], at_turn, now) == (
        "note: `a.py` has changed since this turn"
    )
    now["b.py"] = "h2-new"
    assert stale_note(["b.py", "a.py"], at_turn, now) == (
        "note: `a.py`, `b.py` have changed since this turn"
    )
    assert stale_note(["c.py"], at_turn, now) is None
    assert stale_note([], at_turn, now) is None
