"""IgnoreRules agrees with git itself (``git check-ignore``) on nested, negated rules."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest

from tandem.core.ignore import IgnoreRules
from tests.support.gitrepo import git

RULES = {
    ".gitignore": (
        "*.log\n!keep.log\n/root.txt\ngen/\ndocs/**/*.tmp\nvendor/\n!vendor/kept.py\n"
        "**/cache\n*.o\n!special.o\n# a comment\n\n\\#hash.txt\nspace\\ name.txt\n"
        "lib/*/private\n*[0-9].dat\n**/sub/mod.py\n*.md\n!docs/**/*.md\n"
    ),
    "pkg/.gitignore": "!*.log\n/local.txt\nfixtures/\n*.py\n!keep_me.py\n",
    "pkg/sub/.gitignore": "!*.py\nroot.txt\n",
    "docs/.gitignore": "!b.tmp\n",
}
DIRS = [
    "",
    "pkg/",
    "pkg/sub/",
    "other/sub/",
    "docs/",
    "docs/a/",
    "vendor/",
    "lib/x/",
    "src/gen/",
    "deep/cache/",
]
NAMES = [
    "a.log", "keep.log", "root.txt", "local.txt", "a.tmp", "b.tmp", "kept.py", "mod.py",
    "keep_me.py", "x.o", "special.o", "#hash.txt", "space name.txt", "private", "f1.dat",
    "fa.dat", "readme.md",
]  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    for rel, text in RULES.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def git_ignored(repo: Path, paths: list[str]) -> dict[str, bool]:
    out = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin", "-v", "-n", "-z"],
        cwd=repo,
        input="\0".join(paths) + "\0",
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    fields = out.split("\0")
    verdicts = {}
    for source, _line, pattern, path in zip(*[iter(fields)] * 4, strict=False):
        verdicts[path] = bool(source) and not pattern.startswith("!")
    return verdicts


def test_same_verdicts_as_git_check_ignore(repo: Path) -> None:
    paths = [d + n for d, n in itertools.product(DIRS, NAMES)]
    expected = git_ignored(repo, paths)
    assert len(expected) == len(paths)
    rules = IgnoreRules.load(repo)
    differ = {p: expected[p] for p in paths if rules.is_ignored(p) != expected[p]}
    assert differ == {}
    for path in paths:  # the walker's shortcut agrees wherever it is used
        parent, _, name = path.rpartition("/")
        if not rules.is_ignored(parent, is_dir=True):
            assert rules.is_entry_ignored(parent, name, is_dir=False) == expected[path]
    assert sum(expected.values()) > len(paths) // 4  # the grid exercises both answers


def test_same_verdicts_for_a_folder_below_the_repository_root(repo: Path) -> None:
    names = [f"pkg/sub/{n}" for n in NAMES] + [f"pkg/{n}" for n in NAMES]
    expected = git_ignored(repo, names)
    rules = IgnoreRules.load(repo / "pkg")
    got = {p: rules.is_ignored(p.removeprefix("pkg/")) for p in names}
    assert got == expected
