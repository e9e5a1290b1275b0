"""Parse ``git diff`` output into files and hunks, so context can be trimmed per hunk.

Pure: text in, dataclasses out. Understands what ``git diff`` prints with its
default ``a/`` and ``b/`` prefixes: new, deleted, renamed and copied files, mode
changes, binary files, C-quoted paths (``"a/\\303\\244.txt"``) and the trailing tab
git adds to names with spaces. Anything else before the first ``diff --git`` line is
skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_OCTAL = re.compile(r"[0-7]{3}")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_STATUS_LINES = {
    "new file mode": "added",
    "deleted file mode": "deleted",
    "rename from": "renamed",
    "copy from": "copied",
}


@dataclass(frozen=True)
class Hunk:
    header: str
    """The ``@@ -a,b +c,d @@ section`` line."""
    lines: list[str]
    """The hunk's body lines, each starting with ``" "``, ``"+"``, ``"-"`` or ``"\\"``."""

    @property
    def old_range(self) -> tuple[int, int]:
        """(first line, line count) in the old file."""
        m = _HUNK.match(self.header)
        return (int(m[1]), int(m[2] or 1)) if m else (0, 0)

    @property
    def new_range(self) -> tuple[int, int]:
        """(first line, line count) in the new file."""
        m = _HUNK.match(self.header)
        return (int(m[3]), int(m[4] or 1)) if m else (0, 0)

    @property
    def text(self) -> str:
        return "\n".join([self.header, *self.lines])


@dataclass
class FileDiff:
    path: str
    """The path after the change (before it, for a deleted file)."""
    old_path: str | None
    """The path before the change, when it differs (renames and copies)."""
    hunks: list[Hunk] = field(default_factory=list)
    is_binary: bool = False
    status: str = "modified"
    """``modified``, ``added``, ``deleted``, ``renamed`` or ``copied``."""
    header: list[str] = field(default_factory=list)
    """The ``diff --git`` line and the extended header lines after it."""


def parse_unified_diff(text: str) -> list[FileDiff]:
    """Split a ``git diff`` into one :class:`FileDiff` per file, in order."""
    files: list[FileDiff] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith("diff --git "):
            diff, i = _file(lines, i)
            files.append(diff)
        else:
            i += 1
    return files


def _file(lines: list[str], i: int) -> tuple[FileDiff, int]:
    diff = FileDiff(path="", old_path=None)
    old, new = _split_git_line(lines[i][len("diff --git ") :])
    diff.header.append(lines[i])
    i += 1
    while i < len(lines) and not lines[i].startswith(("diff --git ", "@@ ")):
        old, new = _header_line(diff, lines[i], old, new)
        diff.header.append(lines[i])
        i += 1
    while i < len(lines) and lines[i].startswith("@@ "):
        hunk, i = _hunk(lines, i)
        diff.hunks.append(hunk)
    diff.path = new if diff.status != "deleted" else old
    diff.old_path = old if old != diff.path else None
    return diff, i


def _header_line(diff: FileDiff, line: str, old: str, new: str) -> tuple[str, str]:
    """Fold one extended header line into ``diff``; return the (old, new) paths."""
    for prefix, status in _STATUS_LINES.items():
        if line.startswith(prefix):
            diff.status = status
    if line.startswith(("rename from ", "copy from ")):
        old = _unquote(line.split(" ", 2)[2])
    elif line.startswith(("rename to ", "copy to ")):
        new = _unquote(line.split(" ", 2)[2])
    elif line.startswith("--- ") and not line.startswith("--- /dev/null"):
        old = _strip_prefix(_unquote(line[4:].rstrip("\t")))
    elif line.startswith("+++ ") and not line.startswith("+++ /dev/null"):
        new = _strip_prefix(_unquote(line[4:].rstrip("\t")))
    elif line.startswith(("Binary files ", "GIT binary patch")):
        diff.is_binary = True
    return old, new


def _hunk(lines: list[str], i: int) -> tuple[Hunk, int]:
    header = lines[i]
    m = _HUNK.match(header)
    old_left = int(m[2] or 1) if m else 0
    new_left = int(m[4] or 1) if m else 0
    body: list[str] = []
    i += 1
    while i < len(lines):
        line = lines[i]
        if line.startswith("\\"):
            body.append(line)
        elif (old_left > 0 or new_left > 0) and line[:1] in (" ", "-", "+", ""):
            old_left -= line[:1] != "+"
            new_left -= line[:1] != "-"
            body.append(line)
        else:
            break
        i += 1
    return Hunk(header, body), i


def _split_git_line(rest: str) -> tuple[str, str]:
    """The two paths of a ``diff --git`` line (quoted, or unquoted and equal)."""
    if rest.startswith('"'):
        first, _, second = _take_quoted(rest)
        return _strip_prefix(first), _strip_prefix(_unquote(second.strip()))
    if rest.endswith('"'):
        start = rest.rfind(' "')
        return _strip_prefix(rest[:start]), _strip_prefix(_unquote(rest[start + 1 :]))
    half = (len(rest) - 1) // 2
    return _strip_prefix(rest[:half]), _strip_prefix(rest[half + 1 :])


def _take_quoted(text: str) -> tuple[str, str, str]:
    """Split ``"quoted" rest`` into (unquoted, separator, rest)."""
    j = 1
    while j < len(text) and text[j] != '"':
        j += 2 if text[j] == "\\" else 1
    return _unquote(text[: j + 1]), " ", text[j + 2 :]


def _strip_prefix(path: str) -> str:
    return path[2:] if path.startswith(("a/", "b/")) else path


def _unquote(text: str) -> str:
    """Undo git's C-style quoting of a path (octal escapes are UTF-8 bytes)."""
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        return text
    out = bytearray()
    body, j = text[1:-1], 0
    while j < len(body):
        char = body[j]
        if char != "\\" or j + 1 == len(body):
            out += char.encode()
            j += 1
        elif body[j + 1] in _ESCAPES:
            out.append(_ESCAPES[body[j + 1]])
            j += 2
        elif _OCTAL.fullmatch(body[j + 1 : j + 4]):
            out.append(int(body[j + 1 : j + 4], 8) & 0xFF)
            j += 4
        else:
            out += char.encode()
            j += 1
    return out.decode("utf-8", errors="replace")
