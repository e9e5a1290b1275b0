"""What the context engine assembles a request from (plain data, no protocol types).

Paths are workspace-relative posix strings, as the model sees them. Line numbers are
1-based and inclusive, as the model sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Selection:
    path: str
    start_line: int
    end_line: int
    text: str
    diagnostics: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BufferView:
    """An open editor buffer: its current text, and whether it differs from disk."""

    path: str
    text: str
    dirty: bool = False


@dataclass(frozen=True)
class FileDiffText:
    path: str
    status: str
    """``modified``, ``added``, ``deleted``, ``renamed``, ``untracked`` ..."""
    hunks: list[str]
    """Unified-diff hunks, each starting with its ``@@ -a,b +c,d @@`` line."""
    demoted: bool = False
    """Lock or generated file: sent last and shortened (see ``sections.is_demoted``)."""


@dataclass(frozen=True)
class GitContext:
    summary: str
    """Branch, baseline and a short list of changed files."""
    files: list[FileDiffText] = field(default_factory=list)


@dataclass(frozen=True)
class HistoryTurn:
    seq: int
    role: str
    """``user`` or ``assistant``."""
    content: str
    mentioned_paths: list[str] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)
    """Path -> hash of each file as the request of this turn sent it (as recorded by
    the history store); lets a later turn note that a file changed since."""
    carries_files: bool = False
    """True when ``content`` itself carries the files in ``file_hashes`` (for example a
    stored copy of the full request). Only then may a later turn refer to them as
    already seen instead of sending them again."""
    file_bases: dict[str, str] = field(default_factory=dict)
    """Path -> hash of the version a file was diffed against, for files this turn's
    request sent as a diff (``Assembled.diff_bases``); absent: sent whole. A diff only
    shows a file to a model that also sees its base, in an earlier kept turn."""


@dataclass(frozen=True)
class CodeCandidate:
    path: str
    start_line: int
    end_line: int
    text: str
    score: float
    why: list[str] = field(default_factory=list)
    kind: str = "block"
    """The chunk kind (``function``, ``class``, ``method``, ``block``, ``file`` ...);
    a ``file`` candidate is a whole file and may be sent as a diff or reference."""
    name: str | None = None


def _no_snapshots(_hash: str) -> str | None:
    return None


@dataclass(frozen=True)
class ContextRequest:
    prompt: str
    selection: Selection | None = None
    active_path: str | None = None
    buffers: list[BufferView] = field(default_factory=list)
    git: GitContext | None = None
    workspace_summary: str = ""
    history: list[HistoryTurn] = field(default_factory=list)
    """Earlier turns of this session, any order (sorted by ``seq``)."""
    history_summary: str | None = None
    """A summary of turns older than ``history``."""
    code: list[CodeCandidate] = field(default_factory=list)
    sent_snapshots: dict[str, str] = field(default_factory=dict)
    """Path -> hash of the latest content of that file sent by this session's earlier
    turns. It is used as "already seen" only while a turn that carries it
    (``HistoryTurn.carries_files``) is part of this request."""
    get_snapshot: Callable[[str], str | None] = _no_snapshots
    """Hash -> the text that was sent (the history store's snapshots)."""
    current_hashes: dict[str, str] = field(default_factory=dict)
    """Path -> :func:`~tandem.core.context.sections.sent_hash` of files as they are now,
    for files not among ``buffers`` (used for stale-history notes)."""
