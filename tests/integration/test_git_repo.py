"""GitRepo against real repositories made in tmp dirs, in every state a user can leave one."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tandem.infra.git import (
    ChangedFile,
    GitError,
    GitRepo,
    find_repo_root,
    parse_unified_diff,
)
from tests.support.gitrepo import GIT_ENV, git, make_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"a.py": "a = 1\n", "b.py": "b = 1\n", "docs/x.md": "x\n"})


@pytest.fixture
def open_repo() -> Iterator:
    opened: list[GitRepo] = []

    def open_(root: Path) -> GitRepo:
        opened.append(GitRepo(root))
        return opened[-1]

    yield open_
    for repo in opened:
        repo.close()


def git_may_fail(repo: Path, *args: str) -> int:
    env = {**os.environ, **GIT_ENV, "HOME": str(repo)}
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True).returncode


# -- finding the repository ------------------------------------------------------------------


def test_find_repo_root(repo: Path, tmp_path: Path) -> None:
    assert find_repo_root(repo) == repo
    assert find_repo_root(repo / "docs") == repo
    assert find_repo_root(repo / "docs" / "x.md") == repo
    assert find_repo_root(repo / "docs" / "not-yet-created.md") == repo
    plain = tmp_path / "plain"
    plain.mkdir()
    assert find_repo_root(plain) is None


def test_nested_repository_owns_its_own_paths(repo: Path) -> None:
    inner = make_repo(repo / "vendor" / "lib", {"lib.py": "l = 1\n"})
    assert find_repo_root(inner / "lib.py") == inner
    assert find_repo_root(repo / "vendor") == repo


def test_worktree_is_found_through_its_git_file(repo: Path, tmp_path: Path, open_repo) -> None:
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "side", str(worktree))
    assert find_repo_root(worktree / "a.py") == worktree
    status = open_repo(worktree).status()
    assert status.branch == "side" and status.changed_files == []


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not a git repository"):
        GitRepo(tmp_path)


# -- status ----------------------------------------------------------------------------------


def test_clean_repository(repo: Path, open_repo) -> None:
    status = open_repo(repo).status()
    head = git(repo, "rev-parse", "HEAD").strip()
    assert (status.branch, status.detached, status.head) == ("main", False, head)
    assert status.staged == status.unstaged == status.untracked == []
    assert status.changed_files == [] and status.operation is None


def test_stage_unstage_untracked_and_delete(repo: Path, open_repo) -> None:
    g = open_repo(repo)
    (repo / "a.py").write_text("a = 2\n")
    (repo / "new.py").write_text("n = 1\n")
    (repo / "docs" / "x.md").unlink()
    git(repo, "add", "a.py")
    status = g.status()
    assert status.staged == [ChangedFile("a.py", "modified")]
    assert status.unstaged == [ChangedFile("docs/x.md", "deleted")]
    assert status.untracked == ["new.py"]
    assert status.changed_files == [
        ChangedFile("a.py", "modified"),
        ChangedFile("docs/x.md", "deleted"),
        ChangedFile("new.py", "untracked"),
    ]
    git(repo, "reset", "-q", "a.py")
    status = g.status()
    assert status.staged == [] and ChangedFile("a.py", "modified") in status.unstaged


def test_ignored_files_are_not_untracked(repo: Path, open_repo) -> None:
    (repo / ".gitignore").write_text("*.log\n")
    (repo / "debug.log").write_text("x\n")
    (repo / "dir" / "deep").mkdir(parents=True)
    (repo / "dir" / "deep" / "f.txt").write_text("f\n")
    assert open_repo(repo).status().untracked == [".gitignore", "dir/deep/f.txt"]


def test_rename(repo: Path, open_repo) -> None:
    git(repo, "mv", "b.py", "renamed b.py")
    status = open_repo(repo).status()
    assert status.staged == [ChangedFile("renamed b.py", "renamed", "b.py")]
    assert status.changed_files == [ChangedFile("renamed b.py", "renamed", "b.py")]


def test_branch_checkout_and_detached_head(repo: Path, open_repo) -> None:
    g = open_repo(repo)
    first = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "feature")
    assert g.status().branch == "feature"
    git(repo, "checkout", "-q", "--detach", first)
    status = g.status()
    assert (status.branch, status.detached, status.head) == (None, True, first)


def test_repository_without_commits(tmp_path: Path, open_repo) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q", "-b", "trunk")
    g = open_repo(empty)
    status = g.status()
    assert (status.branch, status.head, status.detached) == ("trunk", None, False)
    (empty / "first.py").write_text("f = 1\n")
    git(empty, "add", "first.py")
    assert g.status().changed_files == [ChangedFile("first.py", "added")]
    assert "+f = 1" in g.diff(staged=True)
    assert g.resolve("HEAD") is None
    assert g.diff_since("HEAD") == "" and g.changed_since("HEAD") == []
    assert g.show("HEAD", "first.py") is None


def test_mid_rebase_with_a_conflict(repo: Path, open_repo) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "a.py").write_text("a = 'feature'\n")
    git(repo, "commit", "-qam", "feature")
    git(repo, "checkout", "-q", "main")
    (repo / "a.py").write_text("a = 'main'\n")
    git(repo, "commit", "-qam", "main")
    git(repo, "checkout", "-q", "feature")
    assert git_may_fail(repo, "rebase", "main") != 0
    status = open_repo(repo).status()
    assert status.operation == "rebase" and status.detached and status.branch is None
    assert status.changed_files == [ChangedFile("a.py", "conflicted")]


def test_merge_conflict(repo: Path, open_repo) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    (repo / "b.py").write_text("b = 'other'\n")
    git(repo, "commit", "-qam", "other")
    git(repo, "checkout", "-q", "main")
    (repo / "b.py").write_text("b = 'main'\n")
    git(repo, "commit", "-qam", "main")
    assert git_may_fail(repo, "merge", "other") != 0
    status = open_repo(repo).status()
    assert (status.operation, status.branch) == ("merge", "main")
    assert status.changed_files == [ChangedFile("b.py", "conflicted")]


# -- diffs and content ---------------------------------------------------------------------


def test_diff_staged_and_unstaged(repo: Path, open_repo) -> None:
    g = open_repo(repo)
    (repo / "a.py").write_text("a = 2\n")
    git(repo, "add", "a.py")
    (repo / "b.py").write_text("b = 2\n")
    [staged] = parse_unified_diff(g.diff(staged=True))
    [unstaged] = parse_unified_diff(g.diff(staged=False))
    assert staged.path == "a.py" and staged.hunks[0].lines == ["-a = 1", "+a = 2"]
    assert unstaged.path == "b.py" and unstaged.hunks[0].lines == ["-b = 1", "+b = 2"]


def test_changes_since_a_baseline(repo: Path, open_repo) -> None:
    g = open_repo(repo)
    baseline = g.resolve("HEAD")
    assert baseline is not None and len(baseline) == 40
    (repo / "a.py").write_text("a = 2\n")
    git(repo, "commit", "-qam", "committed change")
    (repo / "b.py").write_text("b = 2\n")  # and one not committed
    git(repo, "mv", "docs/x.md", "docs/y.md")
    (repo / "untracked.py").write_text("u\n")
    files = parse_unified_diff(g.diff_since(baseline))
    assert [(f.path, f.old_path, f.status) for f in files] == [
        ("a.py", None, "modified"),
        ("b.py", None, "modified"),
        ("docs/y.md", "docs/x.md", "renamed"),
    ]
    assert g.changed_since(baseline) == [
        ChangedFile("a.py", "modified"),
        ChangedFile("b.py", "modified"),
        ChangedFile("docs/y.md", "renamed", "docs/x.md"),
        ChangedFile("untracked.py", "untracked"),
    ]


def test_unknown_or_hostile_refs_give_empty_answers(repo: Path, open_repo) -> None:
    g = open_repo(repo)
    for ref in ("no-such-branch", "deadbeef" * 5, "--output=/tmp/x", ""):
        assert g.resolve(ref) is None
        assert g.diff_since(ref) == "" and g.changed_since(ref) == []
        assert g.show(ref, "a.py") is None


def test_show_file_at_a_ref(repo: Path, open_repo) -> None:
    (repo / "bin.dat").write_bytes(b"\x00\x01\x02")
    (repo / "ünïcode name.txt").write_text("ü\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "more")
    g = open_repo(repo)
    (repo / "a.py").write_text("a = 'edited'\n")
    assert g.show("HEAD", "a.py") == "a = 1\n"
    assert g.show("HEAD~1", "docs/x.md") == "x\n"
    assert g.show("HEAD", "ünïcode name.txt") == "ü\n"
    assert g.show("HEAD~1", "bin.dat") is None  # absent at that ref
    assert g.show("HEAD", "bin.dat") is None  # binary
    assert g.show("HEAD", "a.py", max_bytes=3) is None
    first = g.resolve("HEAD~1")
    assert first is not None and g.show(first, "docs/x.md") == "x\n"  # a full id: no lookup
    assert g.show("0" * 40, "a.py") is None  # no such commit


def test_tricky_paths_survive_diff_parsing(repo: Path, open_repo) -> None:
    names = ["with space.py", "tab\tname.py", "café.py", 'quote".py', "dir with space/x.py"]
    for name in names:
        (repo / name).parent.mkdir(exist_ok=True)
        (repo / name).write_text("1\n")
    git(repo, "add", "-A")
    files = parse_unified_diff(open_repo(repo).diff(staged=True))
    assert sorted(f.path for f in files) == sorted(names)
    assert all(f.status == "added" and f.hunks[0].lines == ["+1"] for f in files)


def test_binary_change_is_flagged(repo: Path, open_repo) -> None:
    (repo / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    git(repo, "add", "img.png")
    [diff] = parse_unified_diff(open_repo(repo).diff(staged=True))
    assert diff.path == "img.png" and diff.is_binary and diff.hunks == []


def test_user_config_cannot_change_the_diff_format(repo: Path, open_repo) -> None:
    git(repo, "config", "diff.noprefix", "true")
    git(repo, "config", "diff.mnemonicPrefix", "true")
    git(repo, "config", "color.ui", "always")
    (repo / "a.py").write_text("a = 3\n")
    [diff] = parse_unified_diff(open_repo(repo).diff())
    assert diff.path == "a.py" and diff.hunks[0].lines == ["-a = 1", "+a = 3"]


# -- remotes ----------------------------------------------------------------------------------


def test_remote_url(repo: Path, open_repo) -> None:
    g = open_repo(repo)
    assert g.remote_url() is None
    git(repo, "remote", "add", "upstream", "git@example.com:team/project.git")
    assert g.remote_url() == "git@example.com:team/project.git"
    git(repo, "remote", "add", "origin", "https://user:s3cret@example.com/team/project.git")
    assert g.remote_url() == "https://example.com/team/project.git"
    git(repo, "remote", "set-url", "origin", "https://ghp_token@example.com/team/project.git")
    assert g.remote_url() == "https://example.com/team/project.git"


# -- git missing -------------------------------------------------------------------------------

WITHOUT_GIT = """
import sys
from pathlib import Path
import tandem.infra.git as g
print(g.find_repo_root(Path(sys.argv[1])))
try:
    g.GitRepo(Path(sys.argv[1])).status()
except g.GitUnavailable as error:
    print("GitUnavailable:", error)
"""


def test_git_missing_from_path_is_a_named_error(repo: Path, tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path / "empty-bin"), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_GIT, str(repo)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    found, message = done.stdout.strip().splitlines()
    assert found == str(repo)  # finding the repository needs no git
    assert message.startswith("GitUnavailable: git was not found on PATH")
