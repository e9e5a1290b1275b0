"""The state of a git work tree as data, parsed from ``git status --porcelain=v2 -z``.

Pure: :func:`parse_status` turns git's machine-readable output into
:class:`GitStatus`. The porcelain format states the index and work-tree side of
every change separately and exactly (gitpython's ``index.diff("HEAD")`` reports
change types reversed), and it needs a single git process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATUS_WORDS = {
    "M": "modified",
    "T": "modified",  # type change (file <-> symlink)
    "A": "added",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
    "U": "conflicted",
}


@dataclass(frozen=True)
class ChangedFile:
    path: str
    """Posix path relative to the repository root."""
    status: str
    """``modified``, ``added``, ``deleted``, ``renamed``, ``copied``, ``conflicted``
    or ``untracked``."""
    old_path: str | None = None
    """The path before a rename or copy."""


@dataclass(frozen=True)
class GitStatus:
    branch: str | None
    """The checked-out branch; None when HEAD is detached."""
    detached: bool
    head: str | None
    """Full sha of HEAD; None in a repository without commits."""
    staged: list[ChangedFile] = field(default_factory=list)
    """Index vs HEAD."""
    unstaged: list[ChangedFile] = field(default_factory=list)
    """Work tree vs index (tracked files only)."""
    untracked: list[str] = field(default_factory=list)
    upstream: str | None = None
    ahead: int = 0
    behind: int = 0
    operation: str | None = None
    """An operation in progress: ``merge``, ``rebase``, ``am``, ``cherry-pick``,
    ``revert`` or ``bisect``."""

    @property
    def changed_files(self) -> list[ChangedFile]:
        """One entry per path that differs from HEAD (work tree vs HEAD), by path."""
        merged: dict[str, ChangedFile] = {}
        unstaged = {c.path: c for c in self.unstaged}
        for change in self.staged:
            combined = _combine(change, unstaged.pop(change.path, None))
            if combined is not None:
                merged[change.path] = combined
        merged.update(unstaged)
        for path in self.untracked:
            merged.setdefault(path, ChangedFile(path, "untracked"))
        return [merged[path] for path in sorted(merged)]


def _combine(staged: ChangedFile, unstaged: ChangedFile | None) -> ChangedFile | None:
    """What a file staged one way and maybe changed again is, compared with HEAD."""
    if unstaged is None or staged.status == "conflicted":
        return staged
    if unstaged.status == "deleted":
        return None if staged.status == "added" else ChangedFile(staged.path, "deleted")
    if unstaged.status == "conflicted":
        return unstaged
    return staged  # added, renamed, copied or modified, then edited again: still that


def parse_status(output: str, operation: str | None = None) -> GitStatus:
    """Parse ``git status --porcelain=v2 -z --branch`` output."""
    headers: dict[str, str] = {}
    staged: list[ChangedFile] = []
    unstaged: list[ChangedFile] = []
    untracked: list[str] = []
    records = iter(output.split("\0"))
    for record in records:
        kind = record[:2]
        if kind == "# ":
            key, _, value = record[2:].partition(" ")
            headers[key] = value
        elif kind in ("1 ", "2 ", "u "):
            old = next(records, None) if kind == "2 " else None
            _entry(record, old, staged, unstaged)
        elif kind == "? ":
            untracked.append(record[2:])
    return _status(headers, staged, unstaged, untracked, operation)


def _entry(
    record: str, old: str | None, staged: list[ChangedFile], unstaged: list[ChangedFile]
) -> None:
    fields = {"1": 8, "2": 9, "u": 10}[record[0]]
    parts = record.split(" ", fields)
    xy, path = parts[1], parts[fields]
    if record[0] == "u":
        staged.append(ChangedFile(path, "conflicted"))
        return
    if xy[0] != ".":
        staged.append(ChangedFile(path, STATUS_WORDS.get(xy[0], "modified"), old))
    if xy[1] != ".":
        unstaged.append(ChangedFile(path, STATUS_WORDS.get(xy[1], "modified")))


def _status(
    headers: dict[str, str],
    staged: list[ChangedFile],
    unstaged: list[ChangedFile],
    untracked: list[str],
    operation: str | None,
) -> GitStatus:
    oid = headers.get("branch.oid")
    head_name = headers.get("branch.head")
    detached = head_name == "(detached)"
    ahead, behind = _ahead_behind(headers.get("branch.ab", ""))
    return GitStatus(
        branch=None if detached or head_name is None else head_name,
        detached=detached,
        head=None if oid in (None, "(initial)") else oid,
        staged=staged,
        unstaged=unstaged,
        untracked=untracked,
        upstream=headers.get("branch.upstream"),
        ahead=ahead,
        behind=behind,
        operation=operation,
    )


def _ahead_behind(value: str) -> tuple[int, int]:
    parts = value.split()
    if len(parts) != 2:
        return 0, 0
    try:
        return int(parts[0].lstrip("+")), int(parts[1].lstrip("-"))
    except ValueError:
        return 0, 0
