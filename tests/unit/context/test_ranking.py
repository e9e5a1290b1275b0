from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tandem.core.context.index import WorkspaceIndex
from tandem.core.context.ranking import (
    ACTIVE_WEIGHT,
    CHANGED_WEIGHT,
    OPEN_WEIGHT,
    RECENT_WEIGHT,
    SELECTION_WEIGHT,
    TEST_FACTOR,
    Signals,
    rank,
    rank_context,
    rank_files,
)
from tandem.core.context.terms import Mentions

SAME = """def refresh_token(session):
    token = session.token
    return token.renew()
"""


@pytest.fixture
def index(tmp_path: Path) -> Iterator[WorkspaceIndex]:
    opened = WorkspaceIndex(tmp_path / "index.db")
    yield opened
    opened.close()


def _add(index: WorkspaceIndex, files: dict[str, str]) -> None:
    for path, text in files.items():
        index.update_file(path, text, 1, len(text))


def test_a_named_symbol_ranks_its_definition_first(index: WorkspaceIndex) -> None:
    callers = {
        f"app/use_{n}.py": "from lib.encode import quote_header\n\n\n"
        f"def use_{n}(value):\n    # quote_header quote header value\n"
        "    return quote_header(value) + quote_header(value)\n"
        for n in range(5)
    }
    _add(index, callers)
    _add(index, {"lib/encode.py": "def quote_header(v):\n    return '\"' + v + '\"'\n"})
    ranked = rank(index, "quote_header breaks on values with quotes", Signals(), 5)
    assert (ranked[0].path, ranked[0].name) == ("lib/encode.py", "quote_header")
    assert "defines quote_header" in ranked[0].why
    assert rank_files(index, "quote_header breaks on values with quotes")[0][0] == "lib/encode.py"


def test_editor_signals_order_equally_relevant_files_as_documented(
    index: WorkspaceIndex,
) -> None:
    assert SELECTION_WEIGHT > ACTIVE_WEIGHT > OPEN_WEIGHT == CHANGED_WEIGHT > RECENT_WEIGHT
    paths = ["a.py", "b.py", "c.py", "d.py", "e.py", "f.py"]
    _add(index, dict.fromkeys(paths, SAME))
    signals = Signals(
        selection_path="f.py",
        selection_lines=(1, 1),
        active_path="e.py",
        open_paths=["d.py"],
        changed_paths=["c.py"],
        recent_paths=["b.py"],
    )
    ranked = rank(index, "refresh the session token", signals, 10)
    assert [r.path for r in ranked] == ["f.py", "e.py", "c.py", "d.py", "b.py", "a.py"]
    assert "selection" in ranked[0].why
    assert "active file" in ranked[1].why
    assert "changed" in ranked[2].why and "open" in ranked[3].why


def test_signals_pull_in_files_without_lexical_matches(index: WorkspaceIndex) -> None:
    _add(index, {"a.py": SAME, "notes/todo.md": "# Todo\n\nNothing about it.\n"})
    files = [p for p, _ in rank_files(index, "refresh token", Signals(active_path="notes/todo.md"))]
    assert set(files) == {"a.py", "notes/todo.md"}


def test_ties_break_on_path_then_line_and_results_repeat(index: WorkspaceIndex) -> None:
    _add(index, {"z.py": SAME, "m.py": SAME, "a.py": SAME})
    first = rank(index, "refresh token", Signals(), 10)
    assert [r.path for r in first] == ["a.py", "m.py", "z.py"]
    assert first[0].score == first[1].score == first[2].score
    assert rank(index, "refresh token", Signals(), 10) == first


def test_a_path_named_in_the_prompt_comes_first(index: WorkspaceIndex) -> None:
    _add(index, {"a.py": SAME, "shop/tax.py": "RATE = 0.2\n", "b.py": SAME})
    prompt = "refresh token fails when shop/tax.py is imported"
    assert rank_files(index, prompt)[0][0] == "shop/tax.py"
    traceback = 'File "/home/me/project/shop/tax.py", line 1, in <module>\nrefresh token'
    assert rank_files(index, traceback)[0][0] == "shop/tax.py"
    assert rank_files(index, "refresh token in shop.tax")[0][0] == "shop/tax.py"


def test_extra_scores_are_added_per_chunk(index: WorkspaceIndex) -> None:
    _add(index, {"a.py": SAME, "b.py": SAME})
    target = index.chunks_of("b.py")[0].chunk_id
    ranked = rank(index, "refresh token", Signals(extra_scores={target: 0.5}), 2)
    assert ranked[0].path == "b.py"
    assert "semantic" in ranked[0].why


def test_tests_and_docs_rank_below_code_unless_the_prompt_names_them(
    index: WorkspaceIndex,
) -> None:
    test = SAME.replace("def refresh_token", "def test_refresh_token")
    doc = "# Refresh\n\nThe session token refresh: token renew.\n"
    _add(index, {"tests/test_auth.py": test, "src/auth.py": SAME, "docs/auth.md": doc})
    assert [p for p, _ in rank_files(index, "refresh session token")] == [
        "src/auth.py",
        "tests/test_auth.py",
        "docs/auth.md",
    ]
    assert rank_files(index, "test_refresh_token fails")[0][0] == "tests/test_auth.py"
    words_only = [p for p, _ in rank_files(index, "the documentation of session token refresh")]
    assert words_only[-1] == "docs/auth.md"
    named = [p for p, _ in rank_files(index, "refresh session token as README.md says")]
    assert named.index("docs/auth.md") < named.index("tests/test_auth.py")


def test_mentions_given_by_the_caller_are_used(index: WorkspaceIndex) -> None:
    _add(index, {"a.py": SAME, "b.py": SAME})
    signals = Signals(mentioned=Mentions(paths=["b.py"], symbols=[]))
    ranking = rank_context(index, "refresh token", signals)
    assert ranking.files[0][0] == "b.py"
    assert ranking.chunks[0].path == "b.py"
    assert "path b.py" in ranking.chunks[0].why


def test_empty_index_and_empty_prompt_rank_nothing(index: WorkspaceIndex) -> None:
    assert rank(index, "anything at all", Signals()) == []
    _add(index, {"a.py": SAME})
    assert rank(index, "", Signals()) == []


def test_priors_scale_words_but_not_what_the_user_points_at(index: WorkspaceIndex) -> None:
    _add(index, {"src/auth.py": SAME, "tests/test_auth.py": SAME})
    plain = rank(index, "refresh token", Signals(), 2)
    assert [r.path for r in plain] == ["src/auth.py", "tests/test_auth.py"]
    assert f"test x{TEST_FACTOR}" in plain[1].why
    selected = Signals(selection_path="tests/test_auth.py", selection_lines=(0, 2))
    assert rank(index, "refresh token", selected, 1)[0].path == "tests/test_auth.py"
