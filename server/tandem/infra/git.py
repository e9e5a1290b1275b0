"""Git state and diffs of a work tree, read through git itself (gitpython runs it).

Everything here blocks (each call runs one or two git processes, ~7 ms each): run it
in a worker thread, and use a :class:`GitRepo` from one thread only (gitpython's
``Repo`` is not thread-safe). Close it when done.

A repository in an unusual state (no commits yet, detached HEAD, mid-rebase or
mid-merge) is reported, never an error; an unknown ref gives an empty answer. Git
missing from ``PATH`` raises :class:`GitUnavailable`; any other failure of git
raises :class:`GitError` with git's own message.

gitpython is imported on first use: importing it without a git executable raises,
and the rest of Tandem must work without git.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from tandem.core.diffs import FileDiff, Hunk, parse_unified_diff
from tandem.core.errors import TandemError
from tandem.infra.git_status import STATUS_WORDS, ChangedFile, GitStatus, parse_status
from tandem.infra.scan import is_probably_binary

if TYPE_CHECKING:
    from git import Repo

__all__ = [
    "ChangedFile",
    "FileDiff",
    "GitError",
    "GitRepo",
    "GitStatus",
    "GitUnavailable",
    "Hunk",
    "find_repo_root",
    "parse_unified_diff",
]

log = logging.getLogger(__name__)

_FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
"""A commit named by its full id needs no ``rev-parse`` to find."""

DIFF_OPTIONS = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--find-renames",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)
"""Fixed so that a user's git config cannot change what the diff parser reads."""

_OPERATIONS = (
    ("rebase-merge", "rebase"),
    ("rebase-apply/applying", "am"),
    ("rebase-apply", "rebase"),
    ("MERGE_HEAD", "merge"),
    ("CHERRY_PICK_HEAD", "cherry-pick"),
    ("REVERT_HEAD", "revert"),
    ("BISECT_LOG", "bisect"),
)


class GitError(TandemError):
    """A git command failed."""


class GitUnavailable(GitError):
    """No git executable: git features are off until it is installed."""


UNAVAILABLE_MESSAGE = (
    "git was not found on PATH, so branch, status and diffs are not available. "
    "Install git, or set GIT_PYTHON_GIT_EXECUTABLE to its full path."
)


def find_repo_root(path: Path) -> Path | None:
    """The work tree root of the innermost repository holding ``path``, or None.

    Looks for a ``.git`` directory (with a ``HEAD``) or a ``.git`` file (worktrees,
    submodules) at ``path`` and above; no git process is run.
    """
    start = path if path.is_dir() else path.parent
    for directory in (start, *start.parents):
        if _is_work_tree_root(directory):
            return directory
    return None


def _is_work_tree_root(directory: Path) -> bool:
    dot_git = directory / ".git"
    if dot_git.is_dir():
        return (dot_git / "HEAD").is_file()
    if dot_git.is_file():
        try:
            return dot_git.read_text(encoding="utf-8", errors="replace").startswith("gitdir:")
        except OSError:
            return False
    return False


def _gitpython() -> ModuleType:
    try:
        import git
    except ImportError as error:
        raise GitUnavailable(UNAVAILABLE_MESSAGE) from error
    return git


class GitRepo:
    """One work tree; methods return git's view of it. Not thread-safe."""

    def __init__(self, root: Path) -> None:
        git = _gitpython()
        self.root = root
        try:
            self._repo: Repo = git.Repo(root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as error:
            raise GitError(f"{root} is not a git repository") from error
        self._repo.git.set_persistent_git_options(c="core.quotepath=off", no_optional_locks=True)
        self._errors = git.GitCommandError
        self._not_found = git.GitCommandNotFound

    def close(self) -> None:
        """End gitpython's helper processes."""
        self._repo.close()

    def __enter__(self) -> GitRepo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state -------------------------------------------------------------------------

    def status(self) -> GitStatus:
        """Branch, HEAD, and staged, unstaged and untracked files (one git process)."""
        output = self._text("status", "--porcelain=v2", "-z", "--branch", "--untracked-files=all")
        return parse_status(output, self._operation())

    def _operation(self) -> str | None:
        git_dir = Path(self._repo.git_dir)
        for name, operation in _OPERATIONS:
            if (git_dir / name).exists():
                return operation
        return None

    def resolve(self, ref: str) -> str | None:
        """The commit sha ``ref`` names, or None (unknown ref, no commits yet)."""
        if not ref or ref.startswith("-"):
            return None
        try:
            return self._text("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
        except GitError:
            return None

    def remote_url(self) -> str | None:
        """The URL of ``origin`` (else of the first remote), without credentials."""
        reader = self._repo.config_reader()
        sections = [s for s in reader.sections() if s.startswith('remote "')]
        names = [s[len('remote "') : -1] for s in sections]
        if not names:
            return None
        name = "origin" if "origin" in names else names[0]
        url = reader.get_value(f'remote "{name}"', "url", default="")
        return _without_credentials(str(url)) or None

    # -- changes -----------------------------------------------------------------------

    def diff(self, staged: bool = False) -> str:
        """Unified diff of the index vs HEAD (``staged``) or the work tree vs the index."""
        return self._text("diff", *(["--cached"] if staged else []), *DIFF_OPTIONS, "--")

    def diff_since(self, ref: str) -> str:
        """Unified diff of the work tree (tracked files) vs ``ref``; "" if ``ref`` is unknown."""
        sha = self._known(ref)
        return self._text("diff", *DIFF_OPTIONS, sha, "--") if sha else ""

    def changed_since(self, ref: str) -> list[ChangedFile]:
        """Files that differ between ``ref`` and the work tree, untracked ones included."""
        sha = self._known(ref)
        if sha is None:
            return []
        output = self._text("diff", "--name-status", "-z", "--find-renames", sha, "--")
        changes = _name_status(output)
        others = self._text("ls-files", "--others", "--exclude-standard", "-z")
        changes += [ChangedFile(p, "untracked") for p in others.split("\0") if p]
        return sorted(changes, key=lambda c: c.path)

    def show(self, ref: str, rel_path: str, max_bytes: int | None = None) -> str | None:
        """A file's content at ``ref`` (path relative to the repository root).

        None when the ref or the file there is unknown, or the content is binary or
        larger than ``max_bytes``.
        """
        sha = ref if _FULL_SHA.fullmatch(ref) else self.resolve(ref)
        if sha is None:
            return None
        try:
            data = self._bytes("cat-file", "blob", f"{sha}:{rel_path}")
        except GitError:
            return None
        if (max_bytes is not None and len(data) > max_bytes) or is_probably_binary(data):
            return None
        return data.decode("utf-8", errors="replace")

    def _known(self, ref: str) -> str | None:
        sha = self.resolve(ref)
        if sha is None:
            log.info("git: unknown ref %r in %s", ref, self.root)
        return sha

    # -- running git -------------------------------------------------------------------

    def _text(self, command: str, *args: str) -> str:
        return self._bytes(command, *args).decode("utf-8", errors="replace")

    def _bytes(self, command: str, *args: str) -> bytes:
        run: Any = getattr(self._repo.git, command.replace("-", "_"))
        try:
            out = run(*args, stdout_as_string=False, strip_newline_in_stdout=False)
        except self._not_found as error:
            raise GitUnavailable(UNAVAILABLE_MESSAGE) from error
        except self._errors as error:
            stderr = str(error.stderr or "").strip().removeprefix("stderr: ").strip("'\n ")
            raise GitError(f"git {command} failed in {self.root}: {stderr}") from error
        return bytes(out)


def _name_status(output: str) -> list[ChangedFile]:
    """Parse ``git diff --name-status -z``: ``X\\0path`` or ``R100\\0old\\0new``."""
    fields = iter(output.split("\0"))
    changes = []
    for code in fields:
        if not code:
            continue
        first = next(fields, "")
        if code[0] in "RC":
            new = next(fields, "")
            changes.append(ChangedFile(new, STATUS_WORDS[code[0]], first))
        else:
            changes.append(ChangedFile(first, STATUS_WORDS.get(code[0], "modified")))
    return changes


def _without_credentials(url: str) -> str:
    """Drop a password or token from an http(s) remote URL (``https://tok@host/x``)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    if parts.scheme in ("http", "https") or ":" in userinfo:
        return urlunsplit(parts._replace(netloc=host))
    return url
