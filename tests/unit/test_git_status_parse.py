"""Parsing ``git status --porcelain=v2 -z`` and merging staged and unstaged changes."""

from __future__ import annotations

import pytest

from tandem.infra.git_status import ChangedFile, GitStatus, parse_status

SHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
MODES = "100644 100644 100644"
HASHES = f"{SHA} {SHA}"


def record(xy: str, path: str) -> str:
    return f"1 {xy} N... {MODES} {HASHES} {path}"


def porcelain(*records: str, head: str = "main", oid: str = SHA) -> str:
    headers = [f"# branch.oid {oid}", f"# branch.head {head}"]
    return "\0".join([*headers, *records]) + "\0"


def test_branch_head_and_upstream() -> None:
    text = "\0".join(
        [
            f"# branch.oid {SHA}",
            "# branch.head feature/x",
            "# branch.upstream origin/feature/x",
            "# branch.ab +2 -3",
        ]
    )
    status = parse_status(text + "\0")
    assert (status.branch, status.detached, status.head) == ("feature/x", False, SHA)
    assert (status.upstream, status.ahead, status.behind) == ("origin/feature/x", 2, 3)


def test_detached_and_initial() -> None:
    detached = parse_status(porcelain(head="(detached)"))
    assert detached.branch is None and detached.detached and detached.head == SHA
    empty = parse_status(porcelain(oid="(initial)"))
    assert empty.head is None and empty.branch == "main"


def test_index_and_work_tree_sides() -> None:
    status = parse_status(
        porcelain(
            record("M.", "staged.py"),
            record(".M", "edited.py"),
            record("MM", "both.py"),
            record("A.", "new.py"),
            record(".D", "gone.py"),
            record("D.", "removed.py"),
            record(".T", "now_a_link"),
            "? notes/todo.md",
            "? with space.txt",
            "! ignored.log",
        )
    )
    assert status.staged == [
        ChangedFile("staged.py", "modified"),
        ChangedFile("both.py", "modified"),
        ChangedFile("new.py", "added"),
        ChangedFile("removed.py", "deleted"),
    ]
    assert status.unstaged == [
        ChangedFile("edited.py", "modified"),
        ChangedFile("both.py", "modified"),
        ChangedFile("gone.py", "deleted"),
        ChangedFile("now_a_link", "modified"),
    ]
    assert status.untracked == ["notes/todo.md", "with space.txt"]


def test_rename_record_carries_the_old_path() -> None:
    rename = f"2 R. N... {MODES} {HASHES} R95 new name.py\0old name.py"
    status = parse_status(porcelain(rename, record(".M", "after.py")))
    assert status.staged == [ChangedFile("new name.py", "renamed", "old name.py")]
    assert status.unstaged == [ChangedFile("after.py", "modified")]


def test_unmerged_record() -> None:
    unmerged = f"u UU N... 100644 100644 100644 100644 {SHA} {SHA} {SHA} both/conflict.py"
    status = parse_status(porcelain(unmerged), operation="merge")
    assert status.staged == [ChangedFile("both/conflict.py", "conflicted")]
    assert status.operation == "merge"
    assert status.changed_files == [ChangedFile("both/conflict.py", "conflicted")]


@pytest.mark.parametrize(
    ("xy", "expected"),
    [
        ("M.", "modified"),
        (".M", "modified"),
        ("MM", "modified"),
        ("A.", "added"),
        ("AM", "added"),
        ("MD", "deleted"),
        (".D", "deleted"),
        ("D.", "deleted"),
    ],
)
def test_changed_files_compare_the_work_tree_with_head(xy: str, expected: str) -> None:
    status = parse_status(porcelain(record(xy, "f.py")))
    assert status.changed_files == [ChangedFile("f.py", expected)]


def test_added_then_deleted_is_no_change_from_head() -> None:
    assert parse_status(porcelain(record("AD", "tmp.py"))).changed_files == []


def test_changed_files_are_one_per_path_sorted() -> None:
    rename = f"2 RM N... {MODES} {HASHES} R100 b.py\0a.py"
    status = parse_status(porcelain(record(".M", "z.py"), rename, "? c.txt"))
    assert status.changed_files == [
        ChangedFile("b.py", "renamed", "a.py"),
        ChangedFile("c.txt", "untracked"),
        ChangedFile("z.py", "modified"),
    ]


def test_empty_output_is_a_clean_unknown_state() -> None:
    assert parse_status("") == GitStatus(branch=None, detached=False, head=None)
